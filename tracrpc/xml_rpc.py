# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""XML-RPC: the wire format of `xmlrpc.client`, with Trac's type rules."""

import binascii
import math
import re
import xmlrpc.client
from datetime import datetime
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from trac.core import Component, implements

from tracrpc.api import Binary, ConflictError, InvalidParams, \
                        IRPCProtocol, MulticallResult, ProtocolException, \
                        XMLRPCSystem, error_code_and_message
from tracrpc.util import XML_ILLEGAL, compatibility_names, \
                         parse_iso_datetime, replace_xml_illegal, \
                         request_content_type, send_body, utc_fields

#: the fault code of a conflict (a stale ticket `_ts`, a wiki page saved
#: meanwhile): 1, as the original plugin answered it and as Mylyn's
#: collision handling expects; JSON-RPC answers 409
CONFLICT_FAULT_CODE = 1

_NEWLINE_RE = re.compile(r'\r?\n')
#: the parser gets the body in slices, so that expat never buffers a
#: copy of a whole large request
_FEED_SIZE = 64 * 1024


class XmlRpcProtocol(Component):
    r"""XML-RPC, as spoken by Python's `xmlrpc.client`, Mylyn and most
    languages' standard libraries.

    Types: `int`, `boolean`, `string`, `double`, `dateTime.iso8601` (UTC;
    `20090619T16:46:00` and `2009-06-19T16:46:00`, with or without `Z`,
    are accepted), `base64` (attachments), `array`, `struct`. `None` is
    sent as an empty string. Incoming strings get their line ends
    normalised to `\r\n`, as the web UI sends them.
    """

    implements(IRPCProtocol)

    # IRPCProtocol

    def rpc_info(self):
        return 'XML-RPC', self.__class__.__doc__

    def rpc_match(self):
        for path_item in ('rpc', 'xmlrpc'):
            yield path_item, 'text/xml'
            yield path_item, 'application/xml'

    def parse_rpc_request(self, req, content_type):
        return decode_call(req.read(), XMLRPCSystem(self.env).max_depth)

    def send_rpc_result(self, req, result):
        return self._send(req, encode_result(result))

    def send_rpc_error(self, req, e):
        return self._send(req, encode_error(e))

    # Internal methods

    def _send(self, req, body):
        return send_body(req, body, request_content_type(req) or 'text/xml')


# -- The codec: bytes in, call out; result or error in, bytes out ---------

def decode_call(body, max_depth):
    """The call an XML-RPC request body makes, as
    `{'method': name, 'params': [...]}` (`name` is `None` when the body
    has none).

    :raise ProtocolException: for a body that does not parse, declares a
                              DOCTYPE or nests deeper than `max_depth`
    :raise InvalidParams: for a malformed date
    """
    target = _Unmarshaller(max_depth)
    parser = target.parser
    try:
        for offset in range(0, len(body), _FEED_SIZE):
            parser.Parse(body[offset:offset + _FEED_SIZE], False)
        parser.Parse(b'', True)
        params = target.close()
    except (ExpatError, ValueError, TypeError, IndexError, LookupError,
            xmlrpc.client.Error) as e:
        raise ProtocolException('Parse error: %s' % e)
    finally:
        target.parser = None  # a cycle (its handlers are the target's)
    return {'method': target.getmethodname(), 'params': list(params)}


def encode_result(result):
    """The response carrying `result` (a `MulticallResult` in the
    multicall convention), as a list of bytes chunks."""
    if isinstance(result, MulticallResult):
        result = [_multicall_entry(outcome) for outcome in result.outcomes]
    return _response((result,))


def encode_error(e):
    """The fault response for the exception `e`, as bytes chunks."""
    return _response(xmlrpc.client.Fault(**_fault(e)))


def _fault(e):
    code, message = error_code_and_message(e, 1)
    if isinstance(e, ConflictError):
        code = CONFLICT_FAULT_CODE
    return {'faultCode': code, 'faultString': message}


def _multicall_entry(outcome):
    if outcome.error is not None:
        return _fault(outcome.error)
    return [outcome.result]


def _parser(target):
    """An expat parser feeding `target` that refuses any document type
    declaration, and so any entity, in whatever encoding the body comes
    (a check of the bytes would miss UTF-16)."""
    parser = expat.ParserCreate(None, None)
    # Text in one piece (up to the buffer's size) rather than a call per
    # line: base64 comes in lines of 76 characters.
    parser.buffer_text = True
    parser.buffer_size = _FEED_SIZE
    parser.StartElementHandler = target.start
    parser.EndElementHandler = target.end
    parser.CharacterDataHandler = target.data
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    target.xml(None, None)  # expat hands over text, not bytes
    return parser


def _refuse_declarations(*args):
    raise ProtocolException('Parse error: DOCTYPE and ENTITY declarations '
                            'are not allowed')


class _Unmarshaller(xmlrpc.client.Unmarshaller):
    """`xmlrpc.client`'s unmarshaller with our type rules: nesting depth
    bounded, dates in both ISO forms, `\r\n` line ends in strings,
    finite doubles only, and base64 decoded as it streams in, straight
    into our `Binary` (an attachment is never held as text)."""

    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)

    def __init__(self, max_depth):
        super().__init__()
        self._max_depth = max_depth
        self._depth = 0
        self._binary = None
        self._pending = ''
        #: the expat parser feeding this unmarshaller
        self.parser = _parser(self)

    def start(self, tag, attrs):
        # The base class's `start` inlined, with our checks: it runs for
        # every element, and parsing is a third of a multicall's cost.
        if ':' in tag:
            tag = tag.rpartition(':')[2]
        if tag == 'array' or tag == 'struct':
            self._marks.append(len(self._stack))
            self._depth += 1
            if self._depth > self._max_depth:
                raise ProtocolException('Parse error: values nest deeper '
                                        'than %d levels' % self._max_depth)
        elif tag == 'base64':
            self._binary = bytearray()
            self._pending = ''
            self.parser.CharacterDataHandler = self._base64_data
        self._data = []
        if self._value and tag not in self.dispatch:
            raise xmlrpc.client.ResponseError('unknown tag %r' % tag)
        self._value = tag == 'value'

    def _base64_data(self, text):
        """The text handler inside `<base64>` (`data` elsewhere: the
        base class's, a call for each piece of text)."""
        text = self._pending + ''.join(text.split())
        usable = len(text) - len(text) % 4
        self._binary += binascii.a2b_base64(text[:usable])
        self._pending = text[usable:]

    def _put(self, value):
        """Take `value` as the element's value (what the base class's
        own `end_*` methods do)."""
        self.append(value)
        self._value = 0

    def end_array(self, data):
        self._depth -= 1
        super().end_array(data)
    dispatch['array'] = end_array

    def end_struct(self, data):
        self._depth -= 1
        super().end_struct(data)
    dispatch['struct'] = end_struct

    def end_string(self, data):
        super().end_string(_NEWLINE_RE.sub('\r\n', data))
    dispatch['string'] = end_string

    def end_double(self, data):
        if not math.isfinite(float(data)):
            raise ValueError('%s is not a number' % data)
        super().end_double(data)
    dispatch['double'] = end_double

    def end_dateTime(self, data):
        try:
            self._put(parse_iso_datetime(data))
        except ValueError as e:
            raise InvalidParams(str(e))
    dispatch['dateTime.iso8601'] = end_dateTime

    def end_base64(self, data):
        if self._pending:
            raise ValueError('Truncated base64 data')
        self._put(Binary(self._binary))
        self._binary = None
        self.parser.CharacterDataHandler = self.data
    dispatch['base64'] = end_base64


# -- Encoding -------------------------------------------------------------
#
# A marshaller of our own rather than `xmlrpc.client.Marshaller`: with a
# method call per value, that one made up most of the cost of a
# multicall of `ticket.get`. Type rules: `None` is an empty string,
# dates are sent in UTC, XML-illegal characters become U+FFFD, subclasses
# of the basic types (Markup, Trac's `empty`) encode as their base type,
# binary data is encoded in slices straight to bytes.

_TEXT_SPECIAL = re.compile('[&<>%s]' % XML_ILLEGAL)
_needs_escape = _TEXT_SPECIAL.search


def _escape(text):
    """`text` escaped for XML. Callers in loops check `_needs_escape`
    first: almost no text needs it, and a call per string is costly."""
    return replace_xml_illegal(text).replace('&', '&amp;') \
        .replace('<', '&lt;').replace('>', '&gt;')


class _Output(object):
    """The response as a list of bytes chunks: text is collected and
    encoded once per run, binary data is appended uncopied."""

    def __init__(self):
        self.chunks = []
        self._text = []
        self.write = self._text.append
        #: struct key -> its member's opening text; the same keys come
        #: again and again (a struct per ticket)
        self.member_heads = {}

    def write_bytes(self, data):
        self.flush()
        self.chunks.append(data)

    def flush(self):
        if self._text:
            self.chunks.append(''.join(self._text).encode('utf-8'))
            self._text.clear()


def _response(values):
    """The `<methodResponse>` for `values` (a tuple of parameters, or a
    `Fault`), as a list of bytes chunks."""
    out = _Output()
    out.write("<?xml version='1.0'?>\n<methodResponse>\n")
    if isinstance(values, xmlrpc.client.Fault):
        out.write('<fault>\n')
        _dump({'faultCode': values.faultCode,
               'faultString': values.faultString}, out)
        out.write('</fault>\n')
    else:
        out.write('<params>\n')
        for value in values:
            out.write('<param>\n')
            _dump(value, out)
            out.write('</param>\n')
        out.write('</params>\n')
    out.write('</methodResponse>\n')
    out.flush()
    return out.chunks


def _dump(value, out):
    dump = _DUMPERS.get(type(value))
    if dump is None:
        dump = _DUMPERS[type(value)] = _dumper_for(type(value))
    dump(value, out)


def _dumper_for(type_):
    """The dumper of a subclass of a basic type (remembered for the
    next value of that type)."""
    if issubclass(type_, str):
        # a plain copy: Markup's methods would escape our entities again
        return lambda value, out: _dump_string(str.__str__(value), out)
    for base in type_.__mro__:
        if base in _DUMPERS:
            return _DUMPERS[base]
    raise TypeError('cannot marshal %s objects' % type_.__name__)


def _dump_nil(value, out):
    out.write('<value><string></string></value>\n')


def _dump_bool(value, out):
    out.write('<value><boolean>%d</boolean></value>\n' % value)


def _dump_int(value, out):
    if not xmlrpc.client.MININT <= value <= xmlrpc.client.MAXINT:
        raise OverflowError('int exceeds XML-RPC limits')
    out.write('<value><int>%d</int></value>\n' % value)


def _dump_double(value, out):
    out.write('<value><double>%r</double></value>\n' % float(value))


def _dump_string(value, out):
    if _needs_escape(value):
        value = _escape(value)
    out.write('<value><string>%s</string></value>\n' % value)


def _dump_datetime(value, out):
    out.write('<value><dateTime.iso8601>%04d%02d%02dT%02d:%02d:%02d'
              '</dateTime.iso8601></value>\n' % utc_fields(value)[:6])


def _dump_xmlrpc_datetime(value, out):
    # what plugins written for xmlrpclib return (`to_xmlrpc_datetime`)
    _dump_datetime(parse_iso_datetime(value.value), out)


def _dump_array(value, out):
    write = out.write
    write('<value><array><data>\n')
    for item in value:
        if isinstance(item, str) and not _needs_escape(item):
            write('<value><string>%s</string></value>\n' % item)
        else:
            _dump(item, out)
    write('</data></array></value>\n')


def _dump_struct(value, out):
    write = out.write
    heads = out.member_heads
    write('<value><struct>\n')
    for key, item in value.items():
        head = heads.get(key)
        if head is None:
            head = heads[key] = _member_head(key)
        if isinstance(item, str) and not _needs_escape(item):
            write('%s<value><string>%s</string></value>\n</member>\n'
                  % (head, item))
        else:
            write(head)
            _dump(item, out)
            write('</member>\n')
    write('</struct></value>\n')


def _member_head(key):
    if not isinstance(key, str):
        raise TypeError('dictionary key must be string')
    return '<member>\n<name>%s</name>\n' % (
        _escape(key) if _needs_escape(key) else key)


def _dump_bytes(value, out):
    out.write('<value><base64>\n')
    step = 57 * 1024  # a multiple of 3: the slices encode seamlessly
    view = memoryview(value)
    for offset in range(0, len(value), step):
        out.write_bytes(binascii.b2a_base64(view[offset:offset + step]))
    out.write('</base64></value>\n')


def _dump_binary(value, out):
    _dump_bytes(value.data, out)


_DUMPERS = {type(None): _dump_nil, bool: _dump_bool, int: _dump_int,
            float: _dump_double, str: _dump_string, datetime: _dump_datetime,
            list: _dump_array, tuple: _dump_array, dict: _dump_struct,
            bytes: _dump_bytes, bytearray: _dump_bytes, Binary: _dump_binary,
            xmlrpc.client.Binary: _dump_binary,
            xmlrpc.client.DateTime: _dump_xmlrpc_datetime}


__getattr__ = compatibility_names(__name__)
