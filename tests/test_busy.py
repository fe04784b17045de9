"""A busy database is recognised by its driver's error code, on each
backend: real lock conflicts provoked on sqlite, PostgreSQL and
MariaDB/MySQL, answered as the retryable `DATABASE_BUSY` fault."""

import os
import sqlite3
import uuid

import pytest

from databases import BACKENDS, DSN_VARIABLES, Database

from tracrpc.api import DATABASE_BUSY, error_code_and_message


def busy_answer(error):
    code, message = error_code_and_message(error, 1)
    assert 'Traceback' not in message
    return code, message


def sqlite_lock_conflict(tmp_path):
    """The error of a write while another connection holds the lock."""
    path = str(tmp_path / 'busy.db')
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute('CREATE TABLE t (x)')
    holder.execute('BEGIN IMMEDIATE')
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiter.execute('BEGIN IMMEDIATE')
        return raised.value
    finally:
        waiter.close()
        holder.close()


def server_lock_conflict(backend):
    """The error of a row lock that another transaction holds, raised
    at once (PostgreSQL: NOWAIT; MySQL: a 1-second lock wait)."""
    database = Database(backend)
    connect = database._connect
    table = 'busy_%s' % uuid.uuid4().hex[:8]
    holder, waiter = connect(), connect()
    if backend == 'mysql':  # the database object made for this test
        for connection in (holder, waiter):
            connection.select_db(database.name)
    try:
        with holder.cursor() as cursor:
            cursor.execute('CREATE TABLE %s (id INT PRIMARY KEY)' % table)
            cursor.execute('INSERT INTO %s VALUES (1)' % table)
        holder.commit()
        with holder.cursor() as cursor:
            cursor.execute('SELECT id FROM %s WHERE id=1 FOR UPDATE' % table)
        with waiter.cursor() as cursor:
            if backend == 'mysql':
                cursor.execute('SET SESSION innodb_lock_wait_timeout=1')
                lock = 'FOR UPDATE'
            else:
                lock = 'FOR UPDATE NOWAIT'
            with pytest.raises(Exception) as raised:
                cursor.execute('SELECT id FROM %s WHERE id=1 %s'
                               % (table, lock))
        return raised.value
    finally:
        waiter.rollback()
        holder.rollback()
        with holder.cursor() as cursor:
            cursor.execute('DROP TABLE %s' % table)
        holder.commit()
        waiter.close()
        holder.close()
        database.drop()


@pytest.mark.parametrize('backend', ['sqlite', 'postgres', 'mysql'])
def test_lock_conflict_is_database_busy(backend, tmp_path):
    if backend not in BACKENDS:
        pytest.skip('%s tests skipped: set %s to a server DSN to run them'
                    % (backend, DSN_VARIABLES[backend]))
    error = sqlite_lock_conflict(tmp_path) if backend == 'sqlite' \
        else server_lock_conflict(backend)
    code, message = busy_answer(error)
    assert code == DATABASE_BUSY, message
    assert message.startswith('The database is busy')
    assert 'Retry the call' in message


def test_the_message_alone_is_no_busy_database():
    code, message = busy_answer(ValueError('database is locked'))
    assert code == 1 and message.startswith('Internal error')
    code, message = busy_answer(sqlite3.OperationalError('no such table: x'))
    assert code == 1


def test_other_database_errors_are_internal_errors(tmp_path):
    connection = sqlite3.connect(str(tmp_path / 'x.db'))
    with pytest.raises(sqlite3.OperationalError) as raised:
        connection.execute('SELECT * FROM nosuch')
    assert busy_answer(raised.value)[0] == 1
    assert os.path.exists(str(tmp_path / 'x.db'))
