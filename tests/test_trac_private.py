"""Each private part of Trac the plugin relies on
(`tracrpc.trac_private`), checked against Trac itself: when a Trac
release renames or changes one, its test here fails and names it."""

from datetime import datetime

import pytest
from trac.core import Component, implements
from trac.test import EnvironmentStub
from trac.ticket.api import ITicketActionController
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


class OddTicketsHidden(object):
    """A fine-grained policy: TICKET_VIEW refused on odd tickets, and
    every question it is asked counted."""

    def __init__(self):
        self.questions = 0

    def check_permission(self, action, username, resource, perm):
        self.questions += 1
        if action == 'TICKET_VIEW' and resource and resource.id:
            return False if resource.id % 2 else None
        return None


def test_permission_checker_decides_as_the_permission_cache(monkeypatch):
    from trac.perm import PermissionCache, PermissionSystem
    from trac.resource import Resource
    env = EnvironmentStub(enable=['trac.*'])
    PermissionSystem(env).grant_permission('joe', 'TICKET_VIEW')
    policy = OddTicketsHidden()
    system_policies = list(PermissionSystem(env).policies)
    monkeypatch.setattr(PermissionSystem, 'policies',
                        [policy] + system_policies)
    expected = {tid: 'TICKET_VIEW' in PermissionCache(env, 'joe')(
        'ticket', tid) for tid in range(1, 7)}
    assert expected == {1: False, 2: True, 3: False, 4: True, 5: False,
                        6: True}
    perm = PermissionCache(env, 'joe')
    check = trac_private.permission_checker(perm, 'TICKET_VIEW')
    assert {tid: check(Resource('ticket', tid)) for tid in range(1, 7)} \
        == expected
    assert not trac_private.permission_checker(
        PermissionCache(env, 'ann'), 'TICKET_VIEW')(Resource('ticket', 2))
    # The decisions are the permission cache's: asked again, it answers
    # from them without asking the policies.
    asked = policy.questions
    assert [('TICKET_VIEW' in perm('ticket', tid)) for tid in range(1, 7)] \
        == [expected[tid] for tid in range(1, 7)]
    assert policy.questions == asked


def test_an_empty_repository_table_stays_loaded_until_trac_reloads_it():
    from trac.versioncontrol.api import RepositoryManager
    env = EnvironmentStub()
    manager = RepositoryManager(env)
    assert manager.get_all_repositories() == {}
    trac_private.keep_empty_repository_table(env)
    env.config.set('repositories', 'project.dir', '/var/svn/project')
    assert manager.get_all_repositories() == {}  # kept, as a full table is
    manager.reload_repositories()
    assert list(manager.get_all_repositories()) == ['project']


class OwnerToNobody(Component):
    """A second workflow controller for "accept", at odds with Trac's."""

    implements(ITicketActionController)

    def get_ticket_actions(self, req, ticket):
        return [(0, 'accept')]

    def get_all_status(self):
        return []

    def render_ticket_action_control(self, req, ticket, action):
        return 'accept', None, None

    def get_ticket_changes(self, req, ticket, action):
        return {'owner': 'nobody'}

    def apply_action_side_effects(self, req, ticket, action):
        pass


@pytest.mark.parametrize('action', ['leave', 'resolve', 'reassign',
                                    'accept'])
@pytest.mark.parametrize('priority', [None, 'critical'])
@pytest.mark.parametrize('controllers', [
    'ConfigurableTicketWorkflow', 'ConfigurableTicketWorkflow,OwnerToNobody'])
def test_workflow_changes_are_the_ticket_modules_without_labels(
        action, priority, controllers):
    from trac.test import MockRequest
    from trac.ticket.web_ui import TicketModule
    env = EnvironmentStub(default_data=True,
                          enable=['trac.*', OwnerToNobody])
    env.config.set('ticket', 'workflow', controllers)
    ticket = Ticket(env)
    ticket.populate({'summary': 'S', 'reporter': 'ann', 'owner': 'bob',
                     'status': 'new'})
    ticket.insert()
    req = MockRequest(env, authname='joe', args={
        'action_resolve_resolve_resolution': 'wontfix',
        'action_reassign_reassign_owner': 'cid'})
    if priority:
        ticket['priority'] = priority
    expected, expected_problems = TicketModule(env).get_ticket_changes(
        req, ticket, action)
    for change in expected.values():
        del change['label']
    assert trac_private.workflow_changes(env, req, ticket, action) == \
        (expected, expected_problems)
    assert expected or action == 'leave' and not priority
    if action == 'accept' and 'OwnerToNobody' in controllers:
        assert expected_problems  # the conflict is compared too
