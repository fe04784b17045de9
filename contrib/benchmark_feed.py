"""Benchmark the change feed and webhooks.

    python3 contrib/benchmark_feed.py                 # all but the outage
    python3 contrib/benchmark_feed.py --outage 300    # and a 5-minute outage
    python3 contrib/benchmark_feed.py --smoke         # does it still run?

1. The cost of recording: `ticket.update` and `wiki.putPage` over tracd
   (one client), with the feed's listener component enabled and disabled,
   alternately, `--rounds` times each; server CPU and p50 per call.
2. Reading: 10 000 changes paged with `changes.get` over one keep-alive
   HTTP connection to a warm tracd (max 100 and max 1000), wall time in
   all.
3. Delivery: `--deliveries` changes delivered by one worker
   (`trac-admin ENV rpc webhook run`) to a local receiver; deliveries/s.
4. `--outage SECONDS`: the receiver is down that long while changes are
   made; then it comes back: were all delivered, in order, and how long
   after it came back.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402
import bootstrap  # noqa: E402

FEED_COMPONENT = 'tracrpc.feed.changefeed'


def set_options(env_path, options):
    from trac.env import Environment
    env = Environment(env_path)
    for section, name, value in options:
        env.config.set(section, name, value)
    env.config.save()
    env.shutdown()


def recording_cost(args, env_path, pool):
    """Per workload: median CPU ms and p50 ms with the feed off and on."""
    results = {}
    for name in ('ticket.update (comment)', 'wiki.putPage'):
        for round in range(args.rounds):
            for state in ('disabled', 'enabled'):
                set_options(env_path, [('components', FEED_COMPONENT,
                                        state)])
                server = benchmark.Server('tracd', env_path, 1, args.log)
                try:
                    row = benchmark.measure(server, pool, name, 'xmlrpc',
                                            args.tickets, 1, args.duration)
                finally:
                    server.stop()
                assert row['errors'] == 0, row
                results.setdefault((name, state), []).append(row)
    set_options(env_path, [('components', FEED_COMPONENT, 'enabled')])
    print('\n1. The cost of recording a change (tracd, sqlite, one client, '
          'XML-RPC, median of %d rounds of %.0f s)' % (args.rounds,
                                                      args.duration))
    print('%-26s %14s %14s %10s %10s %8s' % (
        'workload', 'CPU ms (off)', 'CPU ms (on)', 'p50 off', 'p50 on',
        'cost'))
    figures = {}
    for name in ('ticket.update (comment)', 'wiki.putPage'):
        cpu = {state: statistics.median(r['cpu_ms'] for r in
                                        results[name, state])
               for state in ('disabled', 'enabled')}
        p50 = {state: statistics.median(r['p50'] for r in
                                        results[name, state])
               for state in ('disabled', 'enabled')}
        cost = cpu['enabled'] / cpu['disabled'] - 1
        figures[name] = cost
        print('%-26s %14.2f %14.2f %10.2f %10.2f %+7.1f%%' % (
            name, cpu['disabled'], cpu['enabled'], p50['disabled'],
            p50['enabled'], cost * 100))
    return figures


def fill_feed(env_path, count):
    """Record `count` ticket changes at once."""
    from trac.env import Environment
    from tracrpc.feed import ChangeFeed
    env = Environment(env_path)
    now = int(time.time() * 1e6)
    ChangeFeed(env).record_many([
        ('ticket', str(number % 1000 + 1), 'changed', now, 'bench', number,
         'comment,status', '') for number in range(count)])
    env.shutdown()


class Client(object):
    """JSON-RPC over one keep-alive connection, as a feed reader polls."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection('127.0.0.1', port,
                                                     timeout=300)

    def call(self, method, *params):
        self.connection.request('POST', '/rpc', json.dumps(
            {'method': method, 'params': list(params), 'id': 1}),
            {'Content-Type': 'application/json'})
        answer = json.loads(self.connection.getresponse().read())
        if answer.get('error'):
            raise RuntimeError(answer['error'])
        return answer['result']


def reading(args, env_path):
    server = benchmark.Server('tracd', env_path, 1, args.log)
    try:
        client = Client(server.port)
        start = client.call('changes.cursor')
        fill_feed(env_path, args.changes)
        # a server in use is warm (its heap frozen: [rpc] gc_freeze)
        for number in range(30):
            client.call('changes.get', start, 1)
        print('\n2. Reading %d changes with changes.get over HTTP (tracd, '
              'sqlite, JSON-RPC)' % args.changes)
        figures = {}
        for size in (100, 1000):
            began, cursor, seen = time.perf_counter(), start, 0
            while True:
                page = client.call('changes.get', cursor, size)
                seen += len(page['changes'])
                cursor = page['cursor']
                if not page['more']:
                    break
            elapsed = time.perf_counter() - began
            assert seen == args.changes, seen
            figures[size] = elapsed
            print('  max=%-5d %d calls, %.2f s in all (%.0f changes/s)' % (
                size, -(-args.changes // size), elapsed,
                args.changes / elapsed))
        return figures
    finally:
        server.stop()


class Receiver(object):
    """A local keep-alive receiver counting deliveries (webhook-id, in
    arrival order); `up` false: it refuses connections."""

    def __init__(self, port=0):
        self.received = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                self.rfile.read(int(self.headers['Content-Length']))
                with receiver.changed:
                    receiver.received.append(self.headers['webhook-id'])
                    receiver.changed.notify_all()
                self.send_response(204)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass
        self.server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def wait_for(self, count, timeout):
        with self.changed:
            return self.changed.wait_for(
                lambda: len(set(self.received)) >= count, timeout)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def subscribe(env_path, port):
    from trac.env import Environment
    from tracrpc.webhooks import WebhookStore
    env = Environment(env_path)
    store = WebhookStore(env)
    for webhook in store.webhooks():
        store.update(webhook['id'], active=False)
    id, secret = store.create('http://127.0.0.1:%d/hook' % port,
                              username='admin')
    env.shutdown()
    return id


def start_worker(env_path, log):
    return subprocess.Popen(
        [sys.executable, '-m', 'trac.admin.console', env_path, 'rpc',
         'webhook', 'run', 'interval=0.05'], stdout=log, stderr=log)


def stop_worker(worker):
    worker.terminate()
    worker.wait(60)


def delivery_rate(args, env_path):
    set_options(env_path, [('rpc', 'webhook_allow_private', 'true')])
    receiver = Receiver()
    subscribe(env_path, receiver.port)
    fill_feed(env_path, args.deliveries)
    with open(args.log, 'a') as log:
        began = time.perf_counter()
        worker = start_worker(env_path, log)
        try:
            assert receiver.wait_for(args.deliveries, 600)
            elapsed = time.perf_counter() - began
        finally:
            stop_worker(worker)
            receiver.stop()
    rate = args.deliveries / elapsed
    print('\n3. Delivery: %d changes to a local receiver by one worker in '
          '%.2f s (worker start included): %.0f deliveries/s' % (
              args.deliveries, elapsed, rate))
    return rate


def outage(args, env_path):
    """The receiver is down `args.outage` seconds while changes are made."""
    receiver = Receiver()
    port = receiver.port
    subscribe(env_path, port)
    count = 20
    with open(args.log, 'a') as log:
        worker = start_worker(env_path, log)
        try:
            receiver.stop()
            down = time.monotonic()
            for number in range(count):
                fill_feed(env_path, 1)
                time.sleep(args.outage / count)
            receiver = Receiver(port)
            back = time.monotonic()
            delivered = receiver.wait_for(count, 3600)
            caught_up = time.monotonic() - back
        finally:
            stop_worker(worker)
            receiver.stop()
    ids = receiver.received
    numbers = [int(i.rsplit('_', 1)[1]) for i in dict.fromkeys(ids)]
    print('\n4. Outage: the receiver was down %.0f s while %d changes were '
          'made; after it came back all %s delivered (%d distinct, in order: '
          '%s) within %.0f s' % (back - down, count,
                                 'were' if delivered else 'were NOT',
                                 len(set(ids)), numbers == sorted(numbers),
                                 caught_up))
    return delivered and numbers == sorted(numbers)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--tickets', type=int, default=1000)
    parser.add_argument('--duration', type=float, default=5.0,
                        help='seconds per measurement of the recording cost')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--changes', type=int, default=10000,
                        help='changes read in the reading measurement')
    parser.add_argument('--deliveries', type=int, default=2000)
    parser.add_argument('--outage', type=float, default=0,
                        help='seconds the receiver is down (0: skip)')
    parser.add_argument('--smoke', action='store_true',
                        help='a quick run checking that everything works')
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.rounds, args.changes, args.deliveries = \
            0.5, 1, 500, 100
        args.outage = args.outage or 2
    root = tempfile.mkdtemp(prefix='tracrpc-feed-bench-')
    args.log = os.path.join(root, 'server.log')
    env_path = os.path.join(root, 'env')
    try:
        benchmark.create_environment(env_path, 'sqlite:db/trac.db',
                                     args.tickets, 10, True)
        set_options(env_path, [('rpc', 'webhook_retry_delay',
                                '1' if args.smoke else '5')])
        pool = multiprocessing.get_context('fork').Pool(1)
        try:
            cost = recording_cost(args, env_path, pool)
        finally:
            pool.terminate()
        read = reading(args, env_path)
        rate = delivery_rate(args, env_path)
        survived = outage(args, env_path) if args.outage else None
        print('\nTargets: recording <= +10%%: %s; %d changes read in <= 1 s: '
              '%s; >= 200 deliveries/s: %s%s' % (
                  'met' if max(cost.values()) <= 0.10 else 'MISSED',
                  args.changes, 'met' if min(read.values()) <= 1 else
                  'MISSED', 'met' if rate >= 200 else 'MISSED',
                  '' if survived is None else '; outage: %s' % (
                      'nothing lost' if survived else 'LOST CHANGES')))
        if survived is False:
            sys.exit(1)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    bootstrap.reexec_in_venv(os.path.abspath(__file__), 'test')
    main()
