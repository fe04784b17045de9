"""README's first command, `python3 contrib/demo.py`, as a newcomer runs
it: it serves a working demo and its copy-paste call answers; with the
port taken it says why and exits non-zero."""

import os
import re
import signal
import socket
import subprocess
import sys
import xmlrpc.client

import tracenv

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), 'contrib', 'demo.py')


def run_demo(tmp_path, port):
    return subprocess.Popen([sys.executable, DEMO, '--port', str(port),
                             '--path', str(tmp_path / 'demo')],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_demo_serves_and_its_call_answers(tmp_path):
    port = tracenv.free_port()
    demo = run_demo(tmp_path, port)
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if 'tracrpc.tracd' in line:
                break
        text = ''.join(lines)
        assert 'demo is running' in text, (text, demo.stderr.read())
        assert '--hostname 127.0.0.1 -p %d' % port in text
        assert 'http://127.0.0.1:%d/login/rpc' % port in text
        proxy = xmlrpc.client.ServerProxy(
            'http://user:user@127.0.0.1:%d/login/rpc' % port)
        assert proxy.system.getAPIVersion()[:2] == [1, 2]
        assert isinstance(proxy.ticket.create('First', 'demo'), int)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(60)
    assert tracenv.port_is_free(port)  # tracd stopped with the demo


def two_taken_ports():
    """Sockets listening on two consecutive ports."""
    while True:
        first = socket.socket()
        first.bind(('127.0.0.1', 0))
        second = socket.socket()
        try:
            second.bind(('127.0.0.1', first.getsockname()[1] + 1))
        except OSError:
            first.close()
            second.close()
            continue
        first.listen()
        second.listen()
        return first, second


def test_demo_with_the_port_taken_suggests_a_free_one(tmp_path):
    first, second = two_taken_ports()
    port = first.getsockname()[1]
    try:
        demo = run_demo(tmp_path, port)
        out, err = demo.communicate(timeout=120)
        suggested = int(re.search(r'--port (\d+)', err).group(1))
        assert suggested != port + 1 and tracenv.port_is_free(suggested)
    finally:
        first.close()
        second.close()
    assert demo.returncode != 0
    assert 'demo is running' not in out
    assert 'Port %d is in use' % port in err


def test_demo_help_needs_no_install(tmp_path):
    absent = tmp_path / 'no-venv'
    done = subprocess.run([sys.executable, DEMO, '--help'],
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, TRACRPC_VENV=str(absent)))
    assert '--port' in done.stdout and not absent.exists()


def test_a_second_start_installs_nothing():
    ensure = [sys.executable, '-c', 'import bootstrap; '
              'bootstrap.ensure_venv("test")']
    options = {'cwd': os.path.dirname(DEMO), 'capture_output': True,
               'text': True, 'check': True,
               'env': dict(os.environ, TRACRPC_VENV=sys.prefix)}
    subprocess.run(ensure, **options)
    assert 'Installing' not in subprocess.run(ensure, **options).stdout


def test_the_launcher_names_its_versions_and_options():
    version = subprocess.run([sys.executable, '-m', 'tracrpc.tracd',
                              '--version'], capture_output=True, text=True,
                             check=True).stdout
    assert re.match(r'tracrpc-tracd \(TracXMLRPC [\d.]+\), Trac 1\.6',
                    version)
    help = subprocess.run([sys.executable, '-m', 'tracrpc.tracd', '--help'],
                          capture_output=True, text=True).stdout
    assert '--socket-timeout' in help and '--basic-auth' in help
