# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `user` and `permission` namespaces: who is known, who a ticket
can be assigned to, and Trac's permissions, with the rules of Trac's own
admin panel."""

from trac.perm import PermissionExistsError, PermissionSystem
from trac.resource import ResourceNotFound
from trac.ticket.api import TicketSystem
from trac.ticket.model import Ticket
from trac.web.chrome import Chrome

from tracrpc.api import AbstractRPCHandler, InvalidParams, checked_per, \
                        expose_rpc

__all__ = ['UserRPC', 'PermissionRPC']


def _valid_subject(subject):
    if not subject.strip() or subject != subject.strip():
        raise InvalidParams('a subject must be a user or group name, not '
                            '"%s"' % subject)
    if subject.isupper():
        raise InvalidParams('"%s" is all upper case, which Trac reads as a '
                            'permission action, not a user or group'
                            % subject)


class UserRPC(AbstractRPCHandler):
    """The users Trac knows (those who logged in, with the name and email
    of their preferences) and the owners a ticket can be assigned to.
    Email addresses are given only where Trac would show them (`[trac]
    show_email_addresses`, or EMAIL_VIEW); otherwise they are empty."""

    def xmlrpc_namespace(self):
        return 'user'

    @expose_rpc('TICKET_VIEW', list, readonly=True, result='User[]')
    def getAll(self, req):
        """Return the known users as `[[username, name, email], ...]`,
        sorted by user name (`name` empty where Trac shows no full names,
        `[trac] show_full_names`)."""
        show = self._show_emails(req)
        names = self._show_names()
        return [[username, (name or '') if names else '',
                 (email or '') if show else '']
                for username, name, email in self.env.get_known_users()]

    @expose_rpc('TICKET_VIEW', list, str, readonly=True, result='User')
    def get(self, req, username):
        """Return a known user as `[username, name, email]`."""
        known = self.env.get_known_users(as_dict=True)
        if username not in known:
            raise ResourceNotFound('User "%s" is not known' % username)
        name, email = known[username]
        return [username, (name or '') if self._show_names() else '',
                (email or '') if self._show_emails(req) else '']

    @expose_rpc(None, list, int, readonly=True, result='string[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def getOwners(self, req, id):
        """Return the user names a ticket can be assigned to, sorted: with
        `[ticket] restrict_owner` the users allowed to own it (as the
        ticket form's owner list), otherwise every known user."""
        if not Ticket.id_is_valid(id):
            raise ResourceNotFound('Ticket %s does not exist.' % id)
        req.perm('ticket', id).require('TICKET_VIEW')
        ticket = Ticket(self.env, id)
        owners = TicketSystem(self.env).get_allowed_owners(ticket)
        if owners is None:
            owners = [username for username, name, email
                      in self.env.get_known_users()]
        return sorted(owners)

    def _show_emails(self, req):
        return Chrome(self.env).show_email_addresses or \
            'EMAIL_VIEW' in req.perm

    def _show_names(self):
        return Chrome(self.env).show_full_names


class PermissionRPC(AbstractRPCHandler):
    """Trac's permissions: the actions there are, what you (or, for
    PERMISSION_ADMIN, anyone) may do, and granting and revoking actions
    with the admin panel's rule: you grant or revoke only actions you
    hold. (Group membership is managed in the admin panel.)"""

    def xmlrpc_namespace(self):
        return 'permission'

    @expose_rpc('XML_RPC', list, readonly=True, result='string[]')
    def getActions(self, req):
        """Return every permission action Trac knows, sorted."""
        return sorted(PermissionSystem(self.env).get_actions())

    @expose_rpc('XML_RPC', list, readonly=True, result='string[]')
    @expose_rpc('XML_RPC', list, str)
    def getUserPermissions(self, req, username=None):
        """Return the actions a user holds (groups and meta permissions
        expanded), sorted: yours, or those of `username` (another user's
        need PERMISSION_ADMIN)."""
        if username is None:
            username = req.authname
        elif username != req.authname:
            req.perm.require('PERMISSION_ADMIN')
        return sorted(PermissionSystem(self.env)
                      .get_user_permissions(username, expand_meta=True))

    @expose_rpc('XML_RPC', bool, str, readonly=True)
    @expose_rpc('XML_RPC', bool, str, str)
    @expose_rpc('XML_RPC', bool, str, str, str)
    def check(self, req, action, realm=None, id=None):
        """Tell whether you may perform `action`, on the whole or on the
        resource `realm`/`id` (e.g. `check("TICKET_MODIFY", "ticket", "5")`),
        through every permission policy, as the web UI decides which
        buttons to show."""
        self._known_action(action)
        perm = req.perm(realm, id) if realm else req.perm
        return action in perm

    @expose_rpc('PERMISSION_ADMIN', list, readonly=True, result='Grant[]')
    @expose_rpc('PERMISSION_ADMIN', list, str)
    def getGrants(self, req, subject=None):
        """Return the grants as `[[subject, action], ...]` (a subject is a
        user or a group), sorted; only those of `subject` when given."""
        return sorted([user, action] for user, action
                      in PermissionSystem(self.env).get_all_permissions()
                      if subject is None or user == subject)

    @expose_rpc('PERMISSION_GRANT', bool, str, str, readonly=False)
    def grant(self, req, subject, action):
        """Grant `action` to `subject` (a user or a group). You must hold
        `action` yourself. As in the admin panel, a subject must not be
        empty, padded with spaces or all upper case (Trac reads such
        names as actions). Returns true."""
        self._may_hand_over(req, action)
        _valid_subject(subject)
        try:
            PermissionSystem(self.env).grant_permission(subject, action)
        except PermissionExistsError:
            raise InvalidParams('"%s" already holds %s' % (subject, action))
        return True

    @expose_rpc('PERMISSION_REVOKE', bool, str, str, readonly=False)
    def revoke(self, req, subject, action):
        """Revoke `action` from `subject`. You must hold `action`
        yourself. Returns true."""
        self._may_hand_over(req, action)
        system = PermissionSystem(self.env)
        if (subject, action) not in system.get_all_permissions():
            raise ResourceNotFound('"%s" was not granted %s'
                                   % (subject, action))
        system.revoke_permission(subject, action)
        return True

    def _known_action(self, action):
        if action not in PermissionSystem(self.env).get_actions():
            raise InvalidParams('unknown action "%s"' % action)

    def _may_hand_over(self, req, action):
        """The admin panel's rule: a known action, held by whoever
        grants or revokes it."""
        self._known_action(action)
        req.perm.require(action)
