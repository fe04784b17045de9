"""Each private part of Trac the plugin relies on
(`tracrpc.trac_private`), checked against Trac itself: when a Trac
release renames or changes one, its test here fails and names it."""

from datetime import datetime

from trac.test import EnvironmentStub
from trac.ticket.model import Ticket
from trac.util.datefmt import to_utimestamp, utc

from tracrpc import trac_private


def test_search_terms_are_split_as_the_search_page_splits_them():
    env = EnvironmentStub()
    assert trac_private.search_terms(env, 'crash "on save" \'x y\'') == \
        ['crash', 'on save', 'x y']


def test_changed_fields_are_what_the_model_will_save():
    env = EnvironmentStub(default_data=True)
    ticket = Ticket(env)
    ticket['summary'] = 'S'
    ticket.insert()
    assert trac_private.changed_fields(ticket) == set()
    ticket['priority'] = 'critical'
    ticket['keywords'] = 'k'
    assert trac_private.changed_fields(ticket) == {'priority', 'keywords'}
    ticket.save_changes('me')
    assert trac_private.changed_fields(ticket) == set()


def test_stored_custom_dates_are_read_as_the_model_reads_them():
    moment = datetime(2024, 5, 1, 12, 30, 15, 250000, utc)
    assert trac_private.stored_custom_datetime(
        str(to_utimestamp(moment))) == moment
    assert trac_private.stored_custom_datetime(None) is None
    assert trac_private.stored_custom_datetime('2024-05-01T12:30:15Z') == \
        moment.replace(microsecond=0)


def test_plugin_domains_are_those_added_for_the_environment(tmp_path):
    from trac.util.translation import add_domain
    env_path, other = str(tmp_path / 'env'), str(tmp_path / 'other')
    add_domain('tracrpc_test', env_path, str(tmp_path / 'locale'))
    assert trac_private.plugin_domains(env_path) == \
        {('tracrpc_test', str(tmp_path / 'locale'))}
    assert trac_private.plugin_domains(other) == frozenset()
