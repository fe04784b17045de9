"""XML-RPC: the wire format of `xmlrpc.client`, with Trac's type rules."""

import math
import re
import xmlrpc.client
from datetime import datetime
from xml.parsers.expat import ExpatError

from trac.core import Component, implements

from tracrpc.api import Binary, InvalidParams, IRPCProtocol, \
                        MulticallResult, ProtocolException, XMLRPCSystem, \
                        error_code_and_message
from tracrpc.util import NestingTooDeep, parse_iso_datetime, \
                         replace_xml_illegal, request_content_type, \
                         send_body, to_utc_naive, walk

_DOCTYPE_RE = re.compile(rb'<!(DOCTYPE|ENTITY)', re.IGNORECASE)
_NEWLINE_RE = re.compile(r'\r?\n')


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
        try:
            params, method = xmlrpc.client.loads(body, use_datetime=False,
                                                 use_builtin_types=False)
        except (ExpatError, ValueError, TypeError, IndexError,
                xmlrpc.client.ResponseError) as e:
            raise ProtocolException('Parse error: %s' % e)
        max_depth = XMLRPCSystem(self.env).max_depth
        try:
            params = walk(list(params), self._from_wire, max_depth)
        except NestingTooDeep as e:
            raise ProtocolException('Parse error: %s' % e)
        return {'method': method, 'params': params}

    def send_rpc_result(self, req, result):
        if isinstance(result, MulticallResult):
            result = [self._multicall_entry(outcome) for outcome in result]
        else:
            result = self._to_wire(result)
        body = xmlrpc.client.dumps((result,), methodresponse=True)
        self._send(req, body)

    def send_rpc_error(self, req, e):
        fault = xmlrpc.client.Fault(**self._fault(e))
        self._send(req, xmlrpc.client.dumps(fault, methodresponse=True))

    # Internal methods

    def _send(self, req, body):
        send_body(req, body.encode('utf-8'),
                  request_content_type(req) or 'text/xml')

    def _fault(self, e):
        code, message = error_code_and_message(e, 1)
        return {'faultCode': code,
                'faultString': replace_xml_illegal(message)}

    def _multicall_entry(self, outcome):
        if outcome.error is not None:
            return self._fault(outcome.error)
        return [self._to_wire(outcome.result)]

    def _from_wire(self, value):
        if isinstance(value, str):
            return _NEWLINE_RE.sub('\r\n', value)
        if isinstance(value, xmlrpc.client.DateTime):
            try:
                return parse_iso_datetime(value.value)
            except ValueError as e:
                raise InvalidParams('Invalid params: %s' % e)
        if isinstance(value, xmlrpc.client.Binary):
            return Binary(value.data)
        if isinstance(value, float) and not math.isfinite(value):
            raise ProtocolException('Parse error: %r is not a number' % value)
        return NotImplemented if isinstance(value, dict) else value

    def _to_wire(self, value):
        return walk(value, self._leaf_to_wire, 10000)

    def _leaf_to_wire(self, value):
        if isinstance(value, str):
            return replace_xml_illegal(str.__str__(value))
        if value is None:
            return ''
        if isinstance(value, datetime):
            return xmlrpc.client.DateTime(to_utc_naive(value))
        if isinstance(value, Binary):
            return xmlrpc.client.Binary(value.data)
        if isinstance(value, bytes):
            return xmlrpc.client.Binary(value)
        return NotImplemented if isinstance(value, dict) else value
