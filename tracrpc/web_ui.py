"""HTTP: routing RPC requests to a protocol, and the browsable listing."""

import importlib.resources
import re

from trac.config import IntOption
from trac.core import Component, ExtensionPoint, implements
from trac.perm import PermissionError
from trac.util.html import tag
from trac.web.api import IRequestHandler, RequestDone
from trac.web.chrome import INavigationContributor, ITemplateProvider, \
                            add_stylesheet, web_context
from trac.wiki.formatter import format_to_html

from tracrpc.api import API_VERSION, IRPCProtocol, RPCError, \
                        XMLRPCSystem, log_rpc_error
from tracrpc.util import cleandoc_, exception_to_unicode, \
                         request_content_type, send_body

_PATH_RE = re.compile(r'/(?:login/)?([^/]+)/?$')


def _anonymous_at_login(req):
    """A `/login/` URL reached without authentication: the web server
    does not protect it."""
    return req.path_info.startswith('/login/') and \
        req.authname == 'anonymous'


class _BodyReader(object):
    """The buffered request body, handed over (not copied) to the one
    protocol that reads it, so that a large body can be freed as soon as
    the protocol has decoded it."""

    def __init__(self, body):
        self._body = body

    def read(self, size=-1):
        body, self._body = self._body, b''
        if size is not None and 0 <= size < len(body):
            body, self._body = body[:size], body[size:]
        return body


class RPCWeb(Component):
    """Answers RPC calls at `/rpc`, `/login/rpc` and each protocol's own
    path (`/xmlrpc`, `/jsonrpc`, ...), and shows browsers the method
    listing there."""

    implements(INavigationContributor, IRequestHandler, ITemplateProvider)

    protocols = ExtensionPoint(IRPCProtocol)

    max_body_size = IntOption('rpc', 'max_body_size', 64 * 1024 * 1024,
        """Largest request body, in bytes, accepted at the RPC URLs; a
        larger one is answered with HTTP 413 without being read. Keep it
        above `[attachment] max_size`, as attachments travel in the body
        (base64 makes them a third larger).""")

    def __init__(self):
        self._route_table = None

    # IRequestHandler

    def match_request(self, req):
        match = _PATH_RE.match(req.path_info)
        return bool(match) and match.group(1) in self._routes()

    def process_request(self, req):
        path_item = _PATH_RE.match(req.path_info).group(1)
        content_type = request_content_type(req)
        for protocol, matched in self._routes()[path_item]:
            if content_type.startswith(matched):
                return self._process_rpc(req, protocol, matched)
        if req.method in ('GET', 'HEAD'):
            return self._render_listing(req)
        return self._send_plain(req, 415, "No protocol matching Content-Type "
                                          "'%s' at path '%s'."
                                % (content_type, req.path_info))

    # INavigationContributor

    def get_active_navigation_item(self, req):
        return 'rpc'

    def get_navigation_items(self, req):
        if 'XML_RPC' in req.perm:
            yield 'metanav', 'rpc', tag.a('API', href=req.href.rpc())

    # ITemplateProvider

    def get_htdocs_dirs(self):
        return []

    def get_templates_dirs(self):
        return [str(importlib.resources.files('tracrpc') / 'templates')]

    # Internal methods

    def _routes(self):
        """Path item -> the `(protocol, content_type)` pairs answering
        there, gathered once (every Trac request is offered to
        `match_request`)."""
        if self._route_table is None:
            routes = {}
            for protocol in self.protocols:
                for item, content_type in protocol.rpc_match():
                    routes.setdefault(item, []).append((protocol,
                                                        content_type))
            self._route_table = routes
        return self._route_table

    def _process_rpc(self, req, protocol, content_type):
        """Parse, check, call and answer; every failure becomes the
        protocol's error response. Like every `_send...`, it ends the
        request (`RequestDone`)."""
        refusal = self._buffer_body(req)
        if refusal:
            return self._send_plain(req, *refusal)
        # Protocols written for TracXMLRPC 1.1 read `req.rpc` in their
        # error path, parse errors included.
        req.rpc = {'mimetype': content_type}
        try:
            req.rpc = protocol.parse_rpc_request(req, content_type)
            req.rpc['mimetype'] = content_type
            if _anonymous_at_login(req):
                raise RPCError('Authentication information not available. '
                               'Configure HTTP authentication for the '
                               '/login URLs.', code=403)
            req.perm.require('XML_RPC')
            result = XMLRPCSystem(self.env).call(req, req.rpc.get('method'),
                                                 req.rpc.get('params'))
            return protocol.send_rpc_result(req, result)
        except RequestDone:
            raise
        except Exception as e:
            log_rpc_error(self.log, e)
            return self._send_rpc_error(req, protocol, e)

    def _send_rpc_error(self, req, protocol, e):
        """The protocol's error response; a short plain-text 500 when
        the protocol fails to give one."""
        try:
            return protocol.send_rpc_error(req, e)
        except RequestDone:
            raise
        except Exception as failure:
            self.log.error("RPC protocol %s failed to answer an error: %s",
                           type(protocol).__name__,
                           exception_to_unicode(failure, traceback=True))
        return self._send_plain(req, 500, 'Internal error: the %s protocol '
                                          'could not encode the error '
                                          'response.' % protocol.rpc_info()[0])

    def _buffer_body(self, req):
        """Read the whole body before any protocol sees it, so that they
        read it from memory. Return `None`, or the `(status, message)`
        refusing a missing, invalid or too large Content-Length or a body
        shorter than announced."""
        length = req.get_header('Content-Length')
        if length is None:
            return 411, 'A Content-Length header is required.'
        if not length.isdigit():
            return 400, 'Invalid Content-Length header.'
        length = int(length)
        if length > self.max_body_size:
            return 413, 'The request body exceeds the limit of %d bytes.' \
                % self.max_body_size
        try:
            body = req.environ['wsgi.input'].read(length)
        except OSError:  # a timeout or a disconnect: the client is gone
            return 408, 'Timed out reading the request body.'
        if len(body) != length:
            return 400, 'The request body is shorter than its Content-Length.'
        req.environ['wsgi.input'] = _BodyReader(body)
        return None

    def _send_plain(self, req, status, message):
        # The body may be unread: the connection cannot be reused.
        req.send_header('Connection', 'close')
        return send_body(req, message.encode('utf-8'), 'text/plain', status)

    def _render_listing(self, req):
        if _anonymous_at_login(req) or 'XML_RPC' not in req.perm:
            raise PermissionError(msg=self._listing_refusal(req))
        context = web_context(req)
        data = {'rpc_version': '.'.join(map(str, API_VERSION)),
                'protocols': self._protocol_docs(req, context),
                'namespaces': self._namespaces(req, context)}
        add_stylesheet(req, 'common/css/wiki.css')
        return 'rpc.html', data, {}

    def _listing_refusal(self, req):
        """What the 403 page tells a browser that may not see the API."""
        if req.authname != 'anonymous':
            return ('The API page needs the XML_RPC permission, which the '
                    'account "%s" does not have. Ask the administrator of '
                    'this Trac for it.' % req.authname)
        message = ('The API page needs the XML_RPC permission, and you are '
                   'not logged in. Log in at %s and open %s again, or call '
                   'the API at %s with HTTP Basic authentication.'
                   % (req.abs_href.login(), req.abs_href.rpc(),
                      req.abs_href.login('rpc')))
        if _anonymous_at_login(req):
            message += (' (The web server does not authenticate the /login '
                        'URLs: see the README.)')
        return message

    def _protocol_docs(self, req, context):
        docs = []
        for protocol in self.protocols:
            name, text = protocol.rpc_info()
            content_types = {}
            for item, content_type in protocol.rpc_match():
                content_types.setdefault(item, []).append(content_type)
            urls = [(req.abs_href(item), req.abs_href('login', item),
                     ', '.join(types))
                    for item, types in content_types.items()]
            docs.append({'name': name, 'urls': urls,
                         'docs': self._wiki(context, text)})
        return docs

    def _namespaces(self, req, context):
        grouped = {}
        for method in XMLRPCSystem(self.env).all_methods(req):
            grouped.setdefault(method.namespace, []).append(method)
        return [{'name': name,
                 'description': self._wiki(context,
                                           type(methods[0].provider).__doc__),
                 'methods': [self._method_docs(context, method)
                             for method in methods]}
                for name, methods in sorted(grouped.items())]

    def _method_docs(self, context, method):
        return {'name': method.name,
                'signature': method.signature.splitlines(),
                'help': self._wiki(context, method.description),
                'permission': method.permission_label}

    def _wiki(self, context, text):
        return format_to_html(self.env, context, cleandoc_(text))
