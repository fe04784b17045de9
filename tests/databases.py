"""Database backends for the test environments.

sqlite always runs. PostgreSQL and MariaDB/MySQL run when their DSN is
set and the server answers, each in a database object of its own that is
dropped afterwards:

    TRACRPC_TEST_PG=postgres://postgres@127.0.0.1/test
    TRACRPC_TEST_MYSQL=mysql://root@127.0.0.1/test

TRACRPC_TEST_BACKENDS (default `sqlite,postgres,mysql`) selects backends.
"""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

DSN_VARIABLES = {'postgres': 'TRACRPC_TEST_PG', 'mysql': 'TRACRPC_TEST_MYSQL'}
#: the backends asked for; TRACRPC_TEST_BACKENDS=sqlite limits the runs
REQUESTED = os.environ.get('TRACRPC_TEST_BACKENDS',
                           'sqlite,postgres,mysql').split(',')
#: the backends to run on: those asked for that have a DSN
BACKENDS = [backend for backend in REQUESTED
            if backend == 'sqlite' or os.environ.get(DSN_VARIABLES[backend])]
#: asked for without a DSN: the summary says so once per backend
UNCONFIGURED = [backend for backend in REQUESTED if backend not in BACKENDS]


def unconfigured_reason(backend):
    variable = DSN_VARIABLES[backend]
    return '%s tests skipped: set %s to a server DSN to run them' \
        % (backend, variable)


class Database(object):
    """A database for one test environment: `uri` for trac.ini,
    `drop()` to remove it."""

    def __init__(self, backend):
        self.backend = backend
        self.name = 'tracrpc_%s' % uuid.uuid4().hex[:12]
        if backend == 'sqlite':
            self.uri = 'sqlite:db/trac.db'
            return
        variable = DSN_VARIABLES[backend]
        dsn = os.environ.get(variable)
        if not dsn:
            pytest.skip(unconfigured_reason(backend))
        self.parts = urlsplit(dsn)
        try:
            getattr(self, '_create_' + backend)()
        except Exception as e:  # no driver, or the server does not answer
            pytest.skip('%s tests skipped: %s=%s is not usable: %s'
                        % (backend, variable, dsn, e))

    def _create_postgres(self):
        import psycopg2
        self._connect = lambda: psycopg2.connect(
            host=self.parts.hostname, port=self.parts.port or 5432,
            user=self.parts.username, password=self.parts.password,
            dbname=self.parts.path.lstrip('/'))
        self._connect().close()
        self.uri = urlunsplit(self.parts._replace(query='schema=' +
                                                  self.name))

    def _create_mysql(self):
        import pymysql
        self._connect = lambda: pymysql.connect(
            host=self.parts.hostname, port=self.parts.port or 3306,
            user=self.parts.username, password=self.parts.password or '')
        self._execute('CREATE DATABASE %s CHARACTER SET utf8mb4 '
                      'COLLATE utf8mb4_bin' % self.name)
        self.uri = urlunsplit(self.parts._replace(path='/' + self.name))

    def _execute(self, sql):
        connection = self._connect()
        try:
            if self.backend == 'mysql':
                connection.autocommit(True)
            else:
                connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def drop(self):
        if self.backend == 'postgres':
            self._execute('DROP SCHEMA IF EXISTS %s CASCADE' % self.name)
        elif self.backend == 'mysql':
            self._execute('DROP DATABASE IF EXISTS %s' % self.name)
