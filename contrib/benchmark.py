"""Benchmark TracXMLRPC against Trac's own request cost.

    python3 contrib/benchmark.py                      # tracd, sqlite
    python3 contrib/benchmark.py --server gunicorn --workers 4 \\
        --db postgres://postgres@127.0.0.1/test      # gunicorn, PostgreSQL
    python3 contrib/benchmark.py --scaling 1,4 --server gunicorn \\
        --db postgres://postgres@127.0.0.1/test      # 1 vs 4 workers
    python3 contrib/benchmark.py --soak 100000        # RSS over many calls
    python3 contrib/benchmark.py --query-sizes 1000,10000,100000
                                                      # ticket.query growth
    python3 contrib/benchmark.py --smoke              # does it still run?

It creates a Trac environment (N tickets, 10 000 for the query workload,
some wiki pages), starts the server, and drives it with concurrent
keep-alive HTTP clients (separate processes) for both protocols. Every
workload reports requests/s, latency p50/p99, server CPU per call and
its ratio to the floor: Trac's own `GET /ticket/1?format=tab` (for
single calls, by throughput) and `GET /query?format=csv&max=0` (for
`ticket.query`, by time). All requests are anonymous (anonymous holds
TRAC_ADMIN in this throwaway environment), so RPC and floor pay the same
authentication cost. The same run measures `system.getAPIVersion` with
`[rpc] gc_freeze` off, the 10 MiB attachment's peak RSS growth and the
stdlib/simplejson encoders in use.
"""

import argparse
import base64
import io
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402

CLOCK_TICKS = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100
CONTENT_TYPES = {'xmlrpc': 'text/xml', 'jsonrpc': 'application/json'}
MIB = 1 << 20


# -- The environment ------------------------------------------------------

def create_environment(path, dburi, tickets, pages, gc_freeze):
    import tracenv
    from trac.util.datefmt import datetime_now, to_utimestamp, utc
    env = tracenv.create_environment(
        path, dburi,
        config=[('rpc', 'gc_freeze', 'true' if gc_freeze else 'false'),
                ('rpc', 'max_body_size', str(64 * MIB)),
                ('attachment', 'max_size', str(16 * MIB)),
                ('logging', 'log_level', 'WARNING')],
        permissions=[('anonymous', 'TRAC_ADMIN')])
    now = to_utimestamp(datetime_now(utc))
    with env.db_transaction as db:
        db.executemany(
            "INSERT INTO ticket (type, time, changetime, priority, owner, "
            "reporter, status, summary, description, keywords) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [('defect', now, now, 'major', 'admin', 'user', 'new',
              'Benchmark ticket %d' % number,
              'Description of ticket %d\n\nwith some text.' % number, '')
             for number in range(1, tickets + 1)])
    from trac.wiki.model import WikiPage
    for number in range(pages):
        page = WikiPage(env, 'BenchPage%d' % number)
        page.text = '= Page %d =\n\nSome text with a WikiStart link.\n' \
                    % number * 20
        page.save('admin', 'created')
    env.shutdown()


def set_gc_freeze(path, enabled):
    from trac.env import Environment
    env = Environment(path)
    env.config.set('rpc', 'gc_freeze', 'true' if enabled else 'false')
    env.config.save()
    env.shutdown()


# -- The server -----------------------------------------------------------

class Server(object):
    """tracd or gunicorn serving the environment, with /proc readings of
    its processes (CPU seconds, RSS)."""

    def __init__(self, kind, env_path, workers, log_path,
                 worker_class='gthread'):
        import tracenv
        self.port = tracenv.free_port()
        self.log = open(log_path, 'a')
        if kind == 'tracd':
            self.process = tracenv.start_tracd(env_path, None, self.port,
                                               self.log)
        else:
            self.process = tracenv.start_gunicorn(env_path, '', self.port,
                                                  workers, self.log,
                                                  worker_class)
        self.host = '127.0.0.1'

    def pids(self):
        pids = [self.process.pid]
        for name in os.listdir('/proc'):
            if name.isdigit():
                try:
                    with open('/proc/%s/stat' % name) as f:
                        fields = f.read().rsplit(')', 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(int(name))
        return pids

    def cpu_seconds(self):
        total = 0
        for pid in self.pids():
            try:
                with open('/proc/%d/stat' % pid) as f:
                    fields = f.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def memory(self, field='VmRSS'):
        """Summed `field` (VmRSS, VmHWM) of the server processes, bytes."""
        total = 0
        for pid in self.pids():
            try:
                with open('/proc/%d/status' % pid) as f:
                    for line in f:
                        if line.startswith(field + ':'):
                            total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total

    def reset_peak(self):
        for pid in self.pids():
            try:
                with open('/proc/%d/clear_refs' % pid, 'w') as f:
                    f.write('5')
            except OSError:
                pass

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


class TrunkServer(Server):
    """TracXMLRPC's trunk (1.2.0.dev0) served by tracd from the
    virtualenv of `python`, through this plugin's TCP_NODELAY launcher
    (a copy of tracrpc/tracd.py, which needs only Trac): the two plugins
    are measured on the same footing."""

    def __init__(self, python, env_path, log_path):
        import tracenv
        launcher = os.path.join(os.path.dirname(env_path), 'nodelay_tracd.py')
        shutil.copy(os.path.join(bootstrap.ROOT, 'tracrpc', 'tracd.py'),
                    launcher)
        self.port = tracenv.free_port()
        self.log = open(log_path, 'a')
        self.process = subprocess.Popen(
            [python, launcher, '-s', '--hostname', '127.0.0.1', '-p',
             str(self.port), '--http11', env_path],
            stdout=self.log, stderr=subprocess.STDOUT,
            cwd=os.path.dirname(env_path))
        tracenv.wait_for_port(self.port, self.process)
        self.host = '127.0.0.1'


def install_trunk(git_dir, prefix):
    """A virtualenv at `prefix` with Trac 1.6 and TracXMLRPC's trunk from
    `git_dir` (a git mirror of trac-hacks); its python."""
    import tarfile
    import venv
    source = prefix + '-source'
    archive = source + '.tar'
    with open(archive, 'wb') as f:
        subprocess.run(['git', '--git-dir', git_dir, 'archive',
                        'HEAD:xmlrpcplugin/trunk'], stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(source)
    venv.create(prefix, with_pip=True)
    python = os.path.join(prefix, 'bin', 'python')
    subprocess.run([python, '-m', 'pip', 'install', '--quiet',
                    '--disable-pip-version-check', 'Trac==1.6',
                    'setuptools<81', 'simplejson', 'Babel', source],
                   check=True)
    return python


# -- Requests -------------------------------------------------------------

def rpc_body(protocol, method, params):
    if protocol == 'xmlrpc':
        return xmlrpc.client.dumps(tuple(params), method).encode('utf-8')
    return json.dumps({'method': method, 'params': params,
                       'id': 1}).encode('utf-8')


def json_params(params):
    return [{'__jsonclass__': ['binary', base64.b64encode(p.data).decode()]}
            if isinstance(p, xmlrpc.client.Binary) else p for p in params]


class Workload(object):
    """Builds request `number` of a workload: (method, path, body,
    content type)."""

    def __init__(self, name, protocol, tickets):
        self.name = name
        self.protocol = protocol
        self.tickets = tickets

    def call(self, method, *params):
        if self.protocol == 'jsonrpc':
            params = json_params(params)
        return ('POST', '/rpc', rpc_body(self.protocol, method, list(params)),
                CONTENT_TYPES[self.protocol])

    def request(self, number):
        return _REQUESTS[self.name](self, number, number % self.tickets + 1)

    def multicall_of_gets(self, number):
        calls = [('ticket.get', (number * 50 + i) % self.tickets + 1)
                 for i in range(50)]
        if self.protocol == 'xmlrpc':
            return self.call('system.multicall', [
                {'methodName': m, 'params': [a]} for m, a in calls])
        return ('POST', '/rpc', json.dumps({
            'method': 'system.multicall', 'id': 1,
            'params': [{'method': m, 'params': [a], 'id': i}
                       for i, (m, a) in enumerate(calls)]}).encode(),
            CONTENT_TYPES['jsonrpc'])


def _put_page(workload, number):
    # a page per client: concurrent writers of one page get 409
    page = 'BenchPut%d-%d' % (number // 1000003, number % 10)
    return workload.call('wiki.putPage', page,
                         'Text %d %f' % (number, random.random()),
                         {'comment': 'bench'})


#: workload name -> its request number `n` for ticket `tid`
_REQUESTS = {
    'floor /ticket/N?format=tab': lambda w, n, tid: (
        'GET', '/ticket/%d?format=tab' % tid, None, None),
    'floor /query?format=csv&max=0': lambda w, n, tid: (
        'GET', '/query?status=!closed&format=csv&max=0', None, None),
    'system.getAPIVersion': lambda w, n, tid: w.call('system.getAPIVersion'),
    'system.listMethods': lambda w, n, tid: w.call('system.listMethods'),
    'ticket.get': lambda w, n, tid: w.call('ticket.get', tid),
    'ticket.query (all)': lambda w, n, tid: w.call(
        'ticket.query', 'status!=closed&max=0'),
    'ticket.create': lambda w, n, tid: w.call(
        'ticket.create', 'Created %d' % n, 'Benchmark',
        {'priority': 'minor'}),
    'ticket.update (comment)': lambda w, n, tid: w.call(
        'ticket.update', tid, 'Comment %d' % n),
    'wiki.getPage': lambda w, n, tid: w.call(
        'wiki.getPage', 'BenchPage%d' % (n % 10)),
    'wiki.putPage': lambda w, n, tid: _put_page(w, n),
    'multicall 50 ticket.get': lambda w, n, tid: w.multicall_of_gets(n),
}


class Connection(object):
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost
    far less CPU than the server it measures (http.client does not)."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.sock = None
        self.buffer = b''

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock, self.buffer = None, b''

    def request(self, request):
        """Send `request` (method, path, body, content type); return
        (status, body)."""
        method, path, body, content_type = request
        head = '%s %s HTTP/1.1\r\nHost: bench\r\n' % (method, path)
        if body is not None:
            head += 'Content-Type: %s\r\nContent-Length: %d\r\n' % (
                content_type, len(body))
        data = head.encode('ascii') + b'\r\n' + (body or b'')
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=300)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(data)
        return self._response()

    def _read(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError('connection closed')
        self.buffer += chunk

    def _take(self, size):
        while len(self.buffer) < size:
            self._read()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _line(self):
        while b'\r\n' not in self.buffer:
            self._read()
        line, self.buffer = self.buffer.split(b'\r\n', 1)
        return line

    def _response(self):
        while b'\r\n\r\n' not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b'\r\n\r\n', 1)
        lines = head.split(b'\r\n')
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(b': ', 1) for line in lines[1:])
        if b'content-length' in headers:
            body = self._take(int(headers[b'content-length']))
        elif headers.get(b'transfer-encoding') == b'chunked':
            parts = []
            while True:
                size = int(self._line().split(b';')[0], 16)
                parts.append(self._take(size))
                self._take(2)
                if not size:
                    break
            body = b''.join(parts)
        else:
            try:
                while True:
                    self._read()
            except ConnectionError:
                pass
            body, self.buffer = self.buffer, b''
        if headers.get(b'connection') == b'close' or \
                b'content-length' not in headers and \
                b'transfer-encoding' not in headers:
            self.close()
        return status, body


def send(connection, request):
    status, data = connection.request(request)
    failed = status != 200 or b'<fault>' in data or b'"error": {' in data
    return data, failed


def client_process(args):
    """One client: a keep-alive connection sending pre-built requests
    until the deadline; returns (latencies, errors)."""
    host, port, name, protocol, tickets, deadline, seed, limit = args
    random.seed(seed)
    workload = Workload(name, protocol, tickets)
    requests = [workload.request(seed * 1000003 + number)
                for number in range(200)]
    connection = Connection(host, port)
    latencies, errors = [], 0
    while time.time() < deadline and len(latencies) < limit:
        request = requests[len(latencies) % len(requests)]
        start = time.perf_counter()
        try:
            data, failed = send(connection, request)
        except OSError:
            connection.close()
            failed = True
        latencies.append(time.perf_counter() - start)
        errors += failed
    connection.close()
    return latencies, errors


def measure(server, pool, name, protocol, tickets, clients, duration,
            limit=10 ** 9):
    warm = Workload(name, protocol, tickets)
    connection = Connection(server.host, server.port)
    for number in range(3):
        send(connection, warm.request(number))
    connection.close()
    cpu_before = server.cpu_seconds()
    busy_before = machine_busy_seconds()
    started = time.time()
    deadline = started + duration
    results = pool.map(client_process, [
        (server.host, server.port, name, protocol, tickets, deadline,
         index + 1, limit) for index in range(clients)])
    elapsed = time.time() - started
    cpu = server.cpu_seconds() - cpu_before
    busy = machine_busy_seconds() - busy_before
    latencies = sorted(latency for result in results
                       for latency in result[0])
    calls = len(latencies)
    return {'workload': name, 'protocol': protocol, 'calls': calls,
            'errors': sum(result[1] for result in results),
            'rps': calls / elapsed,
            'p50': latencies[calls // 2] * 1000,
            'p99': latencies[min(calls - 1, int(calls * 0.99))] * 1000,
            'mean': statistics.mean(latencies) * 1000,
            'cpu_ms': cpu / calls * 1000,
            'server_cores': cpu / elapsed, 'machine_cores': busy / elapsed}


def machine_busy_seconds():
    """CPU seconds all processes of the machine have used (/proc/stat)."""
    with open('/proc/stat') as f:
        fields = [int(value) for value in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def measure_sequential_multicall(server, protocol, rounds=20):
    """One client alone: the wall time of 50 ticket.get calls one after
    the other vs one multicall of the same 50 (medians of `rounds`)."""
    single = Workload('ticket.get', protocol, 10 ** 6)
    multi = Workload('multicall 50 ticket.get', protocol, 10 ** 6)
    connection = Connection(server.host, server.port)
    separate, combined = [], []
    for round_ in range(rounds):
        start = time.perf_counter()
        for number in range(50):
            send(connection, single.request(round_ * 50 + number))
        separate.append(time.perf_counter() - start)
        start = time.perf_counter()
        send(connection, multi.request(round_))
        combined.append(time.perf_counter() - start)
    connection.close()
    return statistics.median(separate), statistics.median(combined)


def measure_attachment(server, protocol, size=10 * MIB, rounds=3):
    """Put and get a `size` attachment `rounds` times; return the peak
    RSS growth of the server over its RSS before."""
    workload = Workload('attachment', protocol, 1)
    data = os.urandom(size)
    connection = Connection(server.host, server.port)
    send(connection, workload.call('ticket.listAttachments', 1))
    baseline = server.memory('VmRSS')
    server.reset_peak()
    timings, errors = [], 0
    for number in range(rounds):
        start = time.perf_counter()
        put = workload.call('ticket.putAttachment', 1, 'big.bin', 'bench',
                            xmlrpc.client.Binary(data))
        answer, failed = send(connection, put)
        errors += failed
        answer, failed = send(connection, workload.call(
            'ticket.getAttachment', 1, 'big.bin'))
        errors += failed or len(answer) < size
        timings.append(time.perf_counter() - start)
    connection.close()
    growth = server.memory('VmHWM') - baseline
    return {'workload': '%d MiB attachment put+get' % (size // MIB),
            'protocol': protocol,
            'calls': rounds * 2, 'errors': errors,
            'rps': rounds * 2 / sum(timings),
            'p50': sorted(timings)[rounds // 2] * 1000, 'p99': max(timings)
            * 1000, 'mean': statistics.mean(timings) * 1000, 'cpu_ms': 0,
            'rss_growth': growth, 'payload': size}


# -- Reports --------------------------------------------------------------

RPC_WORKLOADS = ['system.getAPIVersion', 'system.listMethods', 'ticket.get',
                 'ticket.query (all)', 'ticket.create',
                 'ticket.update (comment)', 'wiki.getPage', 'wiki.putPage',
                 'multicall 50 ticket.get']

SMALL = ['system.getAPIVersion', 'system.listMethods', 'ticket.get',
         'ticket.create', 'ticket.update (comment)', 'wiki.getPage',
         'wiki.putPage', 'multicall 50 ticket.get']


#: the read-heavy mix of the worker scaling run
SCALING_MIX = ['ticket.get', 'wiki.getPage', 'system.listMethods']


def ratio_to_floor(row, floors):
    """The row against Trac's own floor, as text ('' for none)."""
    if row['workload'] == 'ticket.query (all)':
        return '%.2fx time' % (
            row['mean'] / floors['floor /query?format=csv&max=0']['mean'])
    if row['workload'] in SMALL:
        return '%.2fx rps' % (
            row['rps'] / floors['floor /ticket/N?format=tab']['rps'])
    return ''


def write_rst(path, rows, floors, gc_off, args, models):
    """The run's figures as the docs' performance page (`--rst`)."""
    lines = ['Performance', '===========', '',
             'Generated by ``python3 contrib/benchmark.py --rst '
             'docs/performance.rst`` (run it to reproduce): %s. "vs floor" '
             'compares with Trac\'s own ``GET /ticket/N?format=tab`` '
             '(throughput) or ``/query?format=csv&max=0`` (time). Run-to-run '
             'noise on a shared machine is about 15 %%.' % describe_text(args),
             '', '.. list-table::', '   :header-rows: 1', '']
    header = ['Workload', 'Protocol', 'req/s', 'p50 ms', 'p99 ms',
              'CPU ms/call', 'vs floor']
    body = [[row['workload'], row['protocol'], '%.1f' % row['rps'],
             '%.2f' % row['p50'], '%.2f' % row['p99'],
             '%.2f' % row['cpu_ms'],
             ratio_to_floor(row, floors) or (
                 'peak RSS %.2fx the payload'
                 % (row['rss_growth'] / row['payload'])
                 if 'rss_growth' in row else '')]
            for row in list(floors.values()) + rows]
    if gc_off:
        body.append([gc_off['workload'] + ' (gc_freeze off)', 'xmlrpc',
                     '%.1f' % gc_off['rps'], '%.2f' % gc_off['p50'],
                     '%.2f' % gc_off['p99'], '%.2f' % gc_off['cpu_ms'], ''])
    for cells in [header] + body:
        lines.append('   * - ``%s``' % cells[0] if cells is not header
                     else '   * - %s' % cells[0])
        lines.extend('     - %s' % cell for cell in cells[1:])
    if models:
        lines += ['', 'Trac\'s own model calls on the same environment, '
                  'in-process (the least an RPC call can cost), CPU ms per '
                  'call:', '', '.. list-table::', '   :header-rows: 1', '',
                  '   * - Model call', '     - CPU ms', '     - RPC workloads '
                  '(CPU ms, ratio)']
        for name, cpu in models.items():
            ours = ', '.join('%s %s %.2f (%.2fx)' % (
                row['workload'], row['protocol'], row['cpu_ms'],
                row['cpu_ms'] / cpu) for row in rows
                if FLOOR_OF.get(row['workload']) == name)
            lines += ['   * - ``%s``' % name, '     - %.2f' % cpu,
                      '     - %s' % (ours or '-')]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    print('\nWrote %s' % path)


def print_table(rows, floors):
    print('\n%-30s %-8s %8s %9s %9s %9s %11s' % (
        'workload', 'protocol', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms',
        'vs floor'))
    for row in rows:
        ratio = ratio_to_floor(row, floors)
        extra = ''
        if 'rss_growth' in row:
            extra = '  peak RSS +%.1f MiB (%.2fx payload)' % (
                row['rss_growth'] / MIB, row['rss_growth'] / row['payload'])
        if row['errors']:
            extra += '  ERRORS: %d' % row['errors']
        print('%-30s %-8s %8.1f %9.2f %9.2f %9.2f %11s%s' % (
            row['workload'], row['protocol'], row['rps'], row['p50'],
            row['p99'], row['cpu_ms'], ratio, extra))


def print_targets(rows, floors, gc_off):
    """Print each target whose workloads ran, with its value."""
    def row(name, protocol):
        for candidate in rows:
            if candidate['workload'] == name and \
                    candidate['protocol'] == protocol:
                return candidate
        raise LookupError(name)
    print('\nTargets')
    skipped = 0
    for check, args in _target_checks(row, floors, gc_off):
        try:
            label, value, target, met = check(*args)
        except LookupError:
            skipped += 1
            continue
        print('  %-62s %7.2f  %-7s %s' % (label, value, target,
                                         'met' if met else 'MISSED'))
    if skipped:
        print('  (%d targets not checked: their workloads did not run)'
              % skipped)


def _target_checks(row, floors, gc_off):
    """The targets, each a function and its arguments; the function
    returns (label, value, target, met), or raises LookupError when a
    workload it needs did not run."""
    tab = floors['floor /ticket/N?format=tab']
    csv = floors['floor /query?format=csv&max=0']

    def throughput(name, protocol):
        value = row(name, protocol)['rps'] / tab['rps']
        return ('%s %s throughput vs /ticket/N?format=tab'
                % (name, protocol), value, '>= 1.0', value >= 1)

    def multicall(protocol):
        value = (row('ticket.get', protocol)['mean'] * 50 /
                 row('multicall 50 ticket.get', protocol)['mean'])
        return ('multicall of 50 ticket.get vs 50 calls, %s' % protocol,
                value, '>= 10', value >= 10)

    def query(protocol):
        value = row('ticket.query (all)', protocol)['mean'] / csv['mean']
        return ('ticket.query (all) time vs /query csv, %s' % protocol,
                value, '<= 1.5', value <= 1.5)

    def attachment(protocol):
        measured = row('10 MiB attachment put+get', protocol)
        value = measured['rss_growth'] / measured['payload']
        return ('10 MiB attachment peak RSS growth / payload, %s'
                % protocol, value, '<= 6', value <= 6)

    def gc_freeze():
        if not gc_off:
            raise LookupError('gc_freeze off')
        on = row('system.getAPIVersion', 'xmlrpc')['cpu_ms']
        value = on / gc_off['cpu_ms']
        return ('getAPIVersion CPU/call gc_freeze on / off (%.2f / %.2f ms)'
                % (on, gc_off['cpu_ms']), value, '<= 0.2', value <= 0.2)

    for protocol in CONTENT_TYPES:
        for name in ('system.getAPIVersion', 'ticket.get'):
            yield throughput, (name, protocol)
        for check in (multicall, query, attachment):
            yield check, (protocol,)
    yield gc_freeze, ()


# -- Modes ----------------------------------------------------------------

def run_benchmark(args, env_path, pool):
    rows, floors, sequential = [], {}, {}
    floor_env = copy_for_floors(env_path)
    server = Server(args.server, env_path, args.workers, args.log,
                    args.worker_class)
    try:
        for name in ('floor /ticket/N?format=tab',
                     'floor /query?format=csv&max=0'):
            floors[name] = measure(server, pool, name, 'http', args.tickets,
                                   args.clients, args.duration)
            floors[name]['protocol'] = 'http'
        for protocol in CONTENT_TYPES:
            for name in RPC_WORKLOADS:
                if not selected(args, name):
                    continue
                rows.append(measure(server, pool, name, protocol,
                                    args.tickets, args.clients,
                                    args.duration))
            if selected(args, '10 MiB attachment put+get'):
                rows.append(measure_attachment(server, protocol))
            sequential[protocol] = measure_sequential_multicall(server,
                                                                protocol)
        peak = server.memory('VmHWM')
    finally:
        server.stop()
    gc_off = None
    if args.server == 'tracd':
        set_gc_freeze(env_path, False)
        server = Server(args.server, env_path, args.workers, args.log)
        try:
            gc_off = measure(server, pool, 'system.getAPIVersion', 'xmlrpc',
                             args.tickets, args.clients, args.duration)
        finally:
            server.stop()
            set_gc_freeze(env_path, True)
    print_table(list(floors.values()) + rows, floors)
    if gc_off:
        print('%-30s %-8s %8.1f %9.2f %9.2f %9.2f   (gc_freeze off)' % (
            gc_off['workload'], 'xmlrpc', gc_off['rps'], gc_off['p50'],
            gc_off['p99'], gc_off['cpu_ms']))
    print('\nPeak server RSS (all processes): %.1f MiB' % (peak / MIB))
    for protocol, (separate, combined) in sequential.items():
        print('One client alone, %s: 50 ticket.get calls %.1f ms, one '
              'multicall of them %.1f ms (%.2fx)' % (
                  protocol, separate * 1000, combined * 1000,
                  separate / combined))
    print_targets(rows, floors, gc_off)
    models = model_floors(floor_env) if not args.only else {}
    if models:
        print_floors(models, rows)
    if args.rst:
        write_rst(args.rst, rows, floors, gc_off, args, models)
    return sum(row['errors'] for row in rows)


def selected(args, name):
    """Whether workload `name` runs (`--only`)."""
    return not args.only or any(part in name for part in args.only)


#: what is compared with the trunk, with the factor each must reach;
#: the reads first, so that no query counts tickets a write made
VERSUS = [('system.getAPIVersion', None), ('ticket.get', 25),
          ('ticket.query (all)', 5), ('multicall 50 ticket.get', 10),
          ('wiki.getPage', None), ('1 MiB attachment put+get', 3),
          ('ticket.create', 10), ('ticket.update (comment)', 10)]


#: RPC workload -> Trac's model call that is its floor (`model_floors`)
FLOOR_OF = {'ticket.create': 'Ticket.insert',
            'ticket.update (comment)': 'Ticket.save_changes',
            'ticket.query (all)': 'Query.execute (ids)',
            'wiki.getPage': 'WikiPage read',
            'ticket.get': 'Ticket read'}


def copy_for_floors(env_path):
    """A copy of the environment as the workloads find it, for Trac's
    floors (the writing workloads add tickets); its path."""
    floor_env = os.path.join(os.path.dirname(env_path), 'floor-env')
    shutil.copytree(env_path, floor_env)
    return floor_env


def model_floors(env_path, rounds=200, only=None):
    """CPU ms per call of Trac's own model calls on the environment,
    in-process: what an RPC call costs at the least (`only`: just the
    call of that name); `rounds` calls, five times."""
    from trac.attachment import Attachment
    from trac.env import Environment
    from trac.ticket.model import Ticket
    from trac.ticket.query import Query
    from trac.wiki.model import WikiPage
    env = Environment(env_path)

    def insert(number):
        ticket = Ticket(env)
        ticket['summary'] = 'Floor %d' % number
        ticket['reporter'] = 'bench'
        ticket.insert()

    def save(number):
        ticket = Ticket(env, number % 100 + 1)
        ticket.save_changes('bench', 'Floor comment %d' % number)

    def query(number):
        Query.from_string(env, 'status!=closed&max=0&col=id').execute()

    def attach(number):
        attachment = Attachment(env, 'ticket', 1)
        attachment.insert('floor%d.bin' % number, io.BytesIO(payload), MIB)

    payload = os.urandom(MIB)
    calls = {'Ticket.insert': insert, 'Ticket.save_changes': save,
             'Query.execute (ids)': query,
             'WikiPage read': lambda n: WikiPage(env, 'BenchPage%d' % (n % 10)),
             'Ticket read': lambda n: Ticket(env, n % 100 + 1),
             'Attachment.insert (1 MiB)': attach}
    floors = {}
    for name, call in calls.items():
        if only and name != only:
            continue
        count = max(3, rounds // 20) if 'Query' in name or 'Attach' in name \
            else rounds
        call(0)
        # the median of five slices: a shared machine's bursts of noise
        # hit one slice, not the figure
        per_call = []
        for part in range(5):
            started = time.process_time()
            for number in range(part * count + 1, (part + 1) * count + 1):
                call(number)
            per_call.append((time.process_time() - started) / count * 1000)
        floors[name] = statistics.median(per_call)
    env.shutdown()
    return floors


def print_floors(floors, rows):
    print('\nTrac\'s own model calls, in-process (CPU ms per call):')
    for name, cpu in floors.items():
        ours = [row for row in rows if FLOOR_OF.get(row['workload']) == name]
        print('  %-28s %8.2f%s' % (name, cpu, ''.join(
            '   %s %s %.2f ms (%.2fx)' % (row['workload'], row['protocol'],
                                          row['cpu_ms'], row['cpu_ms'] / cpu)
            for row in ours)))


def run_versus_trunk(args, env_path, pool):
    """The same workloads on this plugin and on the trunk, each on its own
    copy of the same environment, both served at once: each workload
    runs on one, then at once on the other, `args.rounds` times, so that
    a machine whose speed drifts (a shared VM) treats both alike; the
    medians of the rounds."""
    root = os.path.dirname(env_path)
    trunk_env = os.path.join(root, 'trunk-env')
    shutil.copytree(env_path, trunk_env)
    floor_env = copy_for_floors(env_path)
    print('Installing the trunk from %s ...' % args.versus_trunk,
          flush=True)
    python = install_trunk(args.versus_trunk, os.path.join(root, 'trunk'))
    servers = {}
    try:
        servers['ours'] = Server('tracd', env_path, 1, args.log)
        servers['trunk'] = TrunkServer(python, trunk_env, args.log)
        rounds = {label: {} for label in servers}
        for name, _ in VERSUS:
            if not selected(args, name):
                continue
            for protocol in CONTENT_TYPES:
                for _ in range(args.rounds):
                    for label, server in servers.items():
                        row = measure_versus(args, pool, server, name,
                                             protocol)
                        rounds[label].setdefault((name, protocol),
                                                 []).append(row)
                        print('%-6s %-28s %-8s %8.1f req/s %8.2f ms CPU%s'
                              % (label, name, protocol, row['rps'],
                                 row['cpu_ms'], '  ERRORS: %d' % row['errors']
                                 if row['errors'] else ''), flush=True)
    finally:
        for server in servers.values():
            server.stop()
    results = {label: {key: median_row(rows) for key, rows in runs.items()}
               for label, runs in rounds.items()}
    models = model_floors(floor_env)
    print_versus(results, models)
    if args.rst:
        write_versus_rst(args.rst, results, args, models)


def measure_versus(args, pool, server, name, protocol):
    if name.endswith('attachment put+get'):
        return measure_attachment(server, protocol, MIB, 10)
    return measure(server, pool, name, protocol, args.tickets, args.clients,
                   args.duration)


def median_row(rows):
    """The round of median throughput, with its CPU per call."""
    return sorted(rows, key=lambda row: row['rps'])[len(rows) // 2]


def floor_text(models, name):
    """Trac's in-process model floor of a workload, as text ('' for
    none)."""
    floor = models.get(FLOOR_OF.get(name))
    return '' if floor is None else '%.2f' % floor


def print_versus(results, models):
    print('\n%-28s %-8s %10s %10s %9s %9s %9s %8s' % (
        'workload', 'protocol', 'ours rps', 'trunk rps', 'ours CPU',
        'trunk CPU', 'Trac CPU', 'ratio'))
    for (name, protocol), ours in results['ours'].items():
        trunk = results['trunk'][name, protocol]
        ratio = ours['rps'] / trunk['rps']
        target = dict(VERSUS)[name]
        print('%-28s %-8s %10.1f %10.1f %9.2f %9.2f %9s %7.2fx %s' % (
            name, protocol, ours['rps'], trunk['rps'], ours['cpu_ms'],
            trunk['cpu_ms'], floor_text(models, name), ratio,
            '' if target is None else '>= %dx %s' % (
                target, 'met' if ratio >= target else 'MISSED')))
    print('(CPU: server CPU ms per call; Trac CPU: Trac\'s own model call '
          'in-process, the floor)')


def write_versus_rst(path, results, args, models):
    lines = ['Against the trunk', '=================', '',
             'Generated by ``python3 contrib/benchmark.py --versus-trunk '
             'GITDIR --rst FILE``: this plugin and TracXMLRPC 1.2.0.dev0 '
             '(the trunk, installed from a trac-hacks git mirror into a '
             'virtualenv of its own), each on a copy of the same environment '
             'and behind the same TCP_NODELAY tracd launcher, served at '
             'once; each workload runs on one and then on the other, %d '
             'rounds, and the table shows the round of median throughput '
             'of each; %s. '
             '"Trac floor": Trac\'s own model call for the workload '
             '(``Ticket.insert``, ``Ticket.save_changes``, '
             '``Query.execute`` of the ids, a ``Ticket`` or ``WikiPage`` '
             'read), timed in-process on the same environment.'
             % (args.rounds, describe_text(args)), '', '.. list-table::',
             '   :header-rows: 1', '', '   * - Workload', '     - Protocol',
             '     - ours req/s', '     - trunk req/s', '     - ours CPU ms',
             '     - trunk CPU ms', '     - Trac floor CPU ms',
             '     - ratio (target)']
    for (name, protocol), ours in results['ours'].items():
        trunk = results['trunk'][name, protocol]
        target = dict(VERSUS)[name]
        lines += ['   * - ``%s``' % name, '     - %s' % protocol,
                  '     - %.1f' % ours['rps'], '     - %.1f' % trunk['rps'],
                  '     - %.2f' % ours['cpu_ms'],
                  '     - %.2f' % trunk['cpu_ms'],
                  '     - %s' % (floor_text(models, name) or '-'),
                  '     - %.2fx%s' % (ours['rps'] / trunk['rps'],
                                      '' if target is None
                                      else ' (%dx)' % target)]
    lines += null_call_note(results)
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    print('\nWrote %s' % path)


def null_call_note(results):
    """What bounds the ratios: the server CPU of a call that does
    nothing, as RST lines ([] without that workload)."""
    null = results['ours'].get(('system.getAPIVersion', 'xmlrpc'))
    if not null:
        return []
    return ['', '``system.getAPIVersion`` does nothing: its %.2f ms of '
            'server CPU per call here are the cost of any request '
            '(tracd, Trac\'s dispatch, the protocol), a floor under every '
            'other call. The trunk\'s cost is mostly Trac\'s full garbage '
            'collection after each request, whose price depends on the '
            'machine\'s memory speed, so the ratios move from machine to '
            'machine more than either plugin\'s own work does.'
            % null['cpu_ms']]


def run_query_sizes(args, root):
    """`ticket.query (all)` on environments of each size, one client,
    with Trac's `Query.execute` for the ids in-process beside it: how
    the call grows with the number of tickets."""
    pool = multiprocessing.get_context('fork').Pool(1)
    rows = []
    try:
        for size in args.query_sizes:
            env_path = os.path.join(root, 'env-%d' % size)
            print('Creating %s with %d tickets ...' % (env_path, size),
                  flush=True)
            create_environment(env_path, 'sqlite:db/trac.db', size, 0, True)
            server = Server('tracd', env_path, 1, args.log)
            try:
                # past the server's warm-up ([rpc] gc_freeze freezes the
                # heap after its first 20 requests, a full collection)
                measure(server, pool, 'system.getAPIVersion', 'xmlrpc', size,
                        1, 0.5)
                row = {protocol: measure(server, pool, 'ticket.query (all)',
                                         protocol, size, 1, args.duration,
                                         limit=max(3, 1000000 // size))
                       for protocol in CONTENT_TYPES}
            finally:
                server.stop()
            row['floor'] = model_floors(env_path, only='Query.execute (ids)')
            rows.append((size, row))
            shutil.rmtree(env_path, ignore_errors=True)
    finally:
        pool.terminate()
    print('\n%9s  %-8s %9s %12s %14s %12s' % (
        'tickets', 'protocol', 'calls', 'CPU ms/call', 'CPU us/ticket',
        'Trac floor'))
    for size, row in rows:
        floor = row['floor']['Query.execute (ids)']
        for protocol in CONTENT_TYPES:
            cpu = row[protocol]['cpu_ms']
            print('%9d  %-8s %9d %12.2f %14.2f %9.2f ms' % (
                size, protocol, row[protocol]['calls'], cpu,
                cpu * 1000 / size, floor))


def run_scaling(args, env_path, pool):
    """Read-heavy mix on 1 worker, then on more, `args.rounds` times
    (throughput on a shared machine varies from run to run); the median
    of the rounds' throughput ratios."""
    low, high = min(args.scaling), max(args.scaling)
    ratios = []
    for round_ in range(1, args.rounds + 1):
        results = {workers: scaling_mix(args, env_path, pool, workers)
                   for workers in args.scaling}
        ratios.append(results[high] / results[low])
        print('round %d: %d workers vs %d: %.2fx\n' % (
            round_, high, low, ratios[-1]), flush=True)
    value = statistics.median(ratios)
    print('%d workers vs %d: %.2fx throughput, median of %d rounds (%s; '
          'target >= 1.6: %s)' % (
              high, low, value, len(ratios),
              ', '.join('%.2f' % ratio for ratio in ratios),
              'met' if value >= 1.6 else 'MISSED'))


def scaling_mix(args, env_path, pool, workers):
    """Throughput of the read-heavy mix on `workers` gunicorn workers
    (mean over its workloads); prints each workload."""
    mix = [(name, protocol) for name in SCALING_MIX
           for protocol in CONTENT_TYPES]
    server = Server('gunicorn', env_path, workers, args.log,
                    args.worker_class)
    try:
        # untimed: every worker opens the environment and serves the
        # requests after which its heap is frozen
        for name, protocol in mix:
            measure(server, pool, name, protocol, args.tickets,
                    args.clients, 1.0)
        rows = [measure(server, pool, name, protocol, args.tickets,
                        args.clients, args.duration)
                for name, protocol in mix]
    finally:
        server.stop()
    throughput = sum(row['rps'] for row in rows) / len(rows)
    print('%d worker(s): %.1f req/s (read-heavy mix, mean of %d '
          'workloads); CPU cores busy: server %.2f, whole machine %.2f '
          'of %d' % (workers, throughput, len(rows),
                     statistics.mean(row['server_cores'] for row in rows),
                     statistics.mean(row['machine_cores'] for row in rows),
                     os.cpu_count()))
    for row in rows:
        print('    %-24s %-8s %8.1f req/s  server CPU %.2f ms/call' % (
            row['workload'], row['protocol'], row['rps'], row['cpu_ms']))
    return throughput


def run_soak(args, env_path, pool):
    """`args.soak` getAPIVersion/ticket.get calls; RSS every tenth."""
    server = Server(args.server, env_path, args.workers, args.log)
    step = args.soak // 10
    readings = []
    try:
        for index in range(10):
            for name in ('system.getAPIVersion', 'ticket.get'):
                measure(server, pool, name, 'xmlrpc', args.tickets,
                        args.clients, 10 ** 6, limit=step // 2 //
                        args.clients)
            readings.append(server.memory('VmRSS'))
            print('after %6d calls: RSS %.1f MiB' % ((index + 1) * step,
                                                     readings[-1] / MIB),
                  flush=True)
    finally:
        server.stop()
    growth = readings[-1] / readings[0] - 1
    print('\nRSS growth after warm-up (first tenth): %.1f%% (target <= 20%%: '
          '%s)' % (growth * 100, 'met' if growth <= 0.2 else 'MISSED'))


def int_list(text):
    """`1,4` -> `[1, 4]` (a command-line option)."""
    return [int(number) for number in text.split(',')]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--server', choices=['tracd', 'gunicorn'],
                        default='tracd')
    parser.add_argument('--workers', type=int, default=4,
                        help='gunicorn worker processes')
    parser.add_argument('--worker-class', default='gthread',
                        help='gunicorn worker class (gthread keeps '
                             'connections alive; sync does not)')
    parser.add_argument('--db', default='sqlite:db/trac.db',
                        help='database URI (a fresh PostgreSQL schema is '
                             'used for postgres:// URIs)')
    parser.add_argument('--tickets', type=int, default=10000)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--duration', type=float, default=5.0,
                        help='seconds per workload')
    parser.add_argument('--scaling', type=int_list,
        help='compare gunicorn worker counts, e.g. 1,4')
    parser.add_argument('--rounds', type=int, default=3,
                        help='rounds of the --scaling and --versus-trunk '
                             'comparisons')
    parser.add_argument('--query-sizes', type=int_list,
        help='ticket.query (all) on environments of these numbers of '
             'tickets, e.g. 1000,10000,100000 (one client)')
    parser.add_argument('--soak', type=int,
                        help='number of calls for the RSS soak test')
    parser.add_argument('--only', action='append',
                        help='run only workloads whose name contains this '
                             '(repeatable; also with --versus-trunk); the '
                             'floors always run')
    parser.add_argument('--keep', action='store_true',
                        help='keep the environment directory')
    parser.add_argument('--versus-trunk', metavar='GITDIR',
                        help='also run the workloads against TracXMLRPC\'s '
                             'trunk (1.2.0.dev0), installed from GITDIR, a '
                             'git mirror of trac-hacks (e.g. of '
                             'github.com/lkraav/trac-hacks)')
    parser.add_argument('--rst', metavar='FILE',
                        help='also write the figures as an RST page (the '
                             'docs\' docs/performance.rst)')
    parser.add_argument('--smoke', action='store_true',
                        help='a quick run that only checks every workload '
                             'works (300 tickets, 2 clients, 1 s each); '
                             'exits 1 when a request failed (CI runs it)')
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.clients, args.duration = 300, 2, 1.0
    root = tempfile.mkdtemp(prefix='tracrpc-bench-')
    args.log = os.path.join(root, 'server.log')
    if args.query_sizes:
        try:
            run_query_sizes(args, root)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        return
    env_path = os.path.join(root, 'env')
    dburi = args.db
    if dburi.startswith('postgres://'):
        dburi += ('&' if '?' in dburi else '?') + 'schema=bench_%d' % \
            os.getpid()
    print('Creating %s with %d tickets ...' % (env_path, args.tickets),
          flush=True)
    create_environment(env_path, dburi, args.tickets, 10, True)
    describe(args)
    pool = multiprocessing.get_context('fork').Pool(args.clients)
    try:
        if args.scaling:
            run_scaling(args, env_path, pool)
        elif args.soak:
            run_soak(args, env_path, pool)
        elif args.versus_trunk:
            run_versus_trunk(args, env_path, pool)
        else:
            errors = run_benchmark(args, env_path, pool)
            if errors and args.smoke:
                sys.exit('%d requests failed' % errors)
    finally:
        pool.terminate()
        if dburi.startswith('postgres://'):
            drop_schema(env_path)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def drop_schema(env_path):
    from trac.env import Environment
    from trac.db.api import DatabaseManager
    env = Environment(env_path)
    DatabaseManager(env).destroy_db()
    env.shutdown()


def describe_text(args):
    """The run's setting in one line."""
    import platform
    import trac
    try:
        import simplejson  # noqa: F401
        encoder = 'simplejson %s' % simplejson.__version__
    except ImportError:
        encoder = 'stdlib json'
    return ('Python %s, Trac %s, %s; %s (%d workers), %s, %d tickets; %d '
            'CPUs shared with %d client processes, %.0f s per workload' % (
                platform.python_version(), trac.__version__, encoder,
                args.server, args.workers if args.server == 'gunicorn' else 1,
                args.db.split(':')[0], args.tickets, os.cpu_count(),
                args.clients, args.duration))


def describe(args):
    print(describe_text(args), flush=True)


if __name__ == '__main__':
    bootstrap.reexec_in_venv(os.path.abspath(__file__), 'test')
    main()
