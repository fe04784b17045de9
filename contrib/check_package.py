"""Check the package as pip users get it: `python3 contrib/check_package.py`.

Builds the sdist and the wheel, runs `twine check` on them, installs the
wheel into a fresh virtual environment (nothing else from this checkout)
and follows README's "Install into an existing Trac" steps there: a
Trac environment with the plugin enabled, an htpasswd file, the
packaged `tracrpc-tracd` with Basic auth, and one real call.
"""

import base64
import glob
import hashlib
import os
import subprocess
import sys
import tempfile
import venv
import xmlrpc.client
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402
import tracenv  # noqa: E402


def run(*command, **kwargs):
    print('$ ' + ' '.join(command), flush=True)
    subprocess.check_call(command, **kwargs)


def new_venv(path, *packages):
    venv.create(path, with_pip=True)
    python = os.path.join(path, 'bin', 'python')
    run(python, '-m', 'pip', 'install', '--quiet',
        '--disable-pip-version-check', *packages)
    return os.path.join(path, 'bin')


def build(work):
    """The sdist and the wheel, checked by twine."""
    tools = new_venv(os.path.join(work, 'tools'), 'build', 'twine')
    dist = os.path.join(work, 'dist')
    run(os.path.join(tools, 'python'), '-m', 'build', '--outdir', dist,
        bootstrap.ROOT)
    built = sorted(glob.glob(os.path.join(dist, '*')))
    run(os.path.join(tools, 'twine'), 'check', '--strict', *built)
    wheel = [path for path in built if path.endswith('.whl')][0]
    with zipfile.ZipFile(wheel) as archive:
        missing = [name for name in PACKAGE_DATA
                   if name not in archive.namelist()]
    if missing:
        sys.exit('The wheel lacks %s' % ', '.join(missing))
    return wheel


#: files the wheel must carry besides the modules
PACKAGE_DATA = ['tracrpc/templates/rpc.html', 'tracrpc/htdocs/rpc-console.js',
                'tracrpc/htdocs/rpc-tokens.js',
                'tracrpc/locale/ja/LC_MESSAGES/tracrpc.mo']


def serve_and_call(work, wheel):
    """README's steps with the installed wheel; one call."""
    bin_dir = new_venv(os.path.join(work, 'site'), 'setuptools<81', wheel)
    env = os.path.join(work, 'trac')
    admin = os.path.join(bin_dir, 'trac-admin')
    run(admin, env, 'initenv', 'Packaged', 'sqlite:db/trac.db')
    run(admin, env, 'config', 'set', 'components', 'tracrpc.*', 'enabled')
    run(admin, env, 'upgrade')
    run(admin, env, 'permission', 'add', 'alice', 'XML_RPC', 'TICKET_CREATE',
        'TICKET_VIEW')
    htpasswd = os.path.join(work, 'trac.htpasswd')
    digest = base64.b64encode(hashlib.sha1(b'secret').digest()).decode()
    with open(htpasswd, 'w') as f:
        f.write('alice:{SHA}%s\n' % digest)
    port = tracenv.free_port()
    command = [os.path.join(bin_dir, 'tracrpc-tracd'), '--http11', '-s',
               '--hostname', '127.0.0.1', '-p', str(port), '--basic-auth',
               '*,%s,trac' % htpasswd, env]
    print('$ ' + ' '.join(command), flush=True)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    try:
        tracenv.wait_for_port(port, process)
        proxy = xmlrpc.client.ServerProxy(
            'http://alice:secret@127.0.0.1:%d/login/rpc' % port)
        version = proxy.system.getAPIVersion()
        ticket = proxy.ticket.create('Packaged', 'made by the wheel')
        print('getAPIVersion() -> %r, ticket.create() -> %r'
              % (version, ticket))
        assert version[:2] == [1, 2] and isinstance(ticket, int)
    finally:
        process.terminate()
        process.wait(30)


def main():
    with tempfile.TemporaryDirectory(prefix='tracrpc-package-') as work:
        wheel = build(work)
        serve_and_call(work, wheel)
    print('The package is fine.')


if __name__ == '__main__':
    main()
