# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""JSON-RPC: the original plugin's 1.0-style messages, and JSON-RPC 2.0
(batches, notifications, named parameters) on the same URLs."""

import base64
import binascii
import math
import os
import re
import sys
import xmlrpc.client
from datetime import datetime
from functools import partial

try:
    import simplejson as json
    #: bytes go to `default` as with the standard library, not decoded
    _DUMPS_OPTIONS = {'encoding': None}
except ImportError:
    import json
    _DUMPS_OPTIONS = {}

from trac.core import Component, implements

from tracrpc.api import Binary, InvalidParams, InvalidRequest, \
                        IRPCProtocol, MulticallResult, ProtocolException, \
                        UndecodedCall, XMLRPCSystem, error_code_and_message
from tracrpc.util import NestingTooDeep, compatibility_names, \
                         parse_iso_datetime, replace_surrogates, \
                         request_content_type, send_body, utc_fields, walk

_NO_ID = object()  # the id of a JSON-RPC 2.0 notification
#: a request may hold any number of arrays and objects up to this, and
#: beyond it one per so many bytes (brackets in strings count too)
_FREE_CONTAINERS = 10000
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BYTES_PER_CONTAINER = 48
_BASE64_RE = re.compile(r'(?:[A-Za-z0-9+/]+={0,2})?')
_A2B_STRICT = sys.version_info >= (3, 11)


def _reject_constant(name):
    raise ValueError('%s is not valid JSON' % name)


def _finite_float(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError('Number %s is out of range' % text)
    return value


class JsonRpcProtocol(Component):
    r"""JSON-RPC over HTTP POST with `Content-Type: application/json`.

    Request: `{"method": "ticket.get", "params": [1], "id": 7}`.

    Response: `{"id": 7, "result": ..., "error": null}`; on failure
    `result` is null and `error` is
    `{"name": "JSONRPCError", "code": 404, "message": "..."}`.

    A request carrying `"jsonrpc": "2.0"` gets a JSON-RPC 2.0 response.
    A top-level array is a batch, answered by an array; a 2.0 request
    without `id` is a notification, answered by nothing (HTTP 204).
    `params` may be an object of named arguments in either style.

    Dates travel as `{"__jsonclass__": ["datetime", "2024-05-01T12:00:00"]}`
    (UTC, no offset, a fraction of a second only when there is one;
    requests may also send a date alone, `t`, `_` or a space for the
    `T`, and `Z` or any offset) and binary data as
    `{"__jsonclass__": ["binary", "<base64>"]}`, both ways.

    `system.multicall` takes the list of request objects as its params
    and returns a list of response objects, each with its own id.
    """

    implements(IRPCProtocol)

    # IRPCProtocol

    def rpc_info(self):
        return 'JSON-RPC', self.__class__.__doc__

    def rpc_match(self):
        yield 'rpc', 'application/json'
        yield 'jsonrpc', 'application/json'

    def parse_rpc_request(self, req, content_type):
        decoded = decode_request(req.read(),
                                 XMLRPCSystem(self.env).max_depth)
        return {'calls': decoded} if isinstance(decoded, list) else decoded

    def send_rpc_result(self, req, result):
        return self._send(req, encode_result(req.rpc, result))

    def send_rpc_error(self, req, e):
        request = getattr(e, 'request', None) or \
            getattr(req, 'rpc', None) or {}
        return self._send(req, encode_error(request, e))

    # Internal methods

    def _send(self, req, body):
        if body is None:
            return send_body(req, b'', 'text/plain', 204)
        return send_body(req, body,
                         request_content_type(req) or 'application/json')


# -- The codec: bytes in, call out; result or error in, bytes out ---------

def decode_request(body, max_depth):
    """The call a JSON-RPC request body makes: the request object with
    its `params` decoded (class hints, strings made encodable); for a
    batch (a top-level array), the list of its calls. The calls of a
    batch or multicall that cannot be decoded become `UndecodedCall`s,
    so that they fail alone.

    :raise ProtocolException: for a body that is not JSON, not UTF-8 or
                              nests deeper than `max_depth`
    :raise InvalidRequest: for JSON that is no request
    :raise InvalidParams: for params that cannot be decoded; then the
                          exception's `request` is the request object,
                          so that the answer echoes its id
    """
    if _containers(body) > max(_FREE_CONTAINERS,
                               len(body) // _BYTES_PER_CONTAINER):
        # each costs ~150 bytes decoded: bound the memory per byte of body
        raise ProtocolException('Parse error: too many arrays and objects '
                                'for the size of the request')
    try:
        data = json.loads(body.decode('utf-8'),
                          parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except UnicodeDecodeError:
        raise ProtocolException('Parse error: the request body is not '
                                'valid UTF-8')
    except (ValueError, RecursionError) as e:
        raise ProtocolException('Parse error: %s' % e)
    if isinstance(data, list):
        if not data:
            raise InvalidRequest('Invalid request: empty batch')
        return _decode_calls(data, max_depth)
    if not isinstance(data, dict):
        raise InvalidRequest('Invalid request: expected a JSON object')
    try:
        return _decode_request(data, max_depth)
    except (InvalidParams, ProtocolException) as e:
        e.request = data
        raise


def _containers(body):
    """How many arrays and objects `body` holds, at most: its brackets,
    and when they are many, those outside strings (wiki text is full of
    `[`)."""
    count = body.count(b'{') + body.count(b'[')
    if count <= _FREE_CONTAINERS:
        return count
    outside = _JSON_STRING.sub(b'""', body)
    return outside.count(b'{') + outside.count(b'[')


def encode_result(request, result):
    """The response to `request` carrying `result`, as bytes; `None`
    when there is nothing to answer (notifications). A `MulticallResult`
    is a list of response objects: the result of `system.multicall`, or
    for a batch (`request` has `calls`) the batch's answer."""
    if isinstance(result, MulticallResult):
        batch = 'calls' in request
        result = [response for response in
                  (_response(outcome.request if batch else
                             _with_id(outcome.request, request.get('id')),
                             outcome.result, outcome.error)
                   for outcome in result.outcomes)
                  if response is not None]
        if batch:
            return _dumps(result) if result else None
    return _dumps(_response(request, result))


def _with_id(call, request_id):
    """A call of a `system.multicall` without an id of its own answers
    with the multicall's id (as TracXMLRPC does); any id it has,
    however falsy, stays."""
    if isinstance(call, dict) and 'id' not in call:
        return dict(call, id=request_id)
    return call


def encode_error(request, e):
    """The error response to `request` for the exception `e`, as bytes;
    `None` for a notification."""
    return _dumps(_response(request, error=e))


def _dumps(response):
    if response is None:
        return None
    binaries = _BinaryHoles()
    text = json.dumps(response, default=partial(_to_wire, holes=binaries),
                      allow_nan=False, **_DUMPS_OPTIONS)
    return binaries.fill(text.encode('utf-8'))


class _BinaryHoles(object):
    """Binary data kept out of the JSON text and put in afterwards as
    base64 bytes: base64 needs no escaping, and the encoder would
    otherwise copy megabytes of it into a string and scan them for
    characters to escape. Each value is first encoded as a marker string
    of NULs and a random nonce (escaped as `\\u0000` in the text, so no
    string a caller stored can make the same bytes)."""

    def __init__(self):
        self.values = []
        self.marker = '\0binary-%s\0' % os.urandom(8).hex()

    def hint(self, value):
        """The class hint standing for the bytes `value` until `fill`."""
        self.values.append(value)
        return {'__jsonclass__': ['binary', self.marker]}

    def fill(self, body):
        """`body` with each marker replaced by its value's base64."""
        if not self.values:
            return body
        pieces = body.split(json.dumps(self.marker).encode('ascii'))
        filled = [pieces[0]]
        for value, piece in zip(self.values, pieces[1:]):
            filled += [b'"', binascii.b2a_base64(value, newline=False),
                       b'"', piece]
        return b''.join(filled)


def _decode_request(data, max_depth):
    params = data.get('params')
    if data.get('method') == 'system.multicall' and isinstance(params, list):
        if len(params) == 1 and isinstance(params[0], list):
            params = params[0]
        return dict(data, params=[_decode_calls(params, max_depth)])
    return dict(data, params=_decode(params, max_depth))


def _decode(value, max_depth):
    """`value` with class hints decoded and strings made encodable."""
    try:
        return walk(value, _from_wire, max_depth)
    except NestingTooDeep as e:
        raise ProtocolException('Parse error: %s' % e)


def _decode_calls(calls, max_depth):
    """Decode the calls of a batch or multicall one by one, so that a call
    with undecodable values fails alone, with its own id."""
    decoded = []
    for call in calls:
        try:
            decoded.append(_decode(call, max_depth))
        except (InvalidParams, ProtocolException) as e:
            decoded.append(UndecodedCall(call, e))
    return decoded


def _response(request, result=None, error=None):
    """The response object for `request`, or `None` for a JSON-RPC 2.0
    notification. A `request` that is no object at all (an item of a
    batch) is answered in 2.0 style."""
    if not isinstance(request, dict):
        request = {'jsonrpc': '2.0', 'id': None}
    request_id = request.get('id', _NO_ID)
    if request_id is _NO_ID:
        if request.get('jsonrpc') == '2.0' and \
                not isinstance(error, InvalidRequest):
            return None
        request_id = None
    if error is not None:
        code, message = error_code_and_message(error, -32603)
    if request.get('jsonrpc') == '2.0':
        response = {'jsonrpc': '2.0', 'id': request_id}
        if error is None:
            response['result'] = result
        else:
            response['error'] = {'code': code, 'message': message}
        return response
    if error is None:
        return {'id': request_id, 'result': result, 'error': None}
    return {'id': request_id, 'result': None,
            'error': {'name': 'JSONRPCError', 'code': code,
                      'message': message}}


def _from_wire(value):
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, dict):
        hint = value.get('__jsonclass__')
        return NotImplemented if hint is None else _from_hint(hint)
    return value


def _from_hint(hint):
    if not (isinstance(hint, list) and len(hint) == 2 and
            isinstance(hint[1], str)):
        raise InvalidParams('malformed __jsonclass__ hint %r' % (hint,))
    kind, text = hint
    try:
        if kind == 'datetime':
            return parse_iso_datetime(text)
        if kind == 'binary':
            return Binary(_strict_base64(text))
    except (ValueError, binascii.Error) as e:
        raise InvalidParams(str(e))
    raise InvalidParams('unknown __jsonclass__ "%s"' % kind)


def _strict_base64(text):
    """The bytes of base64 `text` of the alphabet only, padded, with
    nothing after the padding (`ValueError` otherwise)."""
    if _A2B_STRICT:  # checks as it decodes: no second pass
        if text.endswith('==='):  # which strict mode takes
            raise ValueError('Invalid base64 data')
        return binascii.a2b_base64(text, strict_mode=True)
    if not _BASE64_RE.fullmatch(text):
        raise ValueError('Invalid base64 data')
    return binascii.a2b_base64(text)


def _to_wire(value, holes=None):
    """The JSON form of a value the encoder does not know; binary data
    as a hint that `holes` (`_BinaryHoles`) fills in later, if given."""
    if isinstance(value, xmlrpc.client.DateTime):
        # what plugins written for xmlrpclib return (`to_xmlrpc_datetime`)
        value = parse_iso_datetime(value.value)
    if isinstance(value, datetime):
        # as `isoformat()` writes it: the fraction only when there is one
        fields = utc_fields(value)
        text = '%04d-%02d-%02dT%02d:%02d:%02d' % fields[:6]
        if fields[6]:
            text += '.%06d' % fields[6]
        return {'__jsonclass__': ['datetime', text]}
    if isinstance(value, Binary):
        value = value.data
    if isinstance(value, (bytes, bytearray)):
        if holes is not None:
            return holes.hint(value)
        text = base64.b64encode(value).decode('ascii')
        return {'__jsonclass__': ['binary', text]}
    raise TypeError('Cannot encode %s as JSON' % type(value).__name__)


__getattr__ = compatibility_names(__name__)
