"""RPC clients for the tests, one per protocol, with a common face:
`client.call(method, *args)` returns the result decoded to Python
(`datetime` naive in UTC, `bytes` for binary) or raises `Fault`."""

import base64
import http.client
import json
import os
import re
import urllib.parse
import uuid
import xmlrpc.client
from datetime import datetime
from urllib.parse import urlsplit

PROTOCOLS = ['xmlrpc', 'jsonrpc']

#: in-process applications (`inprocess.InProcessApp`) by the URL their
#: tests know them by: requests to these never touch a socket
APPLICATIONS = {}

#: the error code of a conflict (a stale ticket `_ts`, a wiki page saved
#: meanwhile) in each protocol
CONFLICT_CODES = {'xmlrpc': 1, 'jsonrpc': 409}


class Fault(Exception):
    """An RPC error response, from either protocol."""

    def __init__(self, code, message):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message


def unique(prefix='T'):
    """A name no other test uses (e.g. a page name or ticket summary)."""
    return '%s%s' % (prefix, uuid.uuid4().hex[:10])


def new_token(server, user='user', name='test', **options):
    """Make an API token of `user` in the server's environment."""
    from tracrpc.tokens import TokenStore
    env = server.env()
    try:
        return TokenStore(env).create(user, name, **options)[0]
    finally:
        env.shutdown()


def fault_of(client, method, *args):
    """Call `method`; return the `Fault` it must raise."""
    try:
        result = client.call(method, *args)
    except Fault as fault:
        return fault
    raise AssertionError('%s returned %r instead of failing'
                         % (method, result))


class Binary(bytes):
    """Marks bytes sent as binary data in a call."""


class Server(object):
    """The test server: its URL, environment path and clients."""

    def __init__(self, url, env_path):
        self.url = url
        self.env_path = env_path

    def client(self, protocol, user='user', path='/login/rpc'):
        client_class = XmlClient if protocol == 'xmlrpc' else JsonClient
        return client_class(self.url, user, path)

    def post(self, body, content_type, user=None, path='/login/rpc',
             headers=None):
        """POST raw bytes; return `(status, headers, body)`."""
        return http_request(self.url, 'POST', path, body, user,
                            dict({'Content-Type': content_type},
                                 **(headers or {})))

    def get(self, path, user=None, headers=None):
        return http_request(self.url, 'GET', path, None, user, headers or {})

    def env(self):
        """Open the environment for checking what a call stored."""
        from trac.env import Environment
        return Environment(self.env_path)


class Browser(object):
    """A logged-in web session: Trac's auth cookie and form token."""

    def __init__(self, server, user):
        self.server = server
        status, headers, body = http_request(server.url, 'GET', '/login',
                                             None, user, {})
        self.cookies = {'trac_auth': re.search(
            r'trac_auth=([^;]+)', headers['Set-Cookie']).group(1)}
        self.get('/prefs')

    def request(self, method, path, form=None):
        cookie = '; '.join('%s=%s' % item for item in self.cookies.items())
        headers = {'Cookie': cookie}
        body = None
        if form is not None:
            form = dict(form, __FORM_TOKEN=self.cookies['trac_form_token'])
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        status, response_headers, text = http_request(
            self.server.url, method, path, body, None, headers)
        for name, value in re.findall(r'(trac_form_token)=([^;]+)',
                                      response_headers.get('Set-Cookie', '')):
            self.cookies[name] = value
        return status, text.decode('utf-8')

    def get(self, path):
        return self.request('GET', path)

    def post(self, path, form):
        return self.request('POST', path, form)


def web_page(server, user, path):
    """A page of Trac's web UI as `user` sees it (logged in)."""
    status, headers, body = http_request(server.url, 'GET', '/login', None,
                                         user, {})
    cookie = re.search(r'trac_auth=[^;]+', headers['Set-Cookie']).group(0)
    status, headers, body = http_request(server.url, 'GET', path, None, None,
                                         {'Cookie': cookie})
    assert status == 200
    return body


def auth_header(user):
    token = base64.b64encode(('%s:%s' % (user, user)).encode()).decode()
    return {'Authorization': 'Basic ' + token}


def http_request(url, method, path, body, user, headers):
    headers = dict(headers)
    if user:
        headers.update(auth_header(user))
    if url in APPLICATIONS:
        return APPLICATIONS[url].request(method, path, body, headers)
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                            timeout=120)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def xmlrpc_proxy(url, user=None, password=None, path='/login/rpc'):
    """An `xmlrpc.client.ServerProxy` of `url` + `path`, with Basic
    credentials when `user` is given (`password` defaults to it)."""
    parts = urlsplit(url)
    credentials = '%s:%s@' % (user, password or user) if user else ''
    address = '%s://%s%s%s' % (parts.scheme, credentials, parts.netloc, path)
    if url in APPLICATIONS:
        return xmlrpc.client.ServerProxy(
            address, transport=APPLICATIONS[url].xmlrpc_transport())
    return xmlrpc.client.ServerProxy(address, use_builtin_types=True)


class XmlClient(object):
    protocol = 'xmlrpc'

    def __init__(self, url, user, path):
        self.proxy = xmlrpc_proxy(url, user, path=path)

    def call(self, method, *args):
        try:
            return getattr(self.proxy, method)(*map(self._encode, args))
        except xmlrpc.client.Fault as e:
            raise Fault(e.faultCode, e.faultString)

    def multicall(self, calls):
        """`calls`: (method, args) pairs; the raw multicall result."""
        signatures = [{'methodName': method,
                       'params': [self._encode(arg) for arg in args]}
                      for method, args in calls]
        return self.call('system.multicall', signatures)

    def multicall_outcomes(self, calls):
        """Each call's result, or its `Fault`."""
        return [Fault(slot['faultCode'], slot['faultString'])
                if isinstance(slot, dict) else slot[0]
                for slot in self.multicall(calls)]

    def _encode(self, value):
        if isinstance(value, Binary):
            return xmlrpc.client.Binary(bytes(value))
        if isinstance(value, list):
            return [self._encode(item) for item in value]
        if isinstance(value, dict):
            return {key: self._encode(item) for key, item in value.items()}
        return value


class JsonClient(object):
    protocol = 'jsonrpc'

    def __init__(self, url, user, path):
        self.url = url
        self.user = user
        self.path = path

    def request(self, payload):
        """POST a JSON payload; return the decoded response (or None)."""
        status, headers, body = http_request(
            self.url, 'POST', self.path, json.dumps(payload).encode(),
            self.user, {'Content-Type': 'application/json'})
        if status == 204:
            return None
        assert status == 200, (status, body)
        return json.loads(body, object_hook=decode_hint)

    def call(self, method, *args):
        response = self.request({'method': method, 'id': os.urandom(4).hex(),
                                 'params': [encode(arg) for arg in args]})
        return result_of(response)

    def multicall(self, calls):
        return self.call('system.multicall', *[
            {'method': method, 'params': [encode(arg) for arg in args],
             'id': index} for index, (method, args) in enumerate(calls)])

    def multicall_outcomes(self, calls):
        """Each call's result, or its `Fault`."""
        return [Fault(slot['error']['code'], slot['error']['message'])
                if slot['error'] else slot['result']
                for slot in self.multicall(calls)]


def result_of(response):
    if response['error'] is not None:
        raise Fault(response['error']['code'], response['error']['message'])
    return response['result']


def encode(value):
    """Python value -> JSON-RPC value with class hints."""
    if isinstance(value, Binary):
        return {'__jsonclass__': ['binary',
                                  base64.b64encode(value).decode()]}
    if isinstance(value, datetime):
        return {'__jsonclass__': ['datetime', value.isoformat()]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    return value


def decode_hint(obj):
    hint = obj.get('__jsonclass__')
    if hint is None:
        return obj
    kind, text = hint
    if kind == 'datetime':
        return datetime.fromisoformat(text)
    return base64.b64decode(text)
