"""`tracrpc.ticket_loader.TicketReader` against Trac's own loader,
`Ticket(env, id)`, in-process: the same values for every kind of field,
stored, missing, NULL and defaulted."""

from datetime import datetime

import pytest
from trac.test import EnvironmentStub
from trac.ticket.api import TicketSystem
from trac.ticket.model import Ticket
from trac.util.datefmt import utc

from tracrpc.ticket_loader import CHUNK, TicketReader

CUSTOM_FIELDS = [('estimate', 'text'), ('notes', 'textarea'),
                 ('level', 'select'), ('level.options', 'low|medium|high'),
                 ('level.value', 'medium'),
                 ('size', 'select'), ('size.options', 's|m|l'),
                 ('size.value', '2'),  # a default given by index
                 ('done', 'checkbox'), ('done.value', '1'),
                 ('kind', 'radio'), ('kind.options', 'a|b'),
                 ('due', 'time'), ('due.format', 'datetime'),
                 ('empty_default', 'text')]


@pytest.fixture
def env():
    env = EnvironmentStub(default_data=True)
    for name, value in CUSTOM_FIELDS:
        env.config.set('ticket-custom', name, value)
    TicketSystem(env).reset_ticket_fields()
    yield env
    env.reset_db()


def new_ticket(env, **values):
    ticket = Ticket(env)
    ticket['summary'] = 'loader'
    for name, value in values.items():
        ticket[name] = value
    return ticket.insert()


def read(env, ids):
    with env.db_query as db:
        return TicketReader(env).read(db, ids)


def test_values_as_trac_loads_them(env):
    full = new_ticket(env, estimate='2h', notes='a\r\nb', level='high',
                      size='s', done='0', kind='b', keywords='x y',
                      due=datetime(2030, 5, 6, 7, 8, 9, 123456, utc))
    plain = new_ticket(env)
    bare = new_ticket(env, level='low')
    with env.db_transaction as db:
        # tickets of older Trac versions: no custom rows, NULL fields,
        # a date stored as text
        db("DELETE FROM ticket_custom WHERE ticket=%s", (bare,))
        db("UPDATE ticket SET milestone=NULL, owner=NULL WHERE id=%s",
           (bare,))
        db("UPDATE ticket_custom SET value=NULL WHERE ticket=%s "
           "AND name='notes'", (full,))
        db("INSERT INTO ticket_custom VALUES (%s, 'due', "
           "'2031-01-02T03:04:05Z')", (plain,))
        db("INSERT INTO ticket_custom VALUES (%s, 'retired', 'x')", (plain,))
    loaded = read(env, [full, plain, bare, 999])
    assert sorted(loaded) == [full, plain, bare]
    for tid in (full, plain, bare):
        assert loaded[tid] == Ticket(env, tid).values, tid
    assert loaded[bare]['size'] == 'l' and loaded[bare]['done'] == '1'


def test_more_tickets_than_one_query_takes(env):
    ids = [new_ticket(env, estimate=str(n)) for n in range(CHUNK + 3)]
    loaded = read(env, ids)
    assert [loaded[tid]['estimate'] for tid in ids] == \
        [str(n) for n in range(CHUNK + 3)]
    assert loaded[ids[-1]] == Ticket(env, ids[-1]).values
