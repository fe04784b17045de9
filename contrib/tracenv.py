"""Create a Trac 1.6 environment with TracXMLRPC enabled and serve it.

Used by the demo (`contrib/demo.py`), the benchmark and the test suite.
"""

import base64
import hashlib
import os
import socket
import subprocess
import sys
import time

USERS = {'admin': 'admin', 'user': 'user'}


def write_htpasswd(path, users):
    """Write an htpasswd file with `{SHA}` hashes (tracd reads them
    without the `crypt` module, which Python 3.13 dropped)."""
    with open(path, 'w', encoding='utf-8') as f:
        for name, password in users.items():
            digest = hashlib.sha1(password.encode('utf-8')).digest()
            f.write('%s:{SHA}%s\n' % (name,
                                      base64.b64encode(digest).decode()))


def create_environment(path, dburi='sqlite:db/trac.db', config=(),
                       permissions=(('admin', 'TRAC_ADMIN'),
                                    ('authenticated', 'XML_RPC'))):
    """Create a Trac environment at `path` with the plugin enabled.

    :param config: extra `(section, option, value)` trac.ini settings
    :param permissions: `(subject, action)` pairs to grant
    :return: the `Environment`
    """
    from trac.env import Environment
    from trac.perm import PermissionSystem
    options = [('project', 'name', 'TracXMLRPC demo'),
               ('trac', 'database', dburi),
               ('components', 'tracrpc.*', 'enabled'),
               ('logging', 'log_type', 'file'),
               ('logging', 'log_level', 'INFO')]
    env = Environment(path, create=True, options=options + list(config))
    perm = PermissionSystem(env)
    for subject, action in permissions:
        perm.grant_permission(subject, action)
    return env


def upgrade_environment(path):
    """Bring an environment made by an older version up to date (as
    `trac-admin ENV upgrade` does)."""
    from trac.env import Environment
    env = Environment(path)
    if env.needs_upgrade():
        env.upgrade()
    env.shutdown()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_is_free(port):
    """Tell whether nothing listens on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        # as tracd binds: connections of a closed server still in
        # TIME_WAIT do not make the port busy
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def start_tracd(env_path, htpasswd, port, log=None, nodelay=True,
                socket_timeout=60):
    """Start tracd for `env_path` on 127.0.0.1:`port` with Basic auth
    for the /login URLs (none when `htpasswd` is None); return the
    process once it accepts connections."""
    if nodelay:
        command = [sys.executable, '-m', 'tracrpc.tracd',
                   '--socket-timeout', str(socket_timeout)]
    else:
        command = [sys.executable, '-m', 'trac.web.standalone']
    command += ['-s', '--hostname', '127.0.0.1', '-p', str(port),
                '--http11', env_path]
    if htpasswd:
        command[-1:-1] = ['--basic-auth', '*,%s,trac' % htpasswd]
    process = subprocess.Popen(command, stdout=log or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    wait_for_port(port, process)
    return process


def start_gunicorn(env_path, htpasswd, port, workers=4, log=None,
                   worker_class='sync'):
    """Serve `env_path` with gunicorn (`workers` processes) through
    contrib/trac_wsgi.py; return the process once it accepts
    connections."""
    contrib = os.path.dirname(os.path.abspath(__file__))
    environ = dict(os.environ, TRAC_ENV=env_path, TRAC_HTPASSWD=htpasswd,
                   MALLOC_MMAP_THRESHOLD_='1048576')
    command = [sys.executable, '-m', 'gunicorn', '--workers', str(workers),
               '--worker-class', worker_class, '--timeout', '120',
               '--bind', '127.0.0.1:%d' % port, '--chdir', contrib,
               'trac_wsgi:application']
    process = subprocess.Popen(command, env=environ,
                               stdout=log or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    wait_for_port(port, process)
    return process


def wait_for_port(port, process, timeout=60):
    """Block until `process` accepts connections on `port` (call it only
    when the port was free: then whatever answers is `process`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError('server exited with %s' % process.returncode)
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        if process.poll() is None:
            return
    raise RuntimeError('server did not start on port %d' % port)
