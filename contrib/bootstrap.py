"""Create the project's virtual environment (.venv) and install the
plugin into it, so that the demo and the tests need only Python and pip.
"""

import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.environ.get('TRACRPC_VENV', os.path.join(ROOT, '.venv'))


def venv_python():
    return os.path.join(VENV, 'bin', 'python')


def in_venv():
    return os.path.realpath(sys.prefix) == os.path.realpath(VENV)


#: what an install depends on: the checkout's packaging files (the code
#: itself is installed editable, so changing it needs no new install)
PACKAGING = ('setup.py', 'pyproject.toml', 'setup.cfg')


def install_stamp(extras):
    """A fingerprint of an install of the checkout with `extras`."""
    digest = hashlib.sha256(('%s|%s' % (extras, sys.version)).encode())
    for name in PACKAGING:
        with open(os.path.join(ROOT, name), 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def ensure_venv(extras):
    """Create .venv if needed and install the plugin with `extras`,
    unless this very install is already there."""
    if not os.path.exists(venv_python()):
        print('Creating %s ...' % VENV, flush=True)
        venv.create(VENV, with_pip=True)
    stamp_path = os.path.join(VENV, 'tracrpc-install-%s' % extras)
    stamp = install_stamp(extras)
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read() == stamp:
                return
    print('Installing TracXMLRPC[%s] and its dependencies ...' % extras,
          flush=True)
    subprocess.check_call([venv_python(), '-m', 'pip', 'install',
                           '--quiet', '--disable-pip-version-check',
                           'setuptools<81', '-e', '%s[%s]' % (ROOT, extras)])
    with open(stamp_path, 'w') as f:
        f.write(stamp)


def reexec_in_venv(script, extras):
    """Run `script` again inside .venv (after installing) unless it
    already runs there."""
    if in_venv():
        return
    ensure_venv(extras)
    python = venv_python()
    os.execv(python, [python, script] + sys.argv[1:])
