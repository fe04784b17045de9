# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The private parts of Trac 1.6 the plugin relies on, in one place.

Each is used where Trac has no public way to the same behaviour, and
each has a test in `tests/test_trac_private.py` that fails loudly when
a Trac release changes it (Trac is pinned below 1.7).
"""

from trac.perm import PermissionCache, PermissionSystem
from trac.search.web_ui import SearchModule
from trac.ticket import model
from trac.ticket.web_ui import TicketModule
from trac.util import translation
from trac.versioncontrol.api import RepositoryManager

__all__ = ['search_terms', 'changed_fields', 'stored_custom_datetime',
           'plugin_domains', 'permission_checker',
           'keep_empty_repository_table', 'workflow_changes']


def search_terms(env, query):
    """The terms of a search query as Trac's search page splits them
    (words, or phrases in single or double quotes)."""
    return SearchModule(env)._get_search_terms(query)


def changed_fields(ticket):
    """The names of the fields of `ticket` changed since it was loaded
    (Trac keeps their old values in `_old`; `save_changes` reads it)."""
    return set(ticket._old)


def stored_custom_datetime(value):
    """The value of a custom time field as stored in `ticket_custom`
    (microseconds, or an older text date), as Trac's ticket model reads
    it: an aware `datetime`, or `None`."""
    return model._db_str_to_datetime(value)


def plugin_domains(env_path):
    """The message domains plugins added for `env_path` (`add_domain`),
    as `(domain, catalog directory)` pairs: what Trac's activation loads
    besides its own catalogs."""
    proxy = translation.translations
    with proxy._plugin_domains_lock:
        return frozenset(proxy._plugin_domains.get(env_path, {}).items())


def permission_checker(perm, action):
    """A function `check(resource)` answering `action in perm(resource)`
    as Trac's permission cache `perm` answers it, remembering each
    decision in the same cache, but with the permission policies looked
    up once: Trac reads `[trac] permission_policies` from the
    configuration again for every check, most of the cost of checking a
    thousand tickets one by one."""
    env, username, cache = perm.env, perm.username, perm._cache
    policies = PermissionSystem(env).policies

    def check(resource):
        key = (username, hash(resource), action)
        cached = cache.get(key)
        if cached and cached[1] == resource:
            return cached[0]
        # As Trac does: a policy asking the same question again while
        # this one is decided is refused instead of recursing.
        cache[key] = (False, resource)
        resource_perm = PermissionCache(env, username, resource, cache)
        decision = False
        for policy in policies:
            answer = policy.check_permission(action, username, resource,
                                             resource_perm)
            if answer is not None:
                decision = answer
                break
        cache[key] = (decision, resource)
        return decision
    return check


class _NoRepositories(dict):
    """An empty repository table that still counts as loaded."""

    def __bool__(self):
        return True


def keep_empty_repository_table(env):
    """Let Trac's repository manager keep an empty repository table.

    `RepositoryManager.get_all_repositories` caches the table only when
    it is not empty (`if not self._all_repositories`): in an environment
    without repositories, every request reads `[repositories]` and the
    repository table again from its `pre_process_request`. The table
    is dropped as Trac drops a full one (`reload_repositories`, and a
    changed trac.ini reopens the environment)."""
    manager = RepositoryManager(env)
    if type(manager._all_repositories) is dict and \
            not manager._all_repositories:
        manager._all_repositories = _NoRepositories()


#: Trac's gettext, under a name our catalog's extraction does not take:
#: the conflict message is Trac's, translated by Trac's catalog
_trac_gettext = translation._


def workflow_changes(env, req, ticket, action):
    """`TicketModule.get_ticket_changes(req, ticket, action)` without the
    field labels: `({field: {'old', 'new', 'by'}}, problems)`, the
    user's changes and those of the action's controllers, conflicts
    between controllers as Trac words them. Trac looks the labels up
    through a deep copy of every field definition, a tenth of the cost
    of a `ticket.create`."""
    changes, problems = {}, []
    for field, value in ticket._old.items():
        changes[field] = {'old': value or '', 'new': ticket[field],
                          'by': 'user'}
    controllers = TicketModule(env)._get_action_controllers(req, ticket,
                                                            action)
    for controller in controllers:
        name = controller.__class__.__name__
        for field, new in controller.get_ticket_changes(req, ticket,
                                                        action).items():
            last = changes.get(field)
            if last and last['new'] != new and last['by']:
                problems.append(_trac_gettext(
                    '%(controller1)s changed "%(key)s" to "%(val1)s", but '
                    '%(controller2)s changed it to "%(val2)s".',
                    controller1=name, key=field, val1=new,
                    controller2=last['by'], val2=last['new']))
            changes[field] = {'old': ticket[field], 'new': new, 'by': name}
    return ({field: change for field, change in changes.items()
             if change['old'] != change['new']}, problems)
