"""Deployment: gunicorn with several worker processes on PostgreSQL, and
concurrent writers on every backend."""

import threading
import uuid

import pytest

import tracenv
from clients import CONFLICT_CODES, PROTOCOLS, Fault, Server
from databases import Database
from environment import prepare


@pytest.fixture(scope='module')
def gunicorn_server(tmp_path_factory, mail_sink):
    """gunicorn with 4 workers serving an environment on PostgreSQL."""
    database = Database('postgres')
    root = tmp_path_factory.mktemp('gunicorn')
    env_path, htpasswd = prepare(str(root), database.uri, mail_sink.port)
    port = tracenv.free_port()
    with open(str(root / 'gunicorn.log'), 'w') as log:
        process = tracenv.start_gunicorn(env_path, htpasswd, port, 4, log)
    yield Server('http://127.0.0.1:%d' % port, env_path)
    process.terminate()
    process.wait(60)
    database.drop()


def run_threads(count, target):
    """Run `target(n)` in `count` threads; return the exceptions."""
    errors = []

    def guarded(number):
        try:
            target(number)
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=guarded, args=(number,))
               for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return errors


def test_gunicorn_mixed_load(gunicorn_server):
    written = {'tickets': [], 'pages': []}
    lock = threading.Lock()

    def client_work(number):
        client = gunicorn_server.client(PROTOCOLS[number % 2], 'user')
        for step in range(15):
            summary = 'load-%d-%d-%s' % (number, step, uuid.uuid4().hex[:6])
            tid = client.call('ticket.create', summary, 'text')
            assert client.call('ticket.get', tid)[3]['summary'] == summary
            page = 'Load%d%d%s' % (number, step, uuid.uuid4().hex[:6])
            client.call('wiki.putPage', page, summary, {})
            assert tid in client.call('ticket.query', 'max=0&id=%d' % tid)
            client.call('system.listMethods')
            with lock:
                written['tickets'].append((tid, summary))
                written['pages'].append((page, summary))

    assert run_threads(6, client_work) == []
    reader = gunicorn_server.client('jsonrpc', 'admin')
    assert len(written['tickets']) == 90
    for tid, summary in written['tickets']:
        assert reader.call('ticket.get', tid)[3]['summary'] == summary
    for page, text in written['pages']:
        assert reader.call('wiki.getPage', page) == text


def concurrent_updates(server, clients=8, target=100):
    """`clients` threads update one ticket in a read-_ts-update loop,
    retrying on collision, until `target` updates are accepted."""
    tid = server.client('xmlrpc', 'user').call('ticket.create', 'shared',
                                               '')
    accepted = []
    lock = threading.Lock()

    def updater(number):
        client = server.client(PROTOCOLS[number % 2], 'user')
        attempt = 0
        while True:
            with lock:
                if len(accepted) >= target:
                    return
            token = client.call('ticket.get', tid)[3]['_ts']
            comment = 'client %d attempt %d' % (number, attempt)
            attempt += 1
            try:
                client.call('ticket.update', tid, comment, {'_ts': token})
            except Fault as fault:
                if fault.code == CONFLICT_CODES[client.protocol]:
                    continue
                raise
            with lock:
                accepted.append(comment)

    errors = run_threads(clients, updater)
    assert errors == []
    log = server.client('jsonrpc', 'user').call('ticket.changeLog', tid)
    comments = [change for change in log if change[2] == 'comment']
    assert len(accepted) >= target
    assert sorted(change[4] for change in comments) == sorted(accepted)
    numbers = [int(change[3]) for change in comments]
    assert sorted(numbers) == list(range(1, len(accepted) + 1))


def test_concurrent_updates_tracd(server):
    concurrent_updates(server)


def test_concurrent_updates_gunicorn(gunicorn_server):
    concurrent_updates(gunicorn_server)


def test_concurrent_updates_without_token_number_comments_uniquely(server):
    """Without `_ts` every update is accepted; the row lock still keeps
    comment numbers unique."""
    tid = server.client('xmlrpc', 'user').call('ticket.create', 'no token',
                                               '')

    def updater(number):
        client = server.client(PROTOCOLS[number % 2], 'user')
        for step in range(5):
            client.call('ticket.update', tid, 'c%d-%d' % (number, step))

    assert run_threads(6, updater) == []
    log = server.client('jsonrpc', 'user').call('ticket.changeLog', tid)
    numbers = sorted(int(change[3]) for change in log
                     if change[2] == 'comment')
    assert numbers == list(range(1, 31))


def test_concurrent_wiki_writers(server):
    """Writers racing on one page: each save is accepted or refused with
    a conflict, never an internal error, and every accepted one is a
    version."""
    page = 'Race%s' % uuid.uuid4().hex[:8]
    accepted = []
    lock = threading.Lock()

    def writer(number):
        client = server.client(PROTOCOLS[number % 2], 'user')
        for step in range(8):
            try:
                client.call('wiki.putPage', page, 'w%d-%d' % (number, step),
                            {})
            except Fault as fault:
                assert fault.code == CONFLICT_CODES[client.protocol], fault
                continue
            with lock:
                accepted.append(step)

    assert run_threads(6, writer) == []
    info = server.client('jsonrpc', 'user').call('wiki.getPageInfo', page)
    assert info['version'] == len(accepted)
