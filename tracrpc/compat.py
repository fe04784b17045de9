# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Names that plugins written for TracXMLRPC 1.2.0.dev0 (the trunk that
Trac 1.6 sites ran) import, kept for them only, in this one place.

Each module that had a name answers it through its module-level
`__getattr__`, which asks `lookup`: `from tracrpc.util import
web_context` works as it did. New code uses the plugin's own API
(`docs/migration.rst` lists what each name is now).
"""

import inspect
import io
import json
import xmlrpc.client
from datetime import datetime
from importlib import metadata

from trac.mimeview.api import RenderingContext
from trac.util.datefmt import to_timestamp, utc
from trac.util.html import Fragment, Markup
from trac.util.text import empty
from trac.util.translation import dgettext, domain_functions
from trac.web.api import HTTPBadRequest
from trac.web.chrome import web_context

from tracrpc import json_rpc, ticket
from tracrpc.api import ProtocolException, XMLRPCSystem

__all__ = ['lookup']

#: the plugin's version as integers, e.g. `(1, 2, 0)`
api_version = tuple(int(part) for part in
                    metadata.version('TracXMLRPC').split('.')[:3]
                    if part.isdigit())

# -- tracrpc.util: Python 2/3 aliases and helpers -----------------------

PY24 = PY25 = PY26 = PY27 = False
PY3 = True
unicode = basestring = str
unichr = chr
izip = zip
xmlrpclib = xmlrpc.client
StringIO = io.StringIO
Context = RenderingContext
getargspec = inspect.getfullargspec


def iteritems(mapping):
    return iter(mapping.items())


# -- tracrpc.xml_rpc ------------------------------------------------------

#: what replaces characters XML cannot carry
REPLACEMENT_CHAR = '\ufffd'


def to_xmlrpc_datetime(dt):
    """`dt` as an `xmlrpc.client.DateTime` in UTC."""
    return xmlrpc.client.DateTime(dt.utctimetuple())


def from_xmlrpc_datetime(data):
    """An `xmlrpc.client.DateTime` (always UTC) as an aware `datetime`."""
    return datetime.strptime(data.value, '%Y%m%dT%H:%M:%S') \
        .replace(tzinfo=utc)


# -- tracrpc.json_rpc -----------------------------------------------------

class TracRpcJSONEncoder(json.JSONEncoder):
    """JSON with the plugin's class hints for dates and binary data;
    Trac's `empty` and markup become strings."""

    def default(self, obj):
        if obj is empty or isinstance(obj, (Fragment, Markup)):
            return str(obj)
        try:
            return json_rpc._to_wire(obj)
        except TypeError:
            return super().default(obj)


class TracRpcJSONDecoder(json.JSONDecoder):
    """JSON whose class hints become `datetime` (UTC) and `Binary`."""

    def decode(self, text, *args, **kwargs):
        return json_rpc._decode(super().decode(text, *args, **kwargs),
                                int(XMLRPCSystem.max_depth.default))


class JsonProtocolException(ProtocolException):
    """A JSON-RPC request that cannot be handled, with its error code."""

    def __init__(self, details, code=-32603, title=None,
                 show_traceback=False):
        super().__init__(details, title=title, show_traceback=show_traceback)
        self.code = code


class RequestReader(object):
    """The request body as a file, never read past its Content-Length."""

    def __init__(self, req):
        length = req.get_header('Content-Length')
        if length is None or not length.isdigit():
            raise HTTPBadRequest('Missing or invalid Content-Length')
        self.req = req
        self.remaining = int(length)

    def read(self, size=-1):
        if self.remaining <= 0:
            return b''
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data = self.req.read(size)
        self.remaining -= len(data)
        return data


def json_load(req):
    """The request's JSON body, class hints decoded."""
    return json.load(RequestReader(req), cls=TracRpcJSONDecoder)


# -- tracrpc.ticket -------------------------------------------------------

def ticketModelFactory(cls, cls_attributes):
    """A provider of the namespace `ticket.<class name>` for a Trac model
    class like `trac.ticket.model.Component` (`select`, `insert`,
    `update`, `delete`, a `name`): `getAll`, `get`, `create`, `update`,
    `delete`. `cls_attributes` maps its attributes to their defaults; a
    default of `0` marks a date."""
    word = cls.__name__.lower()
    return type('%sRPC' % cls.__name__, (ticket._ModelRPC,), {
        '__doc__': 'Ticket %ss: `{%s}`.' % (word, ', '.join(cls_attributes)),
        '__module__': ticket.__name__,
        'namespace': 'ticket.' + word, 'model_class': cls,
        'words': {'entry': word, 'entries': word + 's', 'schema': 'object',
                  'struct': '`{%s}`' % ', '.join(cls_attributes)},
        'fields': {name: 'time' if default == 0 else 'text'
                   for name, default in cls_attributes.items()
                   if name != 'name'}})


def ticketEnumFactory(cls):
    """A provider of the namespace `ticket.<class name>` for a ticket
    enum class (a `trac.ticket.model.AbstractEnum`): `getAll`, `get`,
    `create`, `update`, `delete`."""
    word = cls.__name__.lower()
    return type('%sRPC' % cls.__name__, (ticket._EnumRPC,), {
        '__doc__': 'Ticket %ss.' % word, '__module__': ticket.__name__,
        'namespace': 'ticket.' + word, 'model_class': cls,
        'words': {'entry': word, 'entries': word + 's'}})


#: module -> the names it answers for plugins written for the trunk
_NAMES = {
    'tracrpc.util': {
        'web_context': web_context, 'Context': Context,
        'dgettext': dgettext, 'domain_functions': domain_functions,
        'getargspec': getargspec, 'PY3': PY3, 'PY24': PY24, 'PY25': PY25,
        'PY26': PY26, 'PY27': PY27, 'unicode': unicode,
        'basestring': basestring, 'unichr': unichr, 'iteritems': iteritems,
        'izip': izip, 'xmlrpclib': xmlrpclib, 'to_timestamp': to_timestamp,
        'StringIO': StringIO},
    'tracrpc.api': {'api_version': api_version},
    'tracrpc.xml_rpc': {'to_xmlrpc_datetime': to_xmlrpc_datetime,
                        'from_xmlrpc_datetime': from_xmlrpc_datetime,
                        'REPLACEMENT_CHAR': REPLACEMENT_CHAR},
    'tracrpc.json_rpc': {'TracRpcJSONEncoder': TracRpcJSONEncoder,
                         'TracRpcJSONDecoder': TracRpcJSONDecoder,
                         'JsonProtocolException': JsonProtocolException,
                         'json_load': json_load,
                         'RequestReader': RequestReader},
    'tracrpc.ticket': {'ticketModelFactory': ticketModelFactory,
                       'ticketEnumFactory': ticketEnumFactory},
}


def lookup(module, name):
    """The compatibility name `name` of `module`.

    :raise AttributeError: as for any missing attribute
    """
    try:
        return _NAMES[module][name]
    except KeyError:
        raise AttributeError('module %r has no attribute %r'
                             % (module, name)) from None

