# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The token panels: each user's own in Preferences, everyone's in the
admin area, and `trac-admin ENV rpc token ...` for scripts."""

from datetime import datetime, timedelta

from trac.admin.api import IAdminCommandProvider, IAdminPanelProvider
from trac.core import Component, TracError, implements
from trac.prefs.api import IPreferencePanelProvider
from trac.util.datefmt import utc
from trac.util.text import print_table, printout
from trac.util.translation import gettext as trac_gettext
from trac.web.chrome import add_notice, add_script

from tracrpc.tokens import TokenAuthenticator, TokenStore
from tracrpc.util import _, add_plugin_domain

__all__ = ['TokenPreferencesPanel', 'TokenAdminPanel', 'TokenAdminCommands']


def _expiry(days):
    """The expiry date `days` (text) days from now; `None` for none."""
    days = (days or '').strip()
    if not days:
        return None
    if not days.isdigit() or not 0 < int(days) <= 36500:
        raise TracError(_('The expiry must be a number of days (1-36500), '
                          'or empty for none.'))
    return datetime.now(utc) + timedelta(days=int(days))


class TokenPreferencesPanel(Component):
    """Preferences › API tokens: make a token (shown once), see when and
    from where each was last used, revoke it."""

    implements(IPreferencePanelProvider)

    def __init__(self):
        add_plugin_domain(self.env)

    # IPreferencePanelProvider

    def get_preference_panels(self, req):
        if req.is_authenticated and 'XML_RPC' in req.perm:
            yield 'rpctokens', _('API tokens')

    def render_preference_panel(self, req, panel):
        req.perm.require('XML_RPC')
        store = TokenStore(self.env)
        data = {'new_token': None, 'problem': None, 'typed': {}}
        if req.method == 'POST' and 'revoke' in req.args:
            if store.revoke(req.args.getint('revoke'), req.authname):
                add_notice(req, _('The token is revoked.'))
            req.redirect(req.href.prefs(panel))
        if req.method == 'POST' and 'create' in req.args:
            self._create(req, store, data)
        data['tokens'] = store.tokens(req.authname)
        data['rpc_url'] = req.abs_href.rpc()
        add_script(req, 'tracrpc/rpc-tokens.js')
        return 'prefs_rpc_tokens.html', data

    def _create(self, req, store, data):
        """Make the token the form asks for; a form that cannot make one
        comes back with the problem beside its field and what was
        typed."""
        typed = {'name': req.args.get('name', ''),
                 'expires_days': req.args.get('expires_days', ''),
                 'readonly': req.args.getbool('readonly', False)}
        field = 'expires_days'
        try:
            expires = _expiry(typed['expires_days'])
            field = 'name'
            data['new_token'] = store.create(req.authname, typed['name'],
                                             readonly=typed['readonly'],
                                             expires=expires)[0]
        except TracError as e:
            data['problem'] = {'field': field, 'message': str(e)}
            data['typed'] = typed


class TokenAdminPanel(Component):
    """Admin › API tokens: every user's tokens, each revocable."""

    implements(IAdminPanelProvider)

    def __init__(self):
        add_plugin_domain(self.env)

    # IAdminPanelProvider

    def get_admin_panels(self, req):
        if 'TRAC_ADMIN' in req.perm('admin', 'general/rpctokens'):
            yield ('general', trac_gettext('General'), 'rpctokens',
                   _('API tokens'))

    def render_admin_panel(self, req, category, page, path_info):
        req.perm('admin', 'general/rpctokens').require('TRAC_ADMIN')
        store = TokenStore(self.env)
        if req.method == 'POST' and 'revoke' in req.args:
            if store.revoke(req.args.getint('revoke')):
                add_notice(req, _('The token is revoked.'))
            req.redirect(req.href.admin(category, page))
        add_script(req, 'tracrpc/rpc-tokens.js')
        return 'admin_rpc_tokens.html', {'tokens': store.tokens()}


class TokenAdminCommands(Component):
    """`trac-admin ENV rpc token list|create|revoke`."""

    implements(IAdminCommandProvider)

    # IAdminCommandProvider

    def get_admin_commands(self):
        yield ('rpc token list', '[user]',
               'List API tokens (of one user, or of all)',
               None, self._list)
        yield ('rpc token create', '<user> <name> [readonly] [days]',
               """Make an API token for a user and print it

               It is shown only now. With `readonly` it can call only
               methods that change nothing; with a number of days it
               expires after them.""",
               None, self._create)
        yield ('rpc token revoke', '<id>', 'Revoke the API token <id>',
               None, self._revoke)

    def _list(self, user=None):
        """The tokens; the owner of an orphaned one (its account deleted
        in TracAccountManager, so it no longer works) is marked."""
        exists = TokenAuthenticator(self.env).owner_exists
        print_table([(token['id'], token['username'] if exists(
                          token['username']) else
                      '%s (deleted: orphaned)' % token['username'],
                      token['name'],
                      'read-only' if token['readonly'] else 'full',
                      _when(token['created']), _when(token['expires']),
                      _when(token['last_used']), token['last_address'])
                     for token in TokenStore(self.env).tokens(user)],
                    ['Id', 'User', 'Name', 'Scope', 'Created', 'Expires',
                     'Last used', 'From'])

    def _create(self, user, name, *options):
        readonly = 'readonly' in options
        days = [option for option in options if option != 'readonly']
        if len(days) > 1:
            raise TracError('Unknown options: %s' % ' '.join(days))
        token, id = TokenStore(self.env).create(
            user, name, readonly, _expiry(days[0] if days else None))
        printout(token)
        printout(_CALL_WITH_TOKEN % {
            'token': token,
            'url': (self.env.base_url or 'https://YOUR-TRAC').rstrip('/')})

    def _revoke(self, id):
        if not id.isdigit() or not TokenStore(self.env).revoke(int(id)):
            raise TracError('No token %s' % id)


#: what `rpc token create` prints after the token: a call to copy
_CALL_WITH_TOKEN = """
It is shown only now. Send it to /rpc (not /login/rpc: a web server that
asks for passwords there, like tracd --basic-auth, refuses it first):

  curl -s -H 'Authorization: Bearer %(token)s' \\
       -H 'Content-Type: application/json' \\
       -d '{"method": "system.getAPIVersion", "id": 1}' %(url)s/rpc"""


def _when(value):
    return value.strftime('%Y-%m-%d %H:%M') if value else '-'
