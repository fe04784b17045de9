# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""A machine-readable description of the API: `rpc.discover` answers an
OpenRPC 1.3 document (https://spec.open-rpc.org) of the methods the
caller may call, also served as `GET /rpc/openrpc.json`.

Parameters and plain results come from the methods' signatures and
argument names; structured results from what each method declares
(`expose_rpc(..., result=...)`), naming the schemas written once here
(`SCHEMAS`). Methods of other plugins get what their signatures,
declarations and docstrings say.
"""

import re
from datetime import datetime

from tracrpc.api import API_VERSION, AbstractRPCHandler, Binary, \
                        XMLRPCSystem, expose_rpc

__all__ = ['DiscoveryRPC', 'openrpc_document']

OPENRPC_VERSION = '1.3.2'


def _ref(name, kind='schemas'):
    return {'$ref': '#/components/%s/%s' % (kind, name)}


def _tuple(*items):
    """The schema of a fixed-length array (a "tuple")."""
    return {'type': 'array', 'items': list(items), 'minItems': len(items),
            'maxItems': len(items)}


_STRING = {'type': 'string'}
_INTEGER = {'type': 'integer'}
_DATE_OR_ZERO = {'oneOf': [_ref('DateTime'), {'const': 0}]}


def _hinted(kind, text_schema, description):
    # `patternProperties`: a member named `__jsonclass__` would itself
    # read as a class hint to JSON-RPC clients decoding this document
    return {'type': 'object', 'description': description,
            'required': ['__jsonclass__'], 'additionalProperties': False,
            'patternProperties': {'^__jsonclass__$': _tuple(
                {'const': kind}, text_schema)}}


#: named schemas of the structured values
SCHEMAS = {
    'DateTime': _hinted(
        'datetime',
        {'type': 'string',
         'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$'},
        'A date-time in UTC, as JSON-RPC carries it: '
        '`{"__jsonclass__": ["datetime", "2024-05-01T12:00:00.000000"]}` '
        '(no offset; a request may leave out the fraction). XML-RPC '
        'sends `dateTime.iso8601`.'),
    'Binary': _hinted(
        'binary', {'type': 'string', 'contentEncoding': 'base64'},
        'Binary data (an attachment\'s content): '
        '`{"__jsonclass__": ["binary", "<base64>"]}`. XML-RPC sends '
        '`base64`.'),
    'TicketAttributes': {
        'type': 'object',
        'description': 'Every field of a ticket, custom fields included '
                       '(time fields as DateTime), and `_ts`, the change '
                       'token to send back to `ticket.update`.',
        'required': ['_ts', 'summary', 'status'],
        'properties': {'_ts': _STRING, 'summary': _STRING,
                       'status': _STRING},
        'additionalProperties': {'oneOf': [_STRING, _ref('DateTime')]}},
    'Ticket': dict(_tuple(_INTEGER, _ref('DateTime'), _ref('DateTime'),
                          _ref('TicketAttributes')),
                   description='`[id, time_created, time_changed, '
                               'attributes]`'),
    'ChangeLogEntry': dict(_tuple(_ref('DateTime'), _STRING, _STRING,
                                  _STRING, _STRING, _INTEGER),
                           description='`[time, author, field, old_value, '
                                       'new_value, permanent]`; comments '
                                       'are field `comment`.'),
    'TicketAction': dict(_tuple(
        _STRING, _STRING, _STRING,
        {'type': 'array', 'items': _tuple(
            _STRING, _STRING, {'type': 'array', 'items': _STRING})}),
        description='`[action, label, hints, [[input_name, value, '
                    '[options]], ...]]`'),
    'TicketField': {
        'type': 'object', 'required': ['name', 'type', 'label'],
        'description': 'A ticket field: `options`, `value` (the default), '
                       '`optional` and `custom` where they apply.',
        'properties': {'name': _STRING, 'type': _STRING, 'label': _STRING,
                       'options': {'type': 'array', 'items': _STRING},
                       'value': _STRING, 'optional': {'type': 'boolean'},
                       'custom': {'type': 'boolean'}}},
    'Attachment': dict(_tuple(_STRING, _STRING, _INTEGER, _ref('DateTime'),
                              _STRING),
                       description='`[filename, description, size, time, '
                                   'author]`'),
    'PageInfo': {
        'type': 'object',
        'required': ['name', 'lastModified', 'author', 'version',
                     'comment'],
        'properties': {'name': _STRING, 'lastModified': _ref('DateTime'),
                       'author': _STRING, 'version': _INTEGER,
                       'comment': _STRING}},
    'WikiLink': {
        'type': 'object', 'required': ['page', 'type', 'href'],
        'properties': {'page': _STRING, 'href': _STRING,
                       'type': {'enum': ['local', 'external']}}},
    'SearchResult': dict(_tuple(_STRING, _STRING, _ref('DateTime'), _STRING,
                                _STRING),
                         description='`[href, title, date, author, '
                                     'excerpt]`, `href` absolute'),
    'Component': {
        'type': 'object', 'required': ['name', 'owner', 'description'],
        'properties': {'name': _STRING, 'owner': _STRING,
                       'description': _STRING}},
    'Version': {
        'type': 'object', 'required': ['name', 'time', 'description'],
        'properties': {'name': _STRING, 'time': _DATE_OR_ZERO,
                       'description': _STRING}},
    'Milestone': {
        'type': 'object',
        'required': ['name', 'due', 'completed', 'description'],
        'properties': {'name': _STRING, 'due': _DATE_OR_ZERO,
                       'completed': _DATE_OR_ZERO, 'description': _STRING}},
    'APIVersion': dict(_tuple(_INTEGER, _INTEGER, _INTEGER),
                       description='`[epoch, major, minor]`'),
    'TimelineEvent': {
        'type': 'object',
        'required': ['kind', 'date', 'author', 'title', 'description',
                     'html', 'url', 'realm', 'id'],
        'properties': {'kind': _STRING, 'date': _ref('DateTime'),
                       'author': _STRING, 'title': _STRING,
                       'description': _STRING, 'html': _STRING,
                       'url': _STRING, 'realm': _STRING, 'id': _STRING}},
    'User': dict(_tuple(_STRING, _STRING, _STRING),
                 description='`[username, name, email]` (email empty where '
                             'Trac would not show it)'),
    'Report': {
        'type': 'object', 'required': ['id', 'title', 'description',
                                       'query'],
        'properties': {'id': _INTEGER, 'title': _STRING,
                       'description': _STRING, 'query': _STRING}},
    'ReportResult': {
        'type': 'object',
        'required': ['columns', 'rows', 'page', 'max', 'total'],
        'properties': {'columns': {'type': 'array', 'items': _STRING},
                       'rows': {'type': 'array',
                                'items': {'type': 'array', 'items': {}}},
                       'page': _INTEGER, 'max': _INTEGER,
                       'total': _INTEGER}},
    'CommentRevision': dict(_tuple(_INTEGER, _ref('DateTime'), _STRING,
                                   _STRING),
                            description='`[revision, date, author, '
                                        'comment]`: revision 0 as posted, '
                                        'then one per edit'),
    'Filter': dict(_tuple(_STRING, _STRING),
                   description='`[name, label]` of a filter'),
    'Grant': dict(_tuple(_STRING, _STRING),
                  description='`[subject, action]`: a permission granted '
                              'to a user or group'),
    'ReportSummary': dict(_tuple(_INTEGER, _STRING),
                          description='`[id, title]` of a saved report'),
    'OpenRPCDocument': {'type': 'object',
                        'description': 'An OpenRPC document (this one).'},
    'MulticallAnswers': {
        'type': 'array', 'items': {},
        'description': 'One entry per call, in order: `[result]` or a '
                       '`{faultCode, faultString}` struct in XML-RPC, a '
                       'response object with the call\'s id in JSON-RPC.'},
    'Change': {
        'type': 'object',
        'required': ['realm', 'id', 'kind', 'time', 'author', 'version',
                     'fields'],
        'properties': {'realm': _STRING, 'id': _STRING, 'kind': _STRING,
                       'time': _ref('DateTime'), 'author': _STRING,
                       'version': _INTEGER,
                       'fields': {'type': 'array', 'items': _STRING},
                       'old_id': _STRING}},
    'ChangePage': {
        'type': 'object', 'required': ['changes', 'cursor', 'more'],
        'properties': {'changes': {'type': 'array',
                                   'items': _ref('Change')},
                       'cursor': _STRING, 'more': {'type': 'boolean'}}},
    'Webhook': {
        'type': 'object',
        'required': ['id', 'url', 'realms', 'kinds', 'username',
                     'description', 'active', 'created', 'delivered'],
        'properties': {'id': _INTEGER, 'url': _STRING,
                       'realms': {'type': 'array', 'items': _STRING},
                       'kinds': {'type': 'array', 'items': _STRING},
                       'username': _STRING, 'description': _STRING,
                       'active': {'type': 'boolean'},
                       'created': _ref('DateTime'), 'delivered': _STRING}},
    'NewWebhook': {
        'allOf': [_ref('Webhook'),
                  {'type': 'object', 'required': ['secret'],
                   'properties': {'secret': _STRING}}],
        'description': 'A webhook just made, with its secret (shown only '
                       'now)'},
    'WebhookDelivery': {
        'type': 'object',
        'required': ['id', 'message_id', 'status', 'attempts',
                     'last_attempt', 'response_code', 'response_body',
                     'duration_ms', 'error'],
        'properties': {'id': _INTEGER, 'message_id': _STRING,
                       'status': {'enum': ['delivered', 'retrying',
                                           'failed', 'queued']},
                       'attempts': _INTEGER,
                       'last_attempt': _DATE_OR_ZERO,
                       'response_code': _INTEGER,
                       'response_body': _STRING, 'duration_ms': _INTEGER,
                       'error': _STRING}},
    'MilestoneStats': {
        'type': 'object',
        'required': ['total', 'done', 'percent', 'unit', 'groups'],
        'properties': {
            'total': _INTEGER, 'done': _INTEGER, 'percent': _INTEGER,
            'unit': _STRING,
            'groups': {'type': 'array', 'items': {
                'type': 'object', 'required': ['title', 'count', 'percent'],
                'properties': {'title': _STRING, 'count': _INTEGER,
                               'percent': {'type': 'number'}}}}}},
}


for _name, _schema in SCHEMAS.items():  # typed clients name types by title
    _schema['title'] = _name


#: what a method may declare as its result besides the named schemas
_PLAIN_RESULTS = {'int': _INTEGER, 'string': _STRING,
                  'object': {'type': 'object'}}


def result_schema(name):
    """The schema of a declared result (`expose_rpc(..., result=name)`):
    a named schema, `'int'`/`'string'`/`'object'`, each also as
    `'<name>[]'` (an array of them).

    :raise KeyError: for a name that is none of these
    """
    if name.endswith('[]'):
        return {'type': 'array', 'items': result_schema(name[:-2])}
    if name in _PLAIN_RESULTS:
        return _PLAIN_RESULTS[name]
    if name not in SCHEMAS:
        raise KeyError('No schema called %r' % name)
    return _ref(name)


#: the errors a method can answer, by JSON-RPC code
ERRORS = {
    'InvalidParams': {'code': -32602, 'message': 'Invalid params: the '
                      'arguments fit no signature or hold a value the '
                      'method cannot take'},
    'PermissionDenied': {'code': 403, 'message': 'A permission the call '
                         'needs is missing'},
    'NotFound': {'code': 404, 'message': 'The resource does not exist'},
    'Conflict': {'code': 409, 'message': 'The resource changed since you '
                 'read it; nothing was saved'},
    'DatabaseBusy': {'code': -32000, 'message': 'The database was busy; '
                     'nothing was saved, retry the call'},
}

_TYPE_SCHEMAS = {int: _INTEGER, bool: {'type': 'boolean'}, str: _STRING,
                 float: {'type': 'number'}, datetime: _ref('DateTime'),
                 Binary: _ref('Binary'), list: {'type': 'array', 'items': {}},
                 dict: {'type': 'object'}, None: {'type': 'null'}}

_FIRST_SENTENCE = re.compile(r'(.+?[.!?])(\s|$)', re.DOTALL)


def _type_schema(type_):
    return _TYPE_SCHEMAS.get(type_, {})


def _union(types):
    schemas = []
    for type_ in types:
        schema = _type_schema(type_)
        if schema not in schemas:
            schemas.append(schema)
    return schemas[0] if len(schemas) == 1 else {'oneOf': schemas}


def _params(method):
    """The content descriptors of a method's parameters."""
    return [{'name': name, 'required': required, 'schema': _union(types)}
            for name, types, required in method.parameters()]


def _errors(method):
    names = ['InvalidParams', 'PermissionDenied']
    if method.checked_per or method.name.rsplit('.', 1)[1] in \
            ('get', 'update', 'delete'):
        names.append('NotFound')
    if method.conflicts:
        names.append('Conflict')
    if not method.readonly:
        names.append('DatabaseBusy')
    return [_ref(name, 'errors') for name in names]


def _summary(description):
    first = description.split('\n\n', 1)[0]
    match = _FIRST_SENTENCE.match(first)
    return ' '.join((match.group(1) if match else first).split())


def method_object(method):
    """The OpenRPC method object of a `tracrpc.api.Method`."""
    result = result_schema(method.result) if method.result else \
        _union(signature[0] for signature in method.signatures)
    description = method.description or 'No description.'
    return {'name': method.name, 'summary': _summary(description),
            'description': description, 'paramStructure': 'either',
            'params': _params(method),
            'result': {'name': 'result', 'schema': result},
            'errors': _errors(method),
            'x-permission': method.permission_label,
            'x-readonly': method.readonly,
            'x-get': method.readonly and not method.heavy,
            'x-component': method.component,
            'x-xmlrpc-signatures': method.xmlrpc_signatures()}


def openrpc_document(env, req):
    """The OpenRPC document of the methods the user of `req` may call."""
    return {
        'openrpc': OPENRPC_VERSION,
        'info': {'title': '%s API' % env.project_name,
                 'version': '.'.join(map(str, API_VERSION)),
                 'description': 'Trac\'s remote API (TracXMLRPC): '
                                'JSON-RPC here, XML-RPC on the same URLs. '
                                'Methods marked `x-readonly` change nothing; '
                                'those marked `x-get` can also be called '
                                'with HTTP GET.'},
        'servers': [{'name': 'authenticated (HTTP Basic)',
                     'url': req.abs_href.login('rpc')},
                    {'name': 'anonymous', 'url': req.abs_href.rpc()}],
        'methods': [method_object(method) for method
                    in XMLRPCSystem(env).all_methods(req)],
        'components': {'schemas': SCHEMAS, 'errors': ERRORS}}


class DiscoveryRPC(AbstractRPCHandler):
    """Service discovery: the API described for machines, in OpenRPC."""

    def xmlrpc_namespace(self):
        return 'rpc'

    @expose_rpc('XML_RPC', dict, readonly=True, result='OpenRPCDocument')
    def discover(self, req):
        """Return an OpenRPC 1.3 document (https://spec.open-rpc.org) of
        the methods you may call: parameters with names and JSON Schema
        types, results, errors, the permission (`x-permission`) and
        whether the method changes nothing (`x-readonly`). The same
        document is at `/rpc/openrpc.json`; OpenRPC tools generate typed
        clients from it."""
        return openrpc_document(self.env, req)
