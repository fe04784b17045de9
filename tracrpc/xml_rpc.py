"""XML-RPC: the wire format of `xmlrpc.client`, with Trac's type rules."""

import binascii
import math
import re
import xmlrpc.client
from datetime import datetime
from xml.parsers.expat import ExpatError

from trac.core import Component, implements

from tracrpc.api import Binary, InvalidParams, IRPCProtocol, \
                        MulticallResult, ProtocolException, XMLRPCSystem, \
                        error_code_and_message
from tracrpc.util import parse_iso_datetime, replace_xml_illegal, \
                         request_content_type, send_body, to_utc_naive

_DOCTYPE_RE = re.compile(rb'<!(DOCTYPE|ENTITY)', re.IGNORECASE)
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
        body = req.read()
        if _DOCTYPE_RE.search(body):
            raise ProtocolException('Parse error: DOCTYPE and ENTITY '
                                    'declarations are not allowed')
        target = _Unmarshaller(XMLRPCSystem(self.env).max_depth)
        parser = xmlrpc.client.ExpatParser(target)
        try:
            for offset in range(0, len(body), _FEED_SIZE):
                parser.feed(body[offset:offset + _FEED_SIZE])
            parser.close()
            params = target.close()
        except (ExpatError, ValueError, TypeError, IndexError,
                xmlrpc.client.Error) as e:
            raise ProtocolException('Parse error: %s' % e)
        return {'method': target.getmethodname(), 'params': list(params)}

    def send_rpc_result(self, req, result):
        if isinstance(result, MulticallResult):
            result = [self._multicall_entry(outcome) for outcome in result]
        self._send(req, (result,))

    def send_rpc_error(self, req, e):
        self._send(req, xmlrpc.client.Fault(**self._fault(e)))

    # Internal methods

    def _send(self, req, values):
        send_body(req, list(_utf8_chunks(_Marshaller().response(values))),
                  request_content_type(req) or 'text/xml')

    def _fault(self, e):
        code, message = error_code_and_message(e, 1)
        return {'faultCode': code,
                'faultString': replace_xml_illegal(message)}

    def _multicall_entry(self, outcome):
        if outcome.error is not None:
            return self._fault(outcome.error)
        return [outcome.result]


def _utf8_chunks(parts):
    """The response as bytes: each run of text parts joined and encoded
    once, base64 data (already bytes) passed through uncopied."""
    run = []
    for part in parts:
        if isinstance(part, bytes):
            if run:
                yield ''.join(run).encode('utf-8')
                run = []
            yield part
        else:
            run.append(part)
    if run:
        yield ''.join(run).encode('utf-8')


class _Unmarshaller(xmlrpc.client.Unmarshaller):
    """`xmlrpc.client`'s unmarshaller with our type rules: nesting depth
    bounded, dates in both ISO forms, `\r\n` line ends in strings,
    finite doubles only, and base64 decoded as it streams in, straight
    into our `Binary` (an attachment is never held as text)."""

    dispatch = dict(xmlrpc.client.Unmarshaller.dispatch)

    def __init__(self, max_depth):
        super().__init__()
        self._max_depth = max_depth
        self._binary = None
        self._pending = ''

    def start(self, tag, attrs):
        super().start(tag, attrs)
        if len(self._marks) > self._max_depth:
            raise ProtocolException('Parse error: values nest deeper than '
                                    '%d levels' % self._max_depth)
        self._binary = bytearray() if tag == 'base64' else None
        self._pending = ''

    def data(self, text):
        if self._binary is None:
            super().data(text)
            return
        text = self._pending + ''.join(text.split())
        usable = len(text) - len(text) % 4
        self._binary += binascii.a2b_base64(text[:usable])
        self._pending = text[usable:]

    def end_string(self, data):
        super().end_string(_NEWLINE_RE.sub('\r\n', data))
    dispatch['string'] = end_string

    def end_double(self, data):
        value = float(data)
        if not math.isfinite(value):
            raise ValueError('%s is not a number' % data)
        self.append(value)
        self._value = 0
    dispatch['double'] = end_double

    def end_dateTime(self, data):
        try:
            self.append(parse_iso_datetime(data))
        except ValueError as e:
            raise InvalidParams('Invalid params: %s' % e)
        self._value = 0
    dispatch['dateTime.iso8601'] = end_dateTime

    def end_base64(self, data):
        if self._pending:
            raise ValueError('Truncated base64 data')
        self.append(Binary(self._binary))
        self._binary = None
        self._value = 0
    dispatch['base64'] = end_base64


class _Marshaller(xmlrpc.client.Marshaller):
    """`xmlrpc.client`'s marshaller with our type rules: `None` as an
    empty string, dates in UTC, XML-illegal characters replaced, `str`
    subclasses (Markup, Trac's `empty`) as strings, binary data encoded
    in slices straight to bytes (no full-size text copy)."""

    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def response(self, values):
        """The parts of the `<methodResponse>` document for `values` (a
        tuple of parameters, or a `Fault`): text, and base64 data as
        bytes."""
        parts = ["<?xml version='1.0'?>\n<methodResponse>\n"]
        write = parts.append
        if isinstance(values, xmlrpc.client.Fault):
            write('<fault>\n')
            self._Marshaller__dump({'faultCode': values.faultCode,
                                    'faultString': values.faultString},
                                   write)
            write('</fault>\n')
        else:
            write('<params>\n')
            for value in values:
                write('<param>\n')
                self._Marshaller__dump(value, write)
                write('</param>\n')
            write('</params>\n')
        write('</methodResponse>\n')
        return parts

    def _Marshaller__dump(self, value, write):
        # Replaces the base class's private dispatcher (name-mangled):
        # it refuses subclasses of the basic types.
        dump = self.dispatch.get(type(value))
        if dump is None:
            dump = self._dump_for(type(value))
        dump(self, value, write)

    def _dump_for(self, type_):
        for base in type_.__mro__:
            if base in self.dispatch:
                return self.dispatch[base]
        raise TypeError('cannot marshal %s objects' % type_.__name__)

    def dump_nil(self, value, write):
        write('<value><string></string></value>\n')
    dispatch[type(None)] = dump_nil

    def dump_unicode(self, value, write):
        super().dump_unicode(replace_xml_illegal(value), write)
    dispatch[str] = dump_unicode

    def dump_datetime(self, value, write):
        super().dump_datetime(to_utc_naive(value), write)
    dispatch[datetime] = dump_datetime

    def dump_bytes(self, value, write):
        write('<value><base64>\n')
        step = 57 * 1024  # a multiple of 3: the slices encode seamlessly
        view = memoryview(value)
        for offset in range(0, len(value), step):
            write(binascii.b2a_base64(view[offset:offset + step]))
        write('</base64></value>\n')
    dispatch[bytes] = dump_bytes
    dispatch[bytearray] = dump_bytes

    def dump_binary(self, value, write):
        self.dump_bytes(value.data, write)
    dispatch[Binary] = dump_binary
    dispatch[xmlrpc.client.Binary] = dump_binary
