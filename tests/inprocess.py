"""Trac's own WSGI application called in-process through WebTest: the
same code path as tracd (Trac's `dispatch_request` behind Trac's Basic
authentication middleware, `contrib/trac_wsgi.py`), without a server
process or a socket, so that provider and protocol tests run in
milliseconds. End-to-end tests keep a real tracd (`http_server`)."""

import http.cookiejar
import xmlrpc.client
from urllib.parse import urlsplit

import webtest

from trac_wsgi import make_application


class InProcessApp(object):
    """The WSGI application of one test environment, answering requests
    as the server at `url` (the host name Trac sees; no socket is
    opened)."""

    def __init__(self, env_path, htpasswd, url, script_name=''):
        """`script_name`: where the site is mounted (e.g. `/trac`)."""
        parts = urlsplit(url)
        self.base_url = url + script_name
        # Like the tests' HTTP clients, it keeps no cookies: each request
        # carries what its test gives it.
        no_cookies = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.test_app = webtest.TestApp(
            make_application(env_path, htpasswd), lint=False,
            cookiejar=no_cookies,
            extra_environ={'HTTP_HOST': parts.netloc,
                           'SERVER_NAME': parts.hostname,
                           'SERVER_PORT': str(parts.port),
                           'REMOTE_ADDR': '127.0.0.1'})

    def request(self, method, path, body, headers):
        """Make a request; return `(status, headers, body)` as
        `clients.http_request` does."""
        params = {'method': method, 'headers': dict(headers),
                  'expect_errors': True}
        if isinstance(body, str):  # as http.client sends it
            body = body.encode('iso-8859-1')
        if body is not None:
            params['body'] = body
        response = self.test_app.request(path, base_url=self.base_url,
                                         **params)
        return response.status_int, dict(response.headers), response.body

    def xmlrpc_transport(self):
        return WSGITransport(self)


class WSGITransport(xmlrpc.client.Transport):
    """An `xmlrpc.client` transport that hands the request to an
    `InProcessApp` (credentials in the proxy's URL become Basic auth,
    as with the HTTP transport)."""

    def __init__(self, app):
        super().__init__(use_builtin_types=True)
        self.app = app

    def request(self, host, handler, request_body, verbose=False):
        host, extra_headers, _ = self.get_host_info(host)
        headers = dict(extra_headers or ())
        headers['Content-Type'] = 'text/xml'
        status, response_headers, body = self.app.request(
            'POST', handler, request_body, headers)
        if status != 200:
            raise xmlrpc.client.ProtocolError(host + handler, status,
                                              body.decode('utf-8', 'replace'),
                                              response_headers)
        parser, unmarshaller = self.getparser()
        parser.feed(body)
        parser.close()
        return unmarshaller.close()
