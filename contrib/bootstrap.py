"""Create the project's virtual environment (.venv) and install the
plugin into it, so that the demo and the tests need only Python and pip.
"""

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


def ensure_venv(extras):
    """Create .venv if needed and install the plugin with `extras`."""
    if not os.path.exists(venv_python()):
        print('Creating %s ...' % VENV, flush=True)
        venv.create(VENV, with_pip=True)
    print('Installing TracXMLRPC[%s] and its dependencies ...' % extras,
          flush=True)
    subprocess.check_call([venv_python(), '-m', 'pip', 'install',
                           '--quiet', '--disable-pip-version-check',
                           'setuptools<81', '-e', '%s[%s]' % (ROOT, extras)])


def reexec_in_venv(script, extras):
    """Run `script` again inside .venv (after installing) unless it
    already runs there."""
    if in_venv():
        return
    ensure_venv(extras)
    python = venv_python()
    os.execv(python, [python, script] + sys.argv[1:])
