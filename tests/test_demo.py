"""README's first command, `python3 contrib/demo.py`, as a newcomer runs
it: it serves a working demo and its copy-paste call answers; with the
port taken it says why and exits non-zero."""

import os
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
            if 'curl' in line:
                break
        text = ''.join(lines)
        assert 'demo is running' in text, (text, demo.stderr.read())
        assert 'http://127.0.0.1:%d/login/rpc' % port in text
        proxy = xmlrpc.client.ServerProxy(
            'http://user:user@127.0.0.1:%d/login/rpc' % port)
        assert proxy.system.getAPIVersion()[:2] == [1, 2]
        assert isinstance(proxy.ticket.create('First', 'demo'), int)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(60)
    assert tracenv.port_is_free(port)  # tracd stopped with the demo


def test_demo_with_the_port_taken_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = run_demo(tmp_path, port)
        out, err = demo.communicate(timeout=120)
    assert demo.returncode != 0
    assert 'demo is running' not in out
    assert 'Port %d is in use' % port in err and '--port' in err
