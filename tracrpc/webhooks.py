# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Webhooks: the change feed (`tracrpc.feed`) pushed to HTTP receivers.

A subscription names a target URL, a secret, optional realm and kind
filters and the user whose view permissions filter what it gets. Each
change is POSTed as JSON and signed as Standard Webhooks 1.0 says
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), so receivers
verify it with that specification's libraries.

Delivery is the job of workers (`trac-admin ENV rpc webhook run`),
never of web requests. A worker takes a subscription with a lease in the
database (so several workers, on several hosts, never deliver for one
subscription at the same time), delivers its changes in feed order,
and keeps its position in the feed with each delivery. A failed
delivery is retried with exponential backoff for `[rpc]
webhook_retry_hours`; later changes wait behind it, keeping the order.
A worker killed mid-delivery leaves the change to be delivered again
once its lease runs out, with the same `webhook-id`.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
import uuid
from datetime import datetime
from urllib.parse import quote, urlsplit

from trac.config import BoolOption, FloatOption, IntOption
from trac.core import Component, TracError
from trac.db.schema import Column, Index, Table
from trac.perm import PermissionCache
from trac.util.datefmt import to_utimestamp, utc

from tracrpc.feed import ChangeFeed, CursorExpired, may_view
from tracrpc.schema import PluginTables

__all__ = ['WebhookStore', 'WebhookWorker', 'sign', 'TargetRefused']

SCHEMA_NAME = 'tracrpc_webhooks_version'
SCHEMA_VERSION = 1
SCHEMA = [
    Table('rpc_webhook', key='id')[
        Column('id', auto_increment=True),
        Column('url'),
        Column('secret'),
        Column('realms'),
        Column('kinds'),
        Column('username'),
        Column('description'),
        Column('active', type='int'),
        Column('created', type='int64'),
        # the number of the last change handled (delivered or given up)
        Column('delivered_seq', type='int64'),
        Column('lease_owner'),
        Column('lease_until', type='int64'),
        # when the change waiting at the head may be tried again
        Column('next_attempt', type='int64')],
    Table('rpc_webhook_delivery', key='id')[
        Column('id', auto_increment=True),
        Column('webhook', type='int'),
        Column('seq', type='int64'),
        Column('message_id'),
        # retrying, delivered, failed (gave up), queued (to redeliver)
        Column('status'),
        Column('attempts', type='int'),
        Column('first_attempt', type='int64'),
        Column('last_attempt', type='int64'),
        Column('response_code', type='int'),
        Column('response_body'),
        Column('duration_ms', type='int'),
        Column('error'),
        Index(['webhook', 'seq'])],
]

SECRET_PREFIX = 'whsec_'
#: what of a receiver's answer is kept in the delivery log
_BODY_PREFIX = 256
#: what of it is read at all (the rest closes the connection)
_BODY_READ = 64 * 1024
#: delivery log rows kept per subscription
_LOG_ROWS = 500
_WEBHOOK_COLUMNS = ('id', 'url', 'realms', 'kinds', 'username',
                    'description', 'active', 'created', 'delivered_seq')
_DELIVERY_COLUMNS = ('id', 'webhook', 'seq', 'message_id', 'status',
                     'attempts', 'first_attempt', 'last_attempt',
                     'response_code', 'response_body', 'duration_ms',
                     'error')


class TargetRefused(TracError):
    """A webhook target the options do not allow."""


def _now():
    return to_utimestamp(datetime.now(utc))


def new_secret():
    """A secret as Standard Webhooks writes them: `whsec_` and base64 of
    24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret, message_id, timestamp, body):
    """The `webhook-signature` header of `body` (bytes): `v1,` and the
    base64 HMAC-SHA256, keyed with the secret's bytes, of
    `<id>.<timestamp>.<body>`."""
    key = base64.b64decode(secret[len(SECRET_PREFIX):])
    signed = b'%s.%d.%s' % (message_id.encode(), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return 'v1,' + base64.b64encode(digest).decode()


def _split_list(value):
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = (value or '').split(',')
    return sorted({str(item).strip() for item in items if str(item).strip()})


def _blocked_address(address):
    """Whether an IP address is one a webhook must not reach by default:
    loopback, private, link-local, multicast, reserved, unspecified."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or
            ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class WebhookStore(PluginTables):
    """The subscriptions and their delivery log."""

    schema_name, schema_version, schema = SCHEMA_NAME, SCHEMA_VERSION, SCHEMA

    allow_private_targets = BoolOption('rpc', 'webhook_allow_private',
                                       'false',
        """Whether webhooks may target loopback, private and link-local
        addresses (refused by default: a webhook must not become a way
        into the servers behind Trac).""")

    # Targets

    def check_target(self, url):
        """The `(scheme, host, port, addresses)` of `url`; raises
        `TargetRefused` for anything but http(s) to addresses allowed."""
        parts = urlsplit(url or '')
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise TargetRefused('A webhook target must be an http:// or '
                                'https:// URL, not %r.' % (url,))
        if parts.username or parts.password:
            raise TargetRefused('A webhook target URL carries no '
                                'credentials: receivers verify the '
                                'signature.')
        try:
            port = parts.port or (443 if parts.scheme == 'https' else 80)
            infos = socket.getaddrinfo(parts.hostname, port,
                                       type=socket.SOCK_STREAM)
        except (ValueError, OSError) as e:
            raise TargetRefused('The webhook target %s cannot be resolved: '
                                '%s' % (parts.hostname, e))
        addresses = [info[4][0] for info in infos]
        if not self.allow_private_targets:
            blocked = [a for a in addresses if _blocked_address(a)]
            if blocked:
                raise TargetRefused(
                    'The webhook target %s resolves to %s: a loopback, '
                    'private or link-local address, refused unless [rpc] '
                    'webhook_allow_private is true.'
                    % (parts.hostname, ', '.join(sorted(set(blocked)))))
        return parts.scheme, parts.hostname, port, addresses

    # Subscriptions

    def create(self, url, realms=(), kinds=(), username='admin',
               description='', active=True):
        """Subscribe `url`; return `(id, secret)`. The secret is shown
        only now. Changes go out from the end of the feed now on."""
        self.check_target(url)
        if not username:
            raise TracError('A webhook needs the user whose permissions '
                            'filter what it receives.')
        secret = new_secret()
        feed = ChangeFeed(self.env)
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute("""
                INSERT INTO rpc_webhook (url, secret, realms, kinds,
                    username, description, active, created, delivered_seq,
                    lease_owner, lease_until, next_attempt)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', 0, 0)""",
                (url, secret, ','.join(_split_list(realms)),
                 ','.join(_split_list(kinds)), username, description or '',
                 int(bool(active)), _now(), feed.last_number()))
            id = db.get_last_id(cursor, 'rpc_webhook')
        self.log.info("Webhook %d made for %s", id, url)
        return id, secret

    def webhooks(self):
        """Every subscription (dicts, without secrets), by id."""
        return [self._webhook(row) for row in self.env.db_query(
            "SELECT %s FROM rpc_webhook ORDER BY id"
            % ','.join(_WEBHOOK_COLUMNS))]

    def get(self, id):
        """One subscription (without its secret); `None` if there is
        none."""
        for row in self.env.db_query(
                "SELECT %s FROM rpc_webhook WHERE id=%%s"
                % ','.join(_WEBHOOK_COLUMNS), (id,)):
            return self._webhook(row)

    def update(self, id, url=None, realms=None, kinds=None, username=None,
               description=None, active=None):
        """Change what is given of subscription `id`; tell whether there
        was one."""
        changes = {}
        if url is not None:
            self.check_target(url)
            changes['url'] = url
        for name, value in (('realms', realms), ('kinds', kinds)):
            if value is not None:
                changes[name] = ','.join(_split_list(value))
        for name, value in (('username', username),
                            ('description', description)):
            if value is not None:
                changes[name] = value
        if active is not None:
            changes['active'] = int(bool(active))
        if not changes:
            return self.get(id) is not None
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute("UPDATE rpc_webhook SET %s WHERE id=%%s"
                           % ','.join('%s=%%s' % name for name in changes),
                           list(changes.values()) + [id])
            return cursor.rowcount > 0 or self.get(id) is not None

    def delete(self, id):
        """Remove subscription `id` and its log; tell whether there was
        one."""
        with self.env.db_transaction as db:
            db("DELETE FROM rpc_webhook_delivery WHERE webhook=%s", (id,))
            cursor = db.cursor()
            cursor.execute("DELETE FROM rpc_webhook WHERE id=%s", (id,))
            return cursor.rowcount > 0

    def deliveries(self, id, limit=100):
        """The delivery log of subscription `id`, newest first."""
        return [dict(zip(_DELIVERY_COLUMNS, row)) for row in
                self.env.db_query("""
                    SELECT %s FROM rpc_webhook_delivery WHERE webhook=%%s
                    ORDER BY id DESC LIMIT %%s"""
                    % ','.join(_DELIVERY_COLUMNS), (id, limit))]

    def redeliver(self, delivery_id):
        """Queue the change of log entry `delivery_id` to be delivered
        once more (by the next worker); return the new entry's id."""
        for webhook, seq, message_id in self.env.db_query("""
                SELECT webhook, seq, message_id FROM rpc_webhook_delivery
                WHERE id=%s""", (delivery_id,)):
            break
        else:
            raise TracError('No delivery %s' % delivery_id)
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute("""
                INSERT INTO rpc_webhook_delivery (webhook, seq, message_id,
                    status, attempts, first_attempt, last_attempt,
                    response_code, response_body, duration_ms, error)
                VALUES (%s, %s, %s, 'queued', 0, 0, 0, 0, '', 0, '')""",
                (webhook, seq, message_id))
            return db.get_last_id(cursor, 'rpc_webhook_delivery')

    def _webhook(self, row):
        webhook = dict(zip(_WEBHOOK_COLUMNS, row))
        webhook['active'] = bool(webhook['active'])
        webhook['realms'] = _split_list(webhook['realms'])
        webhook['kinds'] = _split_list(webhook['kinds'])
        return webhook


class _Target(http.client.HTTPSConnection):
    """An HTTP(S) connection to an address checked beforehand (not to
    what the name resolves to by the time it connects)."""

    def __init__(self, scheme, host, port, address, connect_timeout,
                 read_timeout):
        super().__init__(host, port, timeout=read_timeout,
                         context=ssl.create_default_context())
        self.tls = scheme == 'https'
        self.address = address
        self.connect_timeout = connect_timeout

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port),
                                             self.connect_timeout)
        self.sock.settimeout(self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            self.sock = self._context.wrap_socket(self.sock,
                                                  server_hostname=self.host)


class WebhookWorker(Component):
    """Delivers the feed to the subscriptions; `run()` is the loop of
    `trac-admin ENV rpc webhook run`."""

    connect_timeout = FloatOption('rpc', 'webhook_connect_timeout', 5,
        """Seconds a webhook delivery waits to connect.""")

    read_timeout = FloatOption('rpc', 'webhook_read_timeout', 10,
        """Seconds a webhook delivery waits for the receiver's answer.""")

    retry_hours = FloatOption('rpc', 'webhook_retry_hours', 24,
        """For how long a delivery that fails is retried (with
        exponential backoff) before it is given up and the next change
        goes out.""")

    retry_delay = FloatOption('rpc', 'webhook_retry_delay', 5,
        """Seconds before the first retry; each retry waits twice as
        long as the one before, up to 10 minutes.""")

    lease_seconds = IntOption('rpc', 'webhook_lease', 60,
        """Seconds a worker holds a subscription without renewing it: a
        worker that died lets others deliver its subscriptions after
        that long.""")

    def __init__(self):
        self.worker_id = '%s:%s' % (socket.gethostname(), uuid.uuid4().hex)
        self._connections = {}
        self._logged = 0
        self._stop = threading.Event()

    def run(self, interval=1.0, stop=None):
        """Deliver until `stop` (a `threading.Event`) is set, looking for
        new changes every `interval` seconds when idle. A delivery under
        way when it is set is finished and recorded first."""
        stop = stop or threading.Event()
        while not stop.is_set():
            if not self.run_once(stop=stop):
                stop.wait(interval)

    def run_once(self, batch=100, stop=None):
        """One pass over the subscriptions: deliver what is due (until
        `stop` is set); return how many deliveries were made."""
        self._stop = stop or threading.Event()
        ChangeFeed(self.env).sync()
        made = 0
        store = WebhookStore(self.env)
        for listed in store.webhooks():
            if self._stop.is_set():
                break
            if listed['active'] and self._claim(listed['id']):
                try:
                    # read again once claimed: another worker may have
                    # delivered since the listing
                    made += self._serve(store.get(listed['id']), batch)
                finally:
                    self._release(listed['id'])
        return made

    # Leases

    def _claim(self, id):
        now = _now()
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute("""
                UPDATE rpc_webhook SET lease_owner=%s, lease_until=%s
                WHERE id=%s AND active=1
                AND (lease_until<%s OR lease_owner=%s)""",
                (self.worker_id, now + self.lease_seconds * 1000000, id,
                 now, self.worker_id))
            return cursor.rowcount == 1

    def _release(self, id):
        self.env.db_transaction("""
            UPDATE rpc_webhook SET lease_owner='', lease_until=0
            WHERE id=%s AND lease_owner=%s""", (id, self.worker_id))

    # Delivering

    def _serve(self, webhook, batch):
        """Deliver what is due for one (claimed) subscription."""
        made = self._redeliver_queued(webhook)
        next_attempt = self.env.db_query(
            "SELECT next_attempt FROM rpc_webhook WHERE id=%s",
            (webhook['id'],))[0][0]
        if next_attempt > _now():
            return made
        perm = PermissionCache(self.env, webhook['username'])

        def wanted(change):
            return ((not webhook['realms'] or
                     change['realm'] in webhook['realms']) and
                    (not webhook['kinds'] or
                     change['kind'] in webhook['kinds']) and
                    may_view(perm, change))
        try:
            changes, last, more = ChangeFeed(self.env).read(
                webhook['delivered_seq'], batch, wanted)
        except CursorExpired as e:
            self.log.warning("Webhook %d: the changes %d-%d were dropped "
                             "([rpc] feed_retention_days) before delivery",
                             webhook['id'], e.number + 1, e.pruned)
            self._advance(webhook['id'], e.pruned)
            return made
        for change in changes:
            if self._stop.is_set():
                return made
            made += 1
            if not self._deliver_in_order(webhook, change):
                return made
        if last > webhook['delivered_seq']:
            self._advance(webhook['id'], last)
        return made

    def _deliver_in_order(self, webhook, change):
        """Deliver the change at the head of the subscription; on
        failure, schedule a retry (or give up once the retry time is
        over). Tell whether the next change may go."""
        id, seq = webhook['id'], change['seq']
        entry = self._entry(id, seq)
        outcome = self._post(webhook, change)
        attempts = (entry['attempts'] if entry else 0) + 1
        first = entry['first_attempt'] if entry else outcome['started']
        given_up = not outcome['ok'] and \
            outcome['started'] - first >= self.retry_hours * 3600e6
        status = 'delivered' if outcome['ok'] else \
            'failed' if given_up else 'retrying'
        with self.env.db_transaction as db:
            if not self._still_mine(db, id):
                return False
            self._log(db, entry, id, seq, status, attempts, first, outcome)
            if status == 'retrying':
                delay = min(self.retry_delay * 2 ** (attempts - 1), 600)
                db("UPDATE rpc_webhook SET next_attempt=%s WHERE id=%s",
                   (_now() + int(delay * 1e6), id))
                return False
            db("""UPDATE rpc_webhook SET delivered_seq=%s, next_attempt=0,
                  lease_until=%s WHERE id=%s""",
               (seq, _now() + self.lease_seconds * 1000000, id))
            webhook['delivered_seq'] = seq
        return True

    def _redeliver_queued(self, webhook):
        feed = ChangeFeed(self.env)
        made = 0
        for entry_id, seq in self.env.db_query("""
                SELECT id, seq FROM rpc_webhook_delivery
                WHERE webhook=%s AND status='queued' ORDER BY id""",
                (webhook['id'],)):
            try:
                changes = feed.read(seq - 1, 1,
                                    lambda change: change['seq'] == seq)[0]
            except CursorExpired:
                changes = []
            if changes:
                outcome = self._post(webhook, changes[0])
            else:
                outcome = {'ok': False, 'started': _now(), 'code': 0,
                           'body': '', 'duration': 0,
                           'error': 'the change is no longer kept'}
            with self.env.db_transaction as db:
                entry = {'id': entry_id}
                self._log(db, entry, webhook['id'], seq,
                          'delivered' if outcome['ok'] else 'failed', 1,
                          outcome['started'], outcome)
            made += 1
        return made

    def _advance(self, id, last):
        self.env.db_transaction("""
            UPDATE rpc_webhook SET delivered_seq=%s
            WHERE id=%s AND lease_owner=%s AND delivered_seq<%s""",
            (last, id, self.worker_id, last))

    def _still_mine(self, db, id):
        return bool(db("SELECT 1 FROM rpc_webhook WHERE id=%s AND "
                       "lease_owner=%s", (id, self.worker_id)))

    def _entry(self, id, seq):
        for row in self.env.db_query("""
                SELECT %s FROM rpc_webhook_delivery
                WHERE webhook=%%s AND seq=%%s AND status='retrying'"""
                % ','.join(_DELIVERY_COLUMNS), (id, seq)):
            return dict(zip(_DELIVERY_COLUMNS, row))

    def _log(self, db, entry, id, seq, status, attempts, first, outcome):
        values = (status, attempts, first, outcome['started'],
                  outcome['code'], outcome['body'], outcome['duration'],
                  outcome['error'])
        if entry:
            db("""UPDATE rpc_webhook_delivery SET status=%s, attempts=%s,
                  first_attempt=%s, last_attempt=%s, response_code=%s,
                  response_body=%s, duration_ms=%s, error=%s
                  WHERE id=%s""", values + (entry['id'],))
            return
        db("""INSERT INTO rpc_webhook_delivery (webhook, seq, message_id,
                status, attempts, first_attempt, last_attempt, response_code,
                response_body, duration_ms, error)
              VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
           (id, seq, message_id(id, seq)) + values)
        self._logged += 1
        if self._logged % 100 == 0:
            self._trim_log(db, id)

    def _trim_log(self, db, id):
        rows = db("""SELECT id FROM rpc_webhook_delivery WHERE webhook=%s
                     ORDER BY id DESC LIMIT 1 OFFSET %s""", (id, _LOG_ROWS))
        if rows:
            db("DELETE FROM rpc_webhook_delivery WHERE webhook=%s AND id<=%s"
               " AND status!='retrying'", (id, rows[0][0]))

    def _post(self, webhook, change):
        """POST one change; `{ok, started, code, body, duration, error}`."""
        started = _now()
        outcome = {'ok': False, 'started': started, 'code': 0, 'body': '',
                   'duration': 0, 'error': ''}
        secret = self.env.db_query("SELECT secret FROM rpc_webhook "
                                   "WHERE id=%s", (webhook['id'],))[0][0]
        body = payload(self.env, change)
        msg_id = message_id(webhook['id'], change['seq'])
        timestamp = int(time.time())
        headers = {'Content-Type': 'application/json',
                   'User-Agent': 'TracXMLRPC-webhooks',
                   'webhook-id': msg_id,
                   'webhook-timestamp': str(timestamp),
                   'webhook-signature': sign(secret, msg_id, timestamp,
                                             body)}
        clock = time.monotonic()
        try:
            connection = self._connection(webhook['url'])
            parts = urlsplit(webhook['url'])
            path = (parts.path or '/') + ('?' + parts.query
                                          if parts.query else '')
            connection.request('POST', path, body, headers)
            response = connection.getresponse()
            answer = response.read(_BODY_READ)
            if not response.isclosed():
                self._drop_connection(webhook['url'])
            outcome['code'] = response.status
            outcome['body'] = answer[:_BODY_PREFIX].decode('utf-8',
                                                           'replace')
            outcome['ok'] = 200 <= response.status < 300
            if not outcome['ok']:
                outcome['error'] = 'HTTP %d' % response.status
        except (OSError, http.client.HTTPException, TracError) as e:
            self._drop_connection(webhook['url'])
            outcome['error'] = str(e) or e.__class__.__name__
        outcome['duration'] = int((time.monotonic() - clock) * 1000)
        return outcome

    def _connection(self, url):
        connection = self._connections.get(url)
        if connection is None:
            scheme, host, port, addresses = \
                WebhookStore(self.env).check_target(url)
            connection = self._connections[url] = _Target(
                scheme, host, port, addresses[0], self.connect_timeout,
                self.read_timeout)
        return connection

    def _drop_connection(self, url):
        connection = self._connections.pop(url, None)
        if connection is not None:
            connection.close()


def message_id(webhook_id, seq):
    """The `webhook-id` of change `seq` to subscription `webhook_id`: the
    same on every retry and redelivery, so receivers can drop repeats."""
    return 'msg_trac_%d_%d' % (webhook_id, seq)


def payload(env, change):
    """The JSON body of one change: `{type, timestamp, data}` as Standard
    Webhooks suggests; `data` is the change as `changes.get` gives it,
    with `cursor` (to go on with `changes.get` from there) and `url`
    (where Trac's `[trac] base_url` is set)."""
    data = dict(change)
    seq = data.pop('seq')
    data['time'] = change['time'].strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    data['cursor'] = str(seq)
    base = (env.base_url or '').rstrip('/')
    if base:
        data['url'] = _resource_url(base, change)
    return json.dumps({'type': '%s.%s' % (change['realm'], change['kind']),
                       'timestamp': datetime.now(utc).strftime(
                           '%Y-%m-%dT%H:%M:%S.%fZ'),
                       'data': data}, separators=(',', ':')).encode()


def _resource_url(base, change):
    realm, id = change['realm'], change['id']
    if realm == 'attachment':
        parent_realm, parent_id, filename = id.split(':', 2)
        return '%s/attachment/%s/%s/%s' % (base, parent_realm,
                                          quote(parent_id), quote(filename))
    if realm in ('ticket', 'wiki', 'milestone'):
        return '%s/%s/%s' % (base, realm, quote(id))
    return '%s/query?%s=%s' % (base, 'type' if realm == 'ticket_type'
                               else realm, quote(id))
