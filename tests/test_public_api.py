"""The public API, frozen: every method's name, signatures, argument
names (JSON-RPC named parameters are the Python parameter names, so a
rename breaks clients), permission and read-only declaration against
`tests/public_api.txt`.

A deliberate change: run with TRACRPC_WRITE_API=1 to rewrite the file,
and say in CHANGES.rst what changed for clients."""

import os

from trac.test import EnvironmentStub

from tracrpc.api import XMLRPCSystem

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'public_api.txt')


def current_api():
    env = EnvironmentStub(enable=['tracrpc.*'])
    lines = []
    for name, method in sorted(XMLRPCSystem(env).methods.items()):
        lines.extend('%s  [%s%s]' % (line, method.permission_label,
                                     '; read-only' if method.readonly else '')
                     for line in method.signature.splitlines())
    return '\n'.join(lines) + '\n'


def test_public_api_is_unchanged():
    api = current_api()
    if os.environ.get('TRACRPC_WRITE_API'):
        with open(GOLDEN, 'w', encoding='utf-8') as f:
            f.write(api)
    with open(GOLDEN, encoding='utf-8') as f:
        assert api == f.read()
