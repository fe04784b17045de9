"""The public API, frozen: every method's name, signatures, argument
names (JSON-RPC named parameters are the Python parameter names, so a
rename breaks clients), permission and declared facts (read-only,
result, conflicts) against `tests/public_api.txt`, and the method table
of the docs (`docs/methods.rst`) generated from the same declarations.

A deliberate change: run with TRACRPC_WRITE_API=1 to rewrite both
files, and say in CHANGES.rst what changed for clients."""

import inspect
import os

import pytest
from trac.test import EnvironmentStub

from tracrpc.api import XMLRPCSystem
from tracrpc.openrpc import result_schema

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, 'public_api.txt')
DOCS_TABLE = os.path.join(os.path.dirname(HERE), 'docs', 'methods.rst')

DOCS_HEADER = """\
Methods
=======

Every method of the built-in namespaces with its signatures and what it
declares: the permission it needs ("checked per ticket": on each
resource it touches), whether it is read-only (callable over HTTP GET
and with a read-only token), the structure of its result (a schema of
the OpenRPC document, ``[]`` for an array of them) and whether it
refuses a stale change token. Generated from the methods' declarations
(``tests/test_public_api.py`` keeps it current); the help of each
method is on the API page and in ``system.methodHelp``.

.. list-table::
   :header-rows: 1
   :widths: 50 50

   * - Signature
     - Declared
"""


def builtin_methods():
    env = EnvironmentStub(enable=['tracrpc.*'])
    return [method for name, method in sorted(XMLRPCSystem(env)
                                              .methods.items())
            if type(method.provider).__module__.startswith('tracrpc.')]


def current_api():
    lines = []
    for method in builtin_methods():
        lines.extend('%s  [%s]' % (line, '; '.join(method.facts))
                     for line in method.signature.splitlines())
    return '\n'.join(lines) + '\n'


def current_docs_table():
    rows = []
    for method in builtin_methods():
        signatures = ' |br| '.join('``%s``' % line for line
                                   in method.signature.splitlines())
        rows.append('   * - %s\n     - %s\n'
                    % (signatures, '; '.join(method.facts)))
    return DOCS_HEADER + '\n' + '\n'.join(rows) + \
        '\n.. |br| raw:: html\n\n   <br/>\n'


@pytest.mark.parametrize('path,current', [(GOLDEN, current_api),
                                          (DOCS_TABLE, current_docs_table)])
def test_public_api_is_unchanged(path, current):
    text = current()
    if os.environ.get('TRACRPC_WRITE_API'):
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    with open(path, encoding='utf-8') as f:
        assert text == f.read()


@pytest.mark.parametrize('method', builtin_methods(),
                         ids=lambda method: method.name)
def test_every_builtin_method_declares_its_facts(method):
    function = inspect.unwrap(method.callable)
    assert hasattr(function, '_rpc_readonly') or \
        hasattr(method.callable, '_rpc_readonly'), \
        '%s does not declare readonly=True or False' % method.name
    structured = any(signature[0] in (list, dict)
                     for signature in method.signatures)
    if structured:
        assert method.result, '%s returns a %s without declaring its ' \
            'result' % (method.name, method.signatures[0][0].__name__)
    if method.result:
        assert result_schema(method.result)
