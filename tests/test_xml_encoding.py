"""Our XML-RPC marshaller, in-process, against `xmlrpc.client`'s: the same
bytes for the basic types, and our own rules for the rest."""

import xmlrpc.client
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st
from markupsafe import Markup
from trac.util.text import empty

from tracrpc.api import Binary
from tracrpc.xml_rpc import _response

#: text XML can carry (xmlrpc.client does not replace illegal characters)
xml_text = st.text(st.characters(blacklist_categories=('Cs',),
                                 blacklist_characters='\x00\x01\x02\x03\x04'
                                 '\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11'
                                 '\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b'
                                 '\x1c\x1d\x1e\x1f\ufffe\uffff'))

basic_values = st.recursive(
    st.booleans() | st.integers(-2 ** 31, 2 ** 31 - 1) | xml_text |
    st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(xml_text, children, max_size=4), max_leaves=15)


def encoded(*values):
    return b''.join(_response(values))


@settings(max_examples=300, deadline=None, database=None)
@given(basic_values)
def test_same_bytes_as_xmlrpc_client(value):
    expected = xmlrpc.client.dumps((value,), methodresponse=True)
    assert encoded(value) == expected.encode('utf-8')


def test_fault_as_xmlrpc_client_encodes_it():
    fault = xmlrpc.client.Fault(42, 'No <such> thing & more')
    assert b''.join(_response(fault)) == \
        xmlrpc.client.dumps(fault, methodresponse=True).encode('utf-8')


def test_our_type_rules():
    when = datetime(999, 1, 2, 3, 4, 5, 678,
                    tzinfo=timezone(timedelta(hours=-2)))
    value = {'markup': Markup('<b>&amp;</b>'), 'plain_markup': Markup('ok'),
             'empty': empty, 'none': None, 'illegal': 'a\x00b\ud800',
             'when': when, 'naive': datetime(2020, 1, 1, 12),
             'binary': Binary(b'\x00\xff' * 40000), 'bytes': b'abc',
             'tuple': (1, 'x'), 'nested': [{'k': [empty, Markup('&')]}]}
    (decoded,), _ = xmlrpc.client.loads(encoded(value),
                                        use_builtin_types=True)
    assert decoded == {
        'markup': '<b>&amp;</b>', 'plain_markup': 'ok', 'empty': '',
        'none': '', 'illegal': 'a\ufffdb\ufffd',
        'when': datetime(999, 1, 2, 5, 4, 5),
        'naive': datetime(2020, 1, 1, 12),
        'binary': b'\x00\xff' * 40000, 'bytes': b'abc', 'tuple': [1, 'x'],
        'nested': [{'k': ['', '&']}]}


def test_unencodable_values_are_refused():
    for value in (2 ** 31, {1: 'int key'}, object()):
        try:
            encoded(value)
        except (OverflowError, TypeError):
            continue
        raise AssertionError('%r was encoded' % (value,))
