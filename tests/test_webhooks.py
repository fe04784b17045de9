"""Webhooks: deliveries signed as Standard Webhooks 1.0 says, verified
by a real receiver with the `standardwebhooks` library; filters and the
subscription user's permissions; retries with backoff, in order, then
giving up; redelivery; two workers sharing the work without delivering
twice; a worker killed mid-delivery; targets refused by default; the
`webhook` methods, the admin panel and the `trac-admin` commands."""

import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from clients import Browser, fault_of, unique

#: the webhook environment's settings: receivers on 127.0.0.1, quick
#: retries, giving up after about 2 seconds, short leases
WEBHOOK_CONFIG = [('rpc', 'webhook_allow_private', 'true'),
                  ('rpc', 'webhook_retry_delay', '0.05'),
                  ('rpc', 'webhook_retry_hours', '0.0006'),
                  ('rpc', 'webhook_lease', '2')]
#: seconds a test waits for deliveries before it fails
PATIENCE = 60


class Receiver(object):
    """A webhook receiver on a free port of 127.0.0.1: verifies every
    delivery with `standardwebhooks` and keeps what it accepted.
    `refuse(payload)` true: it answers 500. `hold`: it waits for
    `release` before answering the delivery of that `webhook-id`."""

    def __init__(self):
        self.secrets = {}       # subscription id: its secret
        self.accepted = []      # (webhook-id, payload), in arrival order
        self.attempts = []      # webhook-id of every request
        self.refuse = lambda payload: False
        self.hold, self.holding, self.release = None, threading.Event(), \
            threading.Event()
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                receiver.receive(self, body)

            def log_message(self, *args):
                pass
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/hook' % self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def receive(self, handler, body):
        headers = {name.lower(): value for name, value
                   in handler.headers.items()}
        message_id = headers.get('webhook-id')
        with self.changed:
            self.attempts.append(message_id)
        try:
            subscription = int(message_id.split('_')[2])
            payload = Webhook(self.secrets[subscription]).verify(body,
                                                                 headers)
        except Exception as e:
            return self._answer(handler, 400, 'unverified: %s' % e)
        if message_id == self.hold:
            self.holding.set()
            self.release.wait(PATIENCE)
        if self.refuse(payload):
            return self._answer(handler, 500, 'not now')
        with self.changed:
            self.accepted.append((message_id, payload))
            self.changed.notify_all()
        self._answer(handler, 200, 'thanks')

    def _answer(self, handler, status, text):
        handler.send_response(status)
        handler.send_header('Content-Length', str(len(text)))
        handler.end_headers()
        handler.wfile.write(text.encode())

    def wait_for(self, count):
        """The accepted deliveries once there are `count` distinct ones."""
        with self.changed:
            assert self.changed.wait_for(
                lambda: len({m for m, p in self.accepted}) >= count,
                PATIENCE), 'only %d deliveries' % len(self.accepted)
            return list(self.accepted)

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture(scope='module')
def hooks(sqlite_serving):
    """tracd on an environment whose webhooks may target 127.0.0.1."""
    with sqlite_serving('webhooks', WEBHOOK_CONFIG) as server:
        yield server


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def subscribe(server, receiver, **attributes):
    admin = server.client('jsonrpc', 'admin')
    webhook = admin.call('webhook.create', receiver.url, attributes)
    receiver.secrets[webhook['id']] = webhook['secret']
    return webhook


def trac_admin(server, *args):
    return subprocess.run([sys.executable, '-m', 'trac.admin.console',
                           server.env_path] + list(args), check=True,
                          capture_output=True, text=True).stdout


@contextlib.contextmanager
def worker(server, *options):
    """A worker process (`trac-admin ENV rpc webhook run`) while inside."""
    process = subprocess.Popen(
        [sys.executable, '-m', 'trac.admin.console', server.env_path,
         'rpc', 'webhook', 'run', 'interval=0.05'] + list(options),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def pause_others(server, keep):
    """Pause every subscription but `keep` (earlier tests' stay)."""
    admin = server.client('jsonrpc', 'admin')
    for webhook in admin.call('webhook.getAll'):
        if webhook['id'] != keep['id']:
            admin.call('webhook.update', webhook['id'], {'active': False})


def test_deliveries_are_signed_and_verify_with_standardwebhooks(
        hooks, receiver):
    webhook = subscribe(hooks, receiver)
    pause_others(hooks, webhook)
    assert webhook['secret'].startswith('whsec_')
    admin = hooks.client('xmlrpc', 'admin')
    tid = admin.call('ticket.create', unique('Hook'), '')
    admin.call('ticket.update', tid, 'a comment')
    page = unique('HookPage')
    admin.call('wiki.putPage', page, 'text', {})
    trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
    delivered = receiver.wait_for(3)
    assert [p['type'] for m, p in delivered] == \
        ['ticket.created', 'ticket.changed', 'wiki.created']
    assert [p['data']['id'] for m, p in delivered] == \
        [str(tid), str(tid), page]
    assert delivered[1][1]['data']['author'] == 'admin'
    assert delivered[1][1]['data']['fields'] == ['comment']
    assert all(re.match(r'msg_trac_%d_\d+$' % webhook['id'], m)
               for m, p in delivered)
    # the cursor in a delivery is the feed's: nothing after the last one
    last = delivered[-1][1]['data']['cursor']
    assert admin.call('changes.get', last)['changes'] == []
    # the secret is never shown again
    assert 'secret' not in admin.call('webhook.get', webhook['id'])
    assert webhook['secret'] not in trac_admin(hooks, 'rpc', 'webhook',
                                               'list')
    log = admin.call('webhook.getDeliveries', webhook['id'])
    assert [entry['status'] for entry in log] == ['delivered'] * 3
    assert all(entry['response_code'] == 200 and
               entry['response_body'] == 'thanks' for entry in log)


def test_a_tampered_delivery_does_not_verify(hooks, receiver):
    webhook = subscribe(hooks, receiver)
    pause_others(hooks, webhook)
    hooks.client('jsonrpc', 'admin').call('ticket.create', unique('T'), '')
    trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
    message_id, payload = receiver.wait_for(1)[0]
    from tracrpc.webhooks import sign
    body = json.dumps(payload).encode()
    headers = {'webhook-id': message_id, 'webhook-timestamp': '%d' % (
        __import__('time').time()),
        'webhook-signature': sign(webhook['secret'], message_id,
                                  int(__import__('time').time()), body)}
    assert Webhook(webhook['secret']).verify(body, headers)
    with pytest.raises(Exception):
        Webhook(webhook['secret']).verify(body + b' ', headers)


def test_filters_and_the_subscription_users_permissions(hooks, receiver):
    wiki_only = subscribe(hooks, receiver, realms=['wiki'])
    pause_others(hooks, wiki_only)
    admin = hooks.client('jsonrpc', 'admin')
    admin.call('ticket.create', unique('Skipped'), '')
    page = unique('Wanted')
    admin.call('wiki.putPage', page, 'text', {})
    trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
    assert [p['data']['id'] for m, p in receiver.wait_for(1)] == [page]
    # a subscription filtering with viewer's permissions (no milestones)
    viewer_receiver = Receiver()
    try:
        as_viewer = subscribe(hooks, viewer_receiver, username='viewer',
                              kinds=['created'])
        pause_others(hooks, as_viewer)
        admin.call('ticket.milestone.create', unique('hidden'), {})
        tid = admin.call('ticket.create', unique('Seen'), '')
        admin.call('ticket.update', tid, 'changed: not a created')
        trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
        assert [p['type'] for m, p in viewer_receiver.wait_for(1)] == \
            ['ticket.created']
    finally:
        viewer_receiver.close()


def test_failures_are_retried_in_order_then_given_up(hooks, receiver):
    webhook = subscribe(hooks, receiver)
    pause_others(hooks, webhook)
    admin = hooks.client('jsonrpc', 'admin')
    refused = {'count': 0}

    def refuse(payload):
        # the first change fails twice; a wiki change always fails
        if payload['type'] == 'wiki.created':
            return True
        if refused['count'] < 2:
            refused['count'] += 1
            return True
        return False
    receiver.refuse = refuse
    first = admin.call('ticket.create', unique('First'), '')
    admin.call('wiki.putPage', unique('Refused'), 'text', {})
    last = admin.call('ticket.create', unique('Last'), '')
    with worker(hooks):
        delivered = receiver.wait_for(2)
    assert [p['data']['id'] for m, p in delivered] == [str(first), str(last)]
    log = {entry['status']: entry for entry
           in admin.call('webhook.getDeliveries', webhook['id'])
           if entry['attempts'] > 1}
    assert log['delivered']['attempts'] == 3
    assert log['failed']['attempts'] > 2
    assert log['failed']['response_code'] == 500
    assert log['failed']['error'] == 'HTTP 500'
    # redelivered, with the same webhook-id, once the receiver accepts
    receiver.refuse = lambda payload: False
    new_entry = admin.call('webhook.redeliver', log['failed']['id'])
    trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
    [payload] = [p for m, p in receiver.wait_for(3)
                 if m == log['failed']['message_id']]
    assert payload['type'] == 'wiki.created'
    assert [entry['status'] for entry
            in admin.call('webhook.getDeliveries', webhook['id'])
            if entry['id'] == new_entry] == ['delivered']


def test_two_workers_share_the_work_without_delivering_twice(
        hooks, receiver):
    webhooks = [subscribe(hooks, receiver) for _ in range(3)]
    admin = hooks.client('jsonrpc', 'admin')
    for webhook in admin.call('webhook.getAll'):
        if webhook['id'] not in [w['id'] for w in webhooks]:
            admin.call('webhook.update', webhook['id'], {'active': False})
    for i in range(20):
        admin.call('ticket.create', unique('Shared%d' % i), '')
    with worker(hooks), worker(hooks):
        delivered = receiver.wait_for(60)
    ids = [m for m, p in delivered]
    assert len(ids) == len(set(ids)) == 60
    for webhook in webhooks:
        mine = [int(m.rsplit('_', 1)[1]) for m in ids
                if m.startswith('msg_trac_%d_' % webhook['id'])]
        assert mine == sorted(mine) and len(mine) == 20


def test_a_worker_killed_mid_delivery_loses_nothing(hooks, receiver):
    webhook = subscribe(hooks, receiver)
    pause_others(hooks, webhook)
    admin = hooks.client('jsonrpc', 'admin')
    tickets = [admin.call('ticket.create', unique('Kill%d' % i), '')
               for i in range(4)]
    last = int(admin.call('changes.cursor'))
    expected = [receiver_id(webhook, seq) for seq in range(last - 3,
                                                            last + 1)]
    receiver.hold = expected[1]
    with worker(hooks) as first:
        assert receiver.holding.wait(PATIENCE)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    receiver.hold = None
    receiver.release.set()
    with worker(hooks):
        delivered = receiver.wait_for(4)
    ids = [m for m, p in delivered]
    assert sorted(set(ids), key=ids.index) == expected
    # only the delivery in flight may arrive twice (same webhook-id)
    assert [ids.count(m) for m in expected] in ([1, 1, 1, 1],
                                                [1, 2, 1, 1])
    assert [p['data']['id'] for m, p in delivered
            if ids.index(m) == delivered.index((m, p))] == \
        [str(t) for t in tickets]


def receiver_id(webhook, seq):
    return 'msg_trac_%d_%d' % (webhook['id'], seq)


# -- Safe by default, and the management methods ---------------------------

@pytest.mark.parametrize('url', [
    'http://127.0.0.1:9/hook', 'http://localhost/', 'http://10.1.2.3/',
    'http://192.168.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest',
    'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/'])
def test_private_targets_are_refused_by_default(rpc, url):
    fault = fault_of(rpc('admin'), 'webhook.create', url, {})
    assert fault.code == -32602 and 'webhook_allow_private' in fault.message


@pytest.mark.parametrize('url', ['ftp://example.org/', 'example.org',
                                 'http://user:secret@example.org/'])
def test_only_plain_http_urls(rpc, url):
    assert fault_of(rpc('admin'), 'webhook.create', url, {}).code == -32602


def test_webhook_methods_need_trac_admin(rpc):
    user = rpc('user')
    for method, args in (('webhook.getAll', ()), ('webhook.get', (1,)),
                         ('webhook.create', ('http://example.org/', {})),
                         ('webhook.delete', (1,)),
                         ('webhook.getDeliveries', (1,)),
                         ('webhook.redeliver', (1,))):
        fault = fault_of(user, method, *args)
        assert fault.code == 403 and 'TRAC_ADMIN' in fault.message


@pytest.mark.parametrize('method,args', [
    ('webhook.get', (99999,)), ('webhook.update', (99999, {})),
    ('webhook.delete', (99999,)), ('webhook.getDeliveries', (99999,)),
    ('webhook.redeliver', (99999,))])
def test_unknown_webhooks_are_not_found(rpc, method, args):
    assert fault_of(rpc('admin'), method, *args).code == 404


@pytest.mark.parametrize('attributes,problem', [
    ({'realms': ['nosuch']}, 'Unknown realms'),
    ({'kinds': ['exploded']}, 'Unknown kinds'),
    ({'realms': 'ticket'}, 'must be an array'),
    ({'colour': 'red'}, 'unknown attribute')])
def test_bad_webhook_attributes(hooks, attributes, problem):
    fault = fault_of(hooks.client('jsonrpc', 'admin'), 'webhook.create',
                     'http://127.0.0.1:9/', attributes)
    assert fault.code == -32602 and problem in fault.message


def test_update_and_delete(hooks, receiver):
    admin = hooks.client('xmlrpc', 'admin')
    webhook = subscribe(hooks, receiver)
    changed = admin.call('webhook.update', webhook['id'],
                         {'realms': ['wiki'], 'active': False,
                          'description': 'wiki only'})
    assert (changed['realms'], changed['active'], changed['description']) \
        == (['wiki'], False, 'wiki only')
    assert admin.call('webhook.delete', webhook['id']) is True
    assert webhook['id'] not in [w['id'] for w
                                 in admin.call('webhook.getAll')]


def test_admin_panel(hooks, receiver):
    browser = Browser(hooks, 'admin')
    status, page = browser.post('/admin/general/rpcwebhooks', {
        'url': receiver.url, 'realms': ['ticket', 'wiki'],
        'description': 'from the panel', 'create': '1'})
    assert status == 200
    secret = re.search(r'<code>(whsec_[^<]+)</code>', page).group(1)
    status, page = browser.get('/admin/general/rpcwebhooks')
    assert 'from the panel' in page and secret not in page
    webhook = [w for w in hooks.client('jsonrpc', 'admin').call(
        'webhook.getAll') if w['description'] == 'from the panel'][0]
    assert webhook['realms'] == ['ticket', 'wiki']
    receiver.secrets[webhook['id']] = secret
    pause_others(hooks, webhook)
    hooks.client('jsonrpc', 'admin').call('ticket.create', unique('P'), '')
    trac_admin(hooks, 'rpc', 'webhook', 'run', 'once')
    receiver.wait_for(1)
    status, page = browser.get('/admin/general/rpcwebhooks/%d'
                               % webhook['id'])
    assert status == 200 and 'delivered' in page
    entry = re.search(r'name="redeliver" value="(\d+)"', page).group(1)
    status, page = browser.post('/admin/general/rpcwebhooks/%d'
                                % webhook['id'], {'redeliver': entry})
    assert status == 303
    status, page = browser.get('/admin/general/rpcwebhooks/%d'
                               % webhook['id'])
    assert '<td class="rpc-delivery-status">queued</td>' in page
    status, page = browser.post('/admin/general/rpcwebhooks', {
        'url': 'ftp://example.org/', 'create': '1'})
    assert 'rpc-webhook-problem' in page and 'ftp://example.org/' in page
    assert browser.get('/admin/general/rpcwebhooks')[1].count(
        'ftp://example.org/') == 0


def test_the_admin_panel_is_for_trac_admin(hooks):
    # Trac answers 404 to a user with no admin panel at all
    status, page = Browser(hooks, 'user').get('/admin/general/rpcwebhooks')
    assert status == 404 and 'rpc-webhooks' not in page


def test_trac_admin_commands(hooks, receiver):
    output = trac_admin(hooks, 'rpc', 'webhook', 'add', receiver.url,
                        'realms=ticket', 'kinds=created,deleted')
    id = re.search(r'Webhook (\d+)', output).group(1)
    secret = re.search(r'(whsec_\S+)', output).group(1)
    listing = trac_admin(hooks, 'rpc', 'webhook', 'list')
    row = [line for line in listing.splitlines()
           if line.strip().startswith(id + ' ')][0]
    assert 'created,deleted' in row and 'active' in row
    assert secret not in listing
    trac_admin(hooks, 'rpc', 'webhook', 'disable', id)
    assert 'paused' in [line for line in trac_admin(
        hooks, 'rpc', 'webhook', 'list').splitlines()
        if line.strip().startswith(id + ' ')][0]
    trac_admin(hooks, 'rpc', 'webhook', 'remove', id)
    assert not [line for line in trac_admin(
        hooks, 'rpc', 'webhook', 'list').splitlines()
        if line.strip().startswith(id + ' ')]
    failed = subprocess.run(
        [sys.executable, '-m', 'trac.admin.console', hooks.env_path, 'rpc',
         'webhook', 'add', 'http://127.0.0.1:9/', 'realms=nosuch'],
        capture_output=True, text=True)
    assert 'Unknown realms' in failed.stdout + failed.stderr
