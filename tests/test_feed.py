"""The change feed (`changes.cursor`, `changes.get`): every kind of change
recorded, from RPC and from `trac-admin`; paging with the cursor;
permission filtering (hidden changes not even counted); bad arguments;
retention; and the exactly-once guarantee with concurrent writers in
several processes against two tracd processes, on every database."""

import base64
import json
import os
import subprocess
import sys
import threading
import urllib.request
from datetime import datetime, timedelta

import pytest
from trac.util.datefmt import utc

from clients import Binary, fault_of, unique

import tracenv
from conftest import SOCKET_TIMEOUT


def read_all(client, cursor, max=100):
    """Every change after `cursor`, paging until `more` is false; and
    the cursor to go on from."""
    changes = []
    while True:
        page = client.call('changes.get', cursor, max)
        changes += page['changes']
        cursor = page['cursor']
        if not page['more']:
            return changes, cursor


def summary(changes):
    return [(c['realm'], c['id'], c['kind']) for c in changes]


def test_every_kind_of_change_in_commit_order(rpc):
    admin = rpc('admin')
    start = admin.call('changes.cursor')
    tid = admin.call('ticket.create', unique('Feed'), 'text')
    admin.call('ticket.update', tid, 'a comment', {'priority': 'critical'})
    page = unique('FeedPage')
    admin.call('wiki.putPage', page, 'one', {})
    admin.call('wiki.putPage', page, 'two', {})
    admin.call('ticket.putAttachment', tid, 'notes.txt', 'notes',
               Binary(b'hello'))
    admin.call('ticket.deleteAttachment', tid, 'notes.txt')
    milestone = unique('m')
    admin.call('ticket.milestone.create', milestone, {})
    admin.call('ticket.milestone.update', milestone, {'description': 'd'})
    admin.call('ticket.milestone.delete', milestone)
    component = unique('c')
    admin.call('ticket.component.create', component, {'owner': 'admin'})
    admin.call('ticket.delete', tid)
    changes, end = read_all(admin, start)
    attachment = 'ticket:%d:notes.txt' % tid
    assert summary(changes) == [
        ('ticket', str(tid), 'created'), ('ticket', str(tid), 'changed'),
        ('wiki', page, 'created'), ('wiki', page, 'changed'),
        ('attachment', attachment, 'created'),
        ('attachment', attachment, 'deleted'),
        ('milestone', milestone, 'created'),
        ('milestone', milestone, 'changed'),
        ('milestone', milestone, 'deleted'),
        ('component', component, 'created'),
        ('ticket', str(tid), 'deleted')]
    changed = changes[1]
    assert changed['author'] == 'admin' and changed['version'] == 1
    assert changed['fields'] == ['comment', 'priority']
    assert [c['version'] for c in changes[2:4]] == [1, 2]
    assert changes[-1]['author'] == 'admin'  # a deletion's, from the request
    assert all(isinstance(c['time'], datetime) for c in changes)
    assert end == admin.call('changes.cursor')
    assert admin.call('changes.get', end) == \
        {'changes': [], 'cursor': end, 'more': False}


def test_renames_and_comment_edits(rpc, server):
    admin = rpc('admin')
    start = admin.call('changes.cursor')
    tid = admin.call('ticket.create', unique('Feed'), '')
    admin.call('ticket.update', tid, 'first words')
    admin.call('ticket.editComment', tid, 1, 'better words')
    old, new = unique('Old'), unique('New')
    admin.call('ticket.milestone.create', old, {})
    admin.call('ticket.milestone.update', old, {'name': new})
    admin.call('wiki.putPage', old, 'text', {})
    subprocess.run([sys.executable, '-m', 'trac.admin.console',
                    server.env_path, 'wiki', 'rename', old, new],
                   check=True, capture_output=True)
    changes, end = read_all(admin, start)
    assert summary(changes)[2:] == [
        ('ticket', str(tid), 'comment_edited'),
        ('milestone', old, 'created'), ('milestone', new, 'renamed'),
        ('wiki', old, 'created'), ('wiki', new, 'renamed')]
    assert changes[2]['version'] == 1 and changes[2]['fields'] == ['comment']
    assert changes[4]['old_id'] == changes[6]['old_id'] == old
    assert 'old_id' not in changes[3]


def test_paging_resumes_exactly_where_it_stopped(rpc):
    admin = rpc('admin')
    start = admin.call('changes.cursor')
    ids = [admin.call('ticket.create', unique('Page'), '') for _ in range(7)]
    seen, cursor = [], start
    for expected_more in (True, True, True, False):
        page = admin.call('changes.get', cursor, 2)
        seen += page['changes']
        cursor = page['cursor']
        assert page['more'] is expected_more
    assert [int(c['id']) for c in seen] == ids
    # the same cursor again gives the same page: nothing is consumed
    assert admin.call('changes.get', start, 3)['changes'] == seen[:3]


def test_changes_made_with_trac_admin_are_in_the_feed(rpc, server):
    """Components, versions and enums have no change listeners in Trac:
    their tables are compared with a snapshot when the feed is read."""
    admin = rpc('admin')
    cursor = admin.call('changes.cursor')
    name = unique('cli')
    for args, expected in (
            (['component', 'add', name, 'admin'], 'component created'),
            (['version', 'add', name], 'version created'),
            (['priority', 'add', name], 'priority created'),
            (['component', 'chown', name, 'user'], 'component changed'),
            (['version', 'remove', name], 'version deleted')):
        subprocess.run([sys.executable, '-m', 'trac.admin.console',
                        server.env_path] + args, check=True,
                       capture_output=True)
        changes, cursor = read_all(admin, cursor)
        realm, kind = expected.split()
        assert summary(changes) == [(realm, name, kind)]


def test_trac_admin_ticket_changes_are_recorded_by_listeners(rpc, server):
    admin = rpc('admin')
    tid = admin.call('ticket.create', unique('Listener'), '')
    start = admin.call('changes.cursor')
    subprocess.run([sys.executable, '-m', 'trac.admin.console',
                    server.env_path, 'ticket', 'remove', str(tid)],
                   check=True, capture_output=True)
    changes, end = read_all(admin, start)
    assert summary(changes) == [('ticket', str(tid), 'deleted')]


def test_hidden_changes_are_left_out_and_not_counted(rpc):
    admin, user = rpc('admin'), rpc('user')
    start = user.call('changes.cursor')
    secret = admin.call('ticket.create', unique('Secret'), '',
                        {'keywords': 'secret'})
    for _ in range(3):
        admin.call('ticket.update', secret, 'hidden comment')
    shown = admin.call('ticket.create', unique('Shown'), '')
    page = user.call('changes.get', start, 1)
    assert summary(page['changes']) == [('ticket', str(shown), 'created')]
    assert page['more'] is False
    assert len(read_all(admin, start)[0]) == 5


def test_realm_permissions_filter_the_feed(rpc):
    admin, viewer = rpc('admin'), rpc('viewer')
    start = viewer.call('changes.cursor')
    milestone = unique('ms')
    admin.call('ticket.milestone.create', milestone, {})
    page = unique('Seen')
    admin.call('wiki.putPage', page, 'text', {})
    assert summary(read_all(viewer, start)[0]) == [('wiki', page, 'created')]
    # user holds MILESTONE_VIEW
    assert ('milestone', milestone, 'created') in \
        summary(read_all(rpc('user'), start)[0])


def test_the_feed_needs_xml_rpc(rpc):
    assert fault_of(rpc('norpc'), 'changes.cursor').code == 403
    assert fault_of(rpc('norpc'), 'changes.get', '').code == 403


@pytest.mark.parametrize('args,problem', [
    (('nonsense',), 'no cursor'), (('-1',), 'no cursor'),
    (('99999999999',), 'past the end'), (('', 0), 'max'),
    (('', 1001), 'max'), ((['1'],), 'Invalid params')])
def test_bad_arguments(rpc, args, problem):
    fault = fault_of(rpc('user'), 'changes.get', *args)
    assert fault.code == -32602 and problem in fault.message


def test_a_cursor_older_than_retention_expires(rpc, server):
    admin = rpc('admin')
    old = admin.call('changes.cursor')
    admin.call('ticket.create', unique('Old'), '')
    cursor = admin.call('changes.cursor')
    from tracrpc.feed import ChangeFeed
    env = server.env()
    try:
        ChangeFeed(env).prune(datetime.now(utc) + timedelta(seconds=1))
    finally:
        env.shutdown()
    fault = fault_of(admin, 'changes.get', old)
    assert fault.code == 410 and 'changes.cursor()' in fault.message
    assert admin.call('changes.get', cursor)['changes'] == []
    # '' is the oldest change kept: now nothing
    assert admin.call('changes.get', '')['changes'] == []
    tid = admin.call('ticket.create', unique('New'), '')
    assert summary(admin.call('changes.get', '')['changes']) == \
        [('ticket', str(tid), 'created')]


def test_retention_goes_in_feed_order(rpc, server):
    """A change dated in the past (TICKET_ADMIN's `when`) does not take
    newer changes recorded before it out of the feed."""
    admin = rpc('admin')
    start = admin.call('changes.cursor')
    recent = admin.call('ticket.create', unique('Recent'), '')
    old = admin.call('ticket.create', unique('Backdated'), '', {}, False,
                     datetime(2001, 1, 1))
    from tracrpc.feed import ChangeFeed
    env = server.env()
    try:
        ChangeFeed(env).prune(datetime.now(utc) - timedelta(days=1))
    finally:
        env.shutdown()
    assert [int(c['id']) for c in read_all(admin, start)[0]] == \
        [recent, old]


def test_documented_in_the_openrpc_document(rpc):
    document = rpc('user').call('rpc.discover')
    methods = {m['name']: m for m in document['methods']}
    assert methods['changes.get']['result']['schema'] == \
        {'$ref': '#/components/schemas/ChangePage'}


# -- Exactly once, in commit order, with concurrent writers --------------

WRITER = r'''
import json, sys, xmlrpc.client
urls, tickets, count, seed = json.loads(sys.argv[1])


def call(proxy, method, *args):
    for attempt in range(50):
        try:
            return getattr(proxy, method)(*args)
        except xmlrpc.client.Fault as e:
            if e.faultCode != -32000:  # the database was busy: retry
                raise
    raise RuntimeError('busy 50 times')


made = []
for i in range(count):
    proxy = xmlrpc.client.ServerProxy(urls[i % len(urls)])
    if i % 7 == 0:
        made.append(call(proxy, 'ticket.create',
                         'concurrent %d/%d' % (seed, i), ''))
    elif i % 11 == 0:
        call(proxy, 'wiki.putPage', 'Concurrent%d' % seed, 'v%d' % i, {})
    else:
        call(proxy, 'ticket.update', tickets[(i + seed) % len(tickets)],
             'writer %d call %d' % (seed, i))
print(json.dumps(made))
'''


def _json_get(url, cursor):
    body = json.dumps({'method': 'changes.get', 'params': [cursor, 50],
                       'id': 1}).encode()
    request = urllib.request.Request(url + '/login/rpc', body, {
        'Content-Type': 'application/json',
        'Authorization': 'Basic ' + base64.b64encode(b'admin:admin')
        .decode()})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert answer.get('error') is None, answer
    return answer['result']


def test_exactly_once_with_concurrent_writers_and_two_servers(
        http_server, tmp_path):
    """Four writer processes call two tracd processes serving the same
    environment while a reader pages through the feed; once they are
    done the feed holds every change of the database exactly once, each
    ticket's comments in order."""
    base = http_server.url
    admin = http_server.client('jsonrpc', 'admin')
    tickets = [admin.call('ticket.create', unique('Shared'), '')
               for _ in range(3)]
    start = admin.call('changes.cursor')
    port = tracenv.free_port()
    with open(str(tmp_path / 'second.log'), 'w') as log:
        second = tracenv.start_tracd(http_server.env_path, os.path.join(
            os.path.dirname(http_server.env_path), 'htpasswd'), port, log,
                                     socket_timeout=SOCKET_TIMEOUT)
    urls = ['http://admin:admin@127.0.0.1:%d/login/rpc' % p for p in
            (int(base.rsplit(':', 1)[1]), port)]
    try:
        writers = [subprocess.Popen(
            [sys.executable, '-c', WRITER,
             json.dumps([urls, tickets, 30, seed])],
            stdout=subprocess.PIPE, text=True) for seed in range(4)]
        seen, cursor = [], start
        done = threading.Event()

        def read():
            nonlocal cursor
            while True:
                finished = done.is_set()
                page = _json_get(base, cursor)
                seen.extend(page['changes'])
                cursor = page['cursor']
                if finished and not page['more']:
                    return
        reader = threading.Thread(target=read)
        reader.start()
        outputs = [writer.communicate(timeout=300)[0] for writer in writers]
        assert [writer.returncode for writer in writers] == [0] * 4
        done.set()
        reader.join(300)
        assert not reader.is_alive()
    finally:
        second.terminate()
        second.wait(30)
    created = sorted(tid for output in outputs
                     for tid in json.loads(output))
    _compare_with_database(http_server, seen, tickets, created)


def _compare_with_database(server, seen, tickets, created):
    keys = [(c['realm'], c['id'], c['kind'], c['version']) for c in seen]
    assert len(keys) == len(set(keys)), 'a change was seen twice'
    env = server.env()
    try:
        comments = {}
        for ticket, cnum in env.db_query(
                "SELECT ticket, oldvalue FROM ticket_change WHERE "
                "field='comment' AND ticket IN (%s)"
                % ','.join(str(t) for t in tickets)):
            comments.setdefault(ticket, []).append(int(cnum))
        wiki = {}
        for name, version in env.db_query(
                "SELECT name, version FROM wiki WHERE name LIKE %s",
                ('Concurrent%',)):
            wiki.setdefault(name, []).append(version)
    finally:
        env.shutdown()
    for ticket in tickets:
        versions = [c['version'] for c in seen if c['realm'] == 'ticket'
                    and c['id'] == str(ticket) and c['kind'] == 'changed']
        # every comment exactly once, in commit order
        assert versions == sorted(comments[ticket])
    assert sorted(int(c['id']) for c in seen if c['realm'] == 'ticket'
                  and c['kind'] == 'created') == created
    for name, versions in wiki.items():
        assert [c['version'] for c in seen if c['realm'] == 'wiki'
                and c['id'] == name] == sorted(versions)
