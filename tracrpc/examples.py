# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Copyable examples of a call, for the API page: Python's
`xmlrpc.client`, curl with JSON-RPC and XML-RPC, and curl with GET for
methods that change nothing. Arguments are placeholders of the right
type for the method's shortest signature."""

import base64
import json
import shlex
import xmlrpc.client
from datetime import datetime
from urllib.parse import urlencode

from tracrpc.api import Binary

__all__ = ['call_examples']

_PLACEHOLDERS = {int: 1, bool: True, float: 1.5, list: [], dict: {},
                 datetime: datetime(2024, 1, 31, 12, 0),
                 Binary: xmlrpc.client.Binary(b'file content')}


def _placeholder(name, type_):
    return _PLACEHOLDERS.get(type_, name)


def _json_value(value):
    if isinstance(value, datetime):
        return {'__jsonclass__': ['datetime', value.isoformat()]}
    if isinstance(value, xmlrpc.client.Binary):
        return {'__jsonclass__': ['binary',
                                  base64.b64encode(value.data).decode()]}
    return value


def _python_value(value):
    if isinstance(value, datetime):
        return "xmlrpc.client.DateTime('%s')" % value.strftime(
            '%Y%m%dT%H:%M:%S')
    if isinstance(value, xmlrpc.client.Binary):
        return 'xmlrpc.client.Binary(open(\'file\', \'rb\').read())'
    return repr(value)


def call_examples(method, url):
    """`[(label, text)]`: the call of `method` at the authenticated
    endpoint `url` with each client."""
    shortest = min(method.signatures, key=len)
    names = method.arg_names
    values = [_placeholder(names[index] if index < len(names) else 'x', t)
              for index, t in enumerate(shortest[1:])]
    user_url = url.replace('://', '://USER:PASSWORD@', 1)
    json_body = json.dumps({'method': method.name, 'id': 1,
                            'params': [_json_value(v) for v in values]})
    xml_body = ''.join(xmlrpc.client.dumps(tuple(
        xmlrpc.client.DateTime(v) if isinstance(v, datetime) else v
        for v in values), method.name).splitlines()).replace(
            "<?xml version='1.0'?>", '<?xml version="1.0"?>')
    examples = [
        ('Python (xmlrpc.client)',
         'import xmlrpc.client\n'
         'server = xmlrpc.client.ServerProxy(%r)\n'
         'print(server.%s(%s))' % (user_url, method.name,
                                   ', '.join(map(_python_value, values)))),
        ('curl, JSON-RPC',
         "curl -s -u USER:PASSWORD -H 'Content-Type: application/json' "
         '-d %s %s' % (shlex.quote(json_body), url)),
        ('curl, XML-RPC',
         "curl -s -u USER:PASSWORD -H 'Content-Type: text/xml' -d %s %s"
         % (shlex.quote(xml_body), url))]
    if method.readonly and not method.heavy:
        query = {'method': method.name, 'id': 1}
        if values:
            query['params'] = json.dumps([_json_value(v) for v in values])
        examples.append(('curl, GET (changes nothing)',
                         'curl -s -u USER:PASSWORD %s'
                         % shlex.quote(url + '?' + urlencode(query))))
    return examples
