# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Managing webhooks: Admin › Webhooks, `trac-admin ENV rpc webhook ...`
and the `webhook` RPC namespace, all for TRAC_ADMIN."""

import signal
import threading

from trac.admin.api import IAdminCommandProvider, IAdminPanelProvider
from trac.core import Component, TracError, implements
from trac.resource import ResourceNotFound
from trac.util.datefmt import from_utimestamp
from trac.util.text import print_table, printout
from trac.util.translation import gettext as trac_gettext
from trac.web.chrome import add_notice, add_script

from tracrpc.api import AbstractRPCHandler, InvalidParams, expose_rpc
from tracrpc.feed import ChangeFeed
from tracrpc.webhooks import WebhookStore, WebhookWorker
from tracrpc.util import _, add_plugin_domain

__all__ = ['WebhookAdminPanel', 'WebhookAdminCommands', 'WebhookRPC']

#: the kinds of change a subscription may filter on
KINDS = ('created', 'changed', 'deleted', 'renamed', 'comment_edited',
         'change_deleted', 'version_deleted')
REALMS = ('ticket', 'wiki', 'attachment', 'milestone', 'component',
          'version', 'priority', 'resolution', 'severity', 'ticket_type')


def _checked(kind, values, known):
    unknown = [value for value in values if value not in known]
    if unknown:
        raise TracError('Unknown %s: %s (known: %s)'
                        % (kind, ', '.join(unknown), ', '.join(known)))
    return values


def _listed(text):
    return [item.strip() for item in (text or '').split(',')
            if item.strip()]


class WebhookAdminPanel(Component):
    """Admin › Webhooks: subscribe a URL (its secret shown once), pause,
    remove, and each subscription's delivery log with "Redeliver"."""

    implements(IAdminPanelProvider)

    def __init__(self):
        add_plugin_domain(self.env)

    # IAdminPanelProvider

    def get_admin_panels(self, req):
        if 'TRAC_ADMIN' in req.perm('admin', 'general/rpcwebhooks'):
            yield ('general', trac_gettext('General'), 'rpcwebhooks',
                   _('Webhooks'))

    def render_admin_panel(self, req, category, page, path_info):
        req.perm('admin', 'general/rpcwebhooks').require('TRAC_ADMIN')
        store = WebhookStore(self.env)
        data = {'new_secret': None, 'problem': None, 'typed': {},
                'realms': REALMS, 'kinds': KINDS, 'webhook': None}
        if path_info and path_info.isdigit():
            return self._log_page(req, store, int(path_info), data)
        if req.method == 'POST':
            self._act(req, store, data, category, page)
        data['webhooks'] = store.webhooks()
        data['last_number'] = ChangeFeed(self.env).last_number()
        add_script(req, 'tracrpc/rpc-tokens.js')
        return 'admin_rpc_webhooks.html', data

    def _act(self, req, store, data, category, page):
        if 'remove' in req.args:
            if store.delete(req.args.getint('remove')):
                add_notice(req, _('The webhook is removed.'))
        elif 'toggle' in req.args:
            webhook = store.get(req.args.getint('toggle'))
            if webhook:
                store.update(webhook['id'], active=not webhook['active'])
        elif 'create' in req.args:
            typed = {'url': req.args.get('url', '').strip(),
                     'realms': req.args.getlist('realms'),
                     'kinds': req.args.getlist('kinds'),
                     'username': req.args.get('username', '').strip() or
                     req.authname,
                     'description': req.args.get('description', '')}
            try:
                data['new_secret'] = store.create(
                    typed['url'], _checked('realms', typed['realms'], REALMS),
                    _checked('kinds', typed['kinds'], KINDS),
                    typed['username'], typed['description'])[1]
                return
            except TracError as e:
                data['problem'] = str(e)
                data['typed'] = typed
                return
        req.redirect(req.href.admin(category, page))

    def _log_page(self, req, store, id, data):
        webhook = store.get(id)
        if webhook is None:
            raise TracError(_('No webhook %(id)s', id=id))
        if req.method == 'POST' and 'redeliver' in req.args:
            store.redeliver(req.args.getint('redeliver'))
            add_notice(req, _('The change is queued: the next run of the '
                              'webhook worker delivers it again.'))
            req.redirect(req.href.admin('general', 'rpcwebhooks', id))
        data['webhook'] = webhook
        data['deliveries'] = [dict(entry, last_attempt=from_utimestamp(
            entry['last_attempt']) if entry['last_attempt'] else None)
            for entry in store.deliveries(id)]
        return 'admin_rpc_webhooks.html', data


class WebhookAdminCommands(Component):
    """`trac-admin ENV rpc webhook add|list|remove|enable|disable|log|
    redeliver|run`."""

    implements(IAdminCommandProvider)

    # IAdminCommandProvider

    def get_admin_commands(self):
        yield ('rpc webhook add',
               '<url> [realms=r1,r2] [kinds=k1,k2] [user=name]',
               """Subscribe a URL to the change feed and print its secret

               It is shown only now. `realms` and `kinds` filter the
               changes (default: all); `user` (default: admin) is whose
               view permissions filter them.""",
               None, self._add)
        yield ('rpc webhook list', '', 'List the webhook subscriptions',
               None, self._list)
        yield ('rpc webhook remove', '<id>', 'Remove a webhook',
               None, self._remove)
        yield ('rpc webhook enable', '<id>', 'Resume delivering to a webhook',
               None, lambda id: self._activate(id, True))
        yield ('rpc webhook disable', '<id>', 'Pause delivering to a webhook',
               None, lambda id: self._activate(id, False))
        yield ('rpc webhook log', '<id>',
               'Show the delivery log of a webhook, newest first',
               None, self._log)
        yield ('rpc webhook redeliver', '<delivery-id>',
               'Queue a logged delivery to be made again',
               None, self._redeliver)
        yield ('rpc webhook run', '[once] [interval=seconds]',
               """Deliver webhooks until interrupted

               Run as many as you like, on one host or many: they share
               the work through the database. `once` delivers what is
               due and stops.""",
               None, self._run)

    def _add(self, url, *options):
        settings = _options(options, ('realms', 'kinds', 'user'))
        id, secret = WebhookStore(self.env).create(
            url, _checked('realms', _listed(settings.get('realms')), REALMS),
            _checked('kinds', _listed(settings.get('kinds')), KINDS),
            settings.get('user') or 'admin')
        printout('Webhook %d: %s' % (id, url))
        printout('Secret (shown only now): %s' % secret)

    def _list(self):
        print_table([(webhook['id'], webhook['url'],
                      ','.join(webhook['realms']) or '*',
                      ','.join(webhook['kinds']) or '*', webhook['username'],
                      'active' if webhook['active'] else 'paused',
                      webhook['delivered_seq'])
                     for webhook in WebhookStore(self.env).webhooks()],
                    ['Id', 'URL', 'Realms', 'Kinds', 'User', 'State',
                     'Delivered up to'])

    def _remove(self, id):
        if not id.isdigit() or not WebhookStore(self.env).delete(int(id)):
            raise TracError('No webhook %s' % id)

    def _activate(self, id, active):
        if not id.isdigit() or not WebhookStore(self.env).update(
                int(id), active=active):
            raise TracError('No webhook %s' % id)

    def _log(self, id):
        if not id.isdigit() or WebhookStore(self.env).get(int(id)) is None:
            raise TracError('No webhook %s' % id)
        print_table([(entry['id'], entry['message_id'], entry['status'],
                      entry['attempts'], entry['response_code'] or '-',
                      '%d ms' % entry['duration_ms'], entry['error'])
                     for entry in WebhookStore(self.env).deliveries(int(id))],
                    ['Id', 'Message', 'Status', 'Attempts', 'Code',
                     'Duration', 'Error'])

    def _redeliver(self, delivery_id):
        if not delivery_id.isdigit():
            raise TracError('No delivery %s' % delivery_id)
        WebhookStore(self.env).redeliver(int(delivery_id))

    def _run(self, *options):
        settings = _options([option for option in options
                             if option != 'once'], ('interval',))
        worker = WebhookWorker(self.env)
        if 'once' in options:
            printout('%d deliveries' % worker.run_once())
            return
        try:
            interval = float(settings.get('interval', 1))
        except ValueError:
            raise TracError('interval must be a number of seconds')
        printout('Delivering webhooks (Ctrl-C or SIGTERM stops)...')
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *args: stop.set())
        worker.run(interval, stop)
        printout('Stopped.')


def _options(options, known):
    settings = {}
    for option in options:
        name, equals, value = option.partition('=')
        if not equals or name not in known:
            raise TracError('Unknown option %r (known: %s)'
                            % (option, ', '.join('%s=...' % name
                                                 for name in known)))
        settings[name] = value
    return settings


class WebhookRPC(AbstractRPCHandler):
    """Webhooks: subscriptions of URLs to the change feed (`changes.get`),
    each change POSTed as signed JSON (Standard Webhooks 1.0) by the
    webhook worker (`trac-admin ENV rpc webhook run`)."""

    def xmlrpc_namespace(self):
        return 'webhook'

    @expose_rpc('TRAC_ADMIN', list, readonly=True, result='Webhook[]')
    def getAll(self, req):
        """Return every subscription as a struct with `id`, `url`,
        `realms`, `kinds`, `username`, `description`, `active`,
        `created` and `delivered` (the cursor of the last change handled),
        never its secret."""
        return [_public(webhook) for webhook in WebhookStore(self.env)
                .webhooks()]

    @expose_rpc('TRAC_ADMIN', dict, int, readonly=True, result='Webhook')
    def get(self, req, id):
        """Return subscription `id` (as `getAll` does)."""
        return _public(self._webhook(id))

    @expose_rpc('TRAC_ADMIN', dict, str, dict, readonly=False,
                result='NewWebhook')
    def create(self, req, url, attributes):
        """Subscribe `url` and return it with its `secret` (`whsec_...`:
        shown only now; receivers verify signatures with it).
        `attributes` may hold `realms` and `kinds` (arrays; empty: all),
        `username` (whose view permissions filter the changes; default:
        you), `description` and `active` (default true). Targets on
        loopback, private or link-local addresses are refused unless
        `[rpc] webhook_allow_private` is true."""
        fields = self._attributes(attributes)
        try:
            id, secret = WebhookStore(self.env).create(
                url, fields.get('realms', ()), fields.get('kinds', ()),
                fields.get('username') or req.authname,
                fields.get('description', ''), fields.get('active', True))
        except TracError as e:
            raise InvalidParams(str(e))
        return dict(self.get(req, id), secret=secret)

    @expose_rpc('TRAC_ADMIN', dict, int, dict, readonly=False,
                result='Webhook')
    def update(self, req, id, attributes):
        """Change the `url`, `realms`, `kinds`, `username`, `description`
        or `active` of subscription `id`; return it."""
        self._webhook(id)
        fields = self._attributes(attributes)
        try:
            WebhookStore(self.env).update(id, **fields)
        except TracError as e:
            raise InvalidParams(str(e))
        return self.get(req, id)

    @expose_rpc('TRAC_ADMIN', bool, int, readonly=False)
    def delete(self, req, id):
        """Remove subscription `id` and its delivery log."""
        self._webhook(id)
        return WebhookStore(self.env).delete(id)

    @expose_rpc('TRAC_ADMIN', list, int, readonly=True,
                result='WebhookDelivery[]')
    def getDeliveries(self, req, id):
        """Return the delivery log of subscription `id`, newest first:
        structs with `id`, `message_id` (the `webhook-id` sent),
        `status`, `attempts`, `last_attempt`, `response_code`,
        `response_body` (its first 256 bytes), `duration_ms` and
        `error`. `status` is `delivered`, `retrying`, `failed` (retried
        for `[rpc] webhook_retry_hours`, then given up) or `queued` (to
        be delivered again)."""
        self._webhook(id)
        return [_public_delivery(entry) for entry
                in WebhookStore(self.env).deliveries(id)]

    @expose_rpc('TRAC_ADMIN', int, int, readonly=False)
    def redeliver(self, req, delivery_id):
        """Queue the change of delivery `delivery_id` to be delivered once
        more, with the same `webhook-id`; return the new log entry's
        id."""
        try:
            return WebhookStore(self.env).redeliver(delivery_id)
        except TracError as e:
            raise ResourceNotFound(str(e)) from None

    def _webhook(self, id):
        webhook = WebhookStore(self.env).get(id)
        if webhook is None:
            raise ResourceNotFound('No webhook %d' % id)
        return webhook

    def _attributes(self, attributes):
        known = ('url', 'realms', 'kinds', 'username', 'description',
                 'active')
        unknown = sorted(set(attributes) - set(known))
        if unknown:
            raise InvalidParams('unknown attribute(s) %s; known: %s'
                                % (', '.join(unknown), ', '.join(known)))
        fields = dict(attributes)
        try:
            for name, known_values in (('realms', REALMS), ('kinds', KINDS)):
                if name in fields:
                    if not isinstance(fields[name], list):
                        raise TracError('%s must be an array' % name)
                    _checked(name, [str(value) for value in fields[name]],
                             known_values)
        except TracError as e:
            raise InvalidParams(str(e))
        return fields


def _public(webhook):
    return {'id': webhook['id'], 'url': webhook['url'],
            'realms': webhook['realms'], 'kinds': webhook['kinds'],
            'username': webhook['username'],
            'description': webhook['description'],
            'active': webhook['active'],
            'created': from_utimestamp(webhook['created']),
            'delivered': str(webhook['delivered_seq'])}


def _public_delivery(entry):
    return {'id': entry['id'], 'message_id': entry['message_id'],
            'status': entry['status'], 'attempts': entry['attempts'],
            'last_attempt': from_utimestamp(entry['last_attempt'])
            if entry['last_attempt'] else 0,
            'response_code': entry['response_code'] or 0,
            'response_body': entry['response_body'] or '',
            'duration_ms': entry['duration_ms'] or 0,
            'error': entry['error'] or ''}
