# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""HTTP: routing RPC requests to a protocol, and the browsable listing."""

import importlib.resources
import json
import re
import zlib

from trac.config import IntOption, ListOption
from trac.core import Component, implements
from trac.perm import PermissionError
from trac.util.html import tag
from trac.web.api import IRequestHandler, RequestDone
from trac.web.chrome import INavigationContributor, ITemplateProvider, \
                            add_script, add_script_data, add_stylesheet, \
                            add_warning, web_context
from trac.wiki.formatter import format_to_html

from tracrpc.api import API_VERSION, RPC_TYPES, CallPolicy, RPCError, \
                        RPCState, XMLRPCSystem, log_rpc_error
from tracrpc.examples import call_examples
from tracrpc.request import RPCRouter
from tracrpc.tokens import TokenAuthenticator
from tracrpc.tuning import LocaleCache
from tracrpc.util import _, add_plugin_domain, cleandoc_, \
                         exception_to_unicode, of_this_plugin, \
                         request_content_type, send_body

_JSON = 'application/json'
#: a body up to this size is read even from a caller who may not call,
#: so that the refusal can echo the call's JSON-RPC id
_SMALL_BODY = 64 * 1024
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{0,64}(/[a-z0-9!#$&^_.+-]{1,64})?$")


def _anonymous_at_login(req):
    """A `/login/` URL reached without authentication: the web server
    does not protect it."""
    return req.path_info.startswith('/login/') and \
        req.authname == 'anonymous'


def _cookie_session(req):
    """The user is known from a login cookie, not from credentials the
    request itself carries (checked by the web server, or a token)."""
    return req.authname != 'anonymous' and not req.remote_user and \
        RPCState.of(req).principal is None


def _credentials_failed(req):
    """The request carried credentials that failed (`TokenAuthenticator`
    records that while Trac authenticates the request, which reading
    `req.authname` makes happen)."""
    return bool(req.authname) and RPCState.of(req).auth_failure is not None


def _readonly_because(req, via_get):
    """Why the request may only call methods that change nothing, as the
    end of "... cannot be called <reason>"; `None` when it may call
    any."""
    if via_get:
        return 'with HTTP GET'
    if RPCState.of(req).readonly_token:
        return 'with a read-only token'
    return None


def _printable_type(content_type):
    """A Content-Type to repeat in an answer: as sent when it is a media
    type, never the markup or text an attacker put there."""
    return content_type if _MEDIA_TYPE.match(content_type) \
        else '(not a media type)'


def _accepts_gzip(req):
    """The request's `Accept-Encoding` takes gzip (with a quality above
    0)."""
    for part in (req.get_header('Accept-Encoding') or '').split(','):
        coding, _sep, quality = part.replace(' ', '').partition(';q=')
        if coding.strip().lower() in ('gzip', 'x-gzip'):
            try:
                return float(quality or 1) > 0
            except ValueError:
                return False
    return False


def _console_form(method):
    """What the API page's console builds a method's form from: the
    parameters (name, type name of the first type accepted, required)
    and whether the method changes nothing."""
    return {'name': method.name, 'readonly': method.readonly,
            'params': [{'name': name, 'type': RPC_TYPES.get(types[0], ''),
                        'required': required}
                       for name, types, required in method.parameters()]}


def _console_texts():
    """The console's words, in the user's language (`%(method)s` is the
    method's name)."""
    return {'filter': _('Filter methods'), 'filterHint': _('e.g. ticket.get'),
            'shown': _('%(count)s of %(total)s methods shown'),
            'zone': _('your time zone: %(zone)s'),
            'badJson': _('Not valid JSON: %(problem)s'),
            'optional': _('(optional)'), 'tryIt': _('Try it'),
            'call': _('Call'), 'callWrite': _('Call (changes data)'),
            'confirm': _('%(method)s changes data in this Trac. Call it?'),
            'request': _('Request'), 'response': _('Response'),
            'notSent': _('Not sent:')}


def _json_or_text(text):
    """A query-string value: the JSON it holds, or the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class _BodyReader(object):
    """The buffered request body, handed over (not copied) to the one
    protocol that reads it, so that a large body can be freed as soon as
    the protocol has decoded it.

    A body sent gzipped is held decompressed, but Trac's `req.read()`
    asks for the announced `Content-Length` (of the compressed bytes):
    a read of that size, `announced`, is a read of everything."""

    def __init__(self, body, announced):
        self._body = body
        self._announced = announced

    def read(self, size=-1):
        body, self._body = self._body, b''
        if size == self._announced:
            size = -1
        if size is not None and 0 <= size < len(body):
            body, self._body = body[:size], body[size:]
        return body


class RPCWeb(Component):
    """Answers RPC calls at `/rpc`, `/login/rpc` and each protocol's own
    path (`/xmlrpc`, `/jsonrpc`, ...), and shows browsers the method
    listing there."""

    implements(INavigationContributor, IRequestHandler, ITemplateProvider)

    max_body_size = IntOption('rpc', 'max_body_size', 16 * 1024 * 1024,
        """Largest request body, in bytes, accepted at the RPC URLs; a
        larger one is answered with HTTP 413 without being read (the
        caller is checked before the body is read, too). Attachments
        travel in the body, base64-encoded, so keep it above 4/3 of
        `[attachment] max_size` plus a few KiB; the default (16 MiB)
        carries attachments up to 12 MiB.""")

    gzip_min_size = IntOption('rpc', 'gzip_min_size', 1400,
        """Answers of at least this many bytes are sent gzip-compressed
        to clients that accept it (`Accept-Encoding: gzip`, as
        `xmlrpc.client` sends); 0 turns compression off. Requests may be
        gzipped too (`Content-Encoding: gzip`): `max_body_size` applies
        to their decompressed size.""")

    cors_origins = ListOption('rpc', 'cors_origins', '',
        doc="""Origins (e.g. `https://app.example.org`) whose web pages
        may call the API from a browser (CORS): their requests get the
        `Access-Control-Allow-*` headers, with credentials, and their
        preflight requests are answered. Empty (the default): no other
        origin may.""")

    def __init__(self):
        add_plugin_domain(self.env)

    # IRequestHandler

    def match_request(self, req):
        return RPCRouter(self.env).match(req.path_info) is not None

    def process_request(self, req):
        path_item, document = RPCRouter(self.env).match(req.path_info)
        LocaleCache(self.env).set_locale(req)
        if self.gzip_min_size > 0 and _accepts_gzip(req):
            RPCState.of(req).compress_above = self.gzip_min_size
        allowed_origin = self._allowed_origin(req)
        if allowed_origin:
            self._send_cors_headers(req, allowed_origin)
        if _credentials_failed(req):
            return self._send_unauthorized(req)
        if req.method == 'OPTIONS':
            return self._preflight(req, allowed_origin)
        content_type = request_content_type(req)
        protocol, matched = self._route(path_item, content_type)
        if req.method in ('GET', 'HEAD'):
            if document:
                return self._send_document(req)
            if protocol is not None and \
                    not of_this_plugin(protocol) and content_type:
                return self._process_body(req, protocol, matched, True)
            if 'method' in req.args:
                return self._process_get_call(req)
            return self._render_listing(req)
        if protocol is not None:
            return self._process_body(req, protocol, matched, False)
        return self._send_plain(req, 415, "No protocol matching Content-Type "
                                          "'%s' at path '%s'."
                                % (_printable_type(content_type),
                                   req.path_info))

    # INavigationContributor

    def get_active_navigation_item(self, req):
        return 'rpc'

    def get_navigation_items(self, req):
        if 'XML_RPC' in req.perm:
            yield 'metanav', 'rpc', tag.a(_('API'), href=req.href.rpc())

    # ITemplateProvider

    def get_htdocs_dirs(self):
        return [('tracrpc', str(importlib.resources.files('tracrpc') /
                                'htdocs'))]

    def get_templates_dirs(self):
        return [str(importlib.resources.files('tracrpc') / 'templates')]

    # Internal methods

    def _route(self, path_item, content_type):
        """`(protocol, matched content type)` answering `content_type`
        at `path_item`, or `(None, None)`."""
        for protocol, matched in RPCRouter(self.env).routes()[path_item]:
            if content_type and content_type.startswith(matched):
                return protocol, matched
        return None, None

    def _process_body(self, req, protocol, content_type, via_get):
        """A call in the request body, for `protocol`. Another plugin's
        protocol also answers GET requests of its content type, as in
        TracXMLRPC (read-only, without the login cookie, as every GET
        call)."""
        if via_get and req.get_header('Content-Length') is None:
            length, refusal = 0, None
        else:
            length, refusal = self._body_length(req)
        if refusal:
            return self._send_plain(req, *refusal)
        if length > _SMALL_BODY:
            refused = self._caller_refusal(req, via_get)
            if refused:
                return self._refuse_unread(req, protocol, content_type,
                                           refused)
        body, refusal = self._read_body(req, length)
        if refusal:
            return self._send_plain(req, *refusal)
        return self._process_rpc(req, protocol, content_type, body, via_get)

    def _caller_refusal(self, req, via_get):
        """Why the caller may not call at all (the error), or `None`."""
        try:
            self._check_caller(req, via_get)
        except (RPCError, PermissionError) as e:
            return e
        return None

    def _refuse_unread(self, req, protocol, content_type, refusal):
        """The protocol's answer `refusal` to a caller who may not call,
        sent before the body is read: a large body from such a caller
        costs nothing. (A small one is read, so the answer can echo its
        JSON-RPC id.)"""
        req.send_header('Connection', 'close')  # the body is left unread
        req.rpc = {'mimetype': content_type}
        log_rpc_error(self.log, refusal)
        return self._send_rpc_error(req, protocol, refusal)

    def _process_rpc(self, req, protocol, content_type, body, via_get=False):
        """Parse `body`, check, call and answer; every failure becomes
        the protocol's error response. Like every `_send...`, it ends the
        request (`RequestDone`)."""
        announced = req.get_header('Content-Length')
        req.environ['wsgi.input'] = _BodyReader(
            body, int(announced) if announced and announced.isdigit()
            else None)
        RPCState.of(req).protocol = protocol
        # Protocols written for TracXMLRPC 1.1 read `req.rpc` in their
        # error path, parse errors included.
        req.rpc = {'mimetype': content_type}
        try:
            req.rpc = protocol.parse_rpc_request(req, content_type)
            req.rpc['mimetype'] = content_type
            self._check_caller(req, via_get)
            policy = self._policy(req, via_get)
            system = XMLRPCSystem(self.env)
            if 'calls' in req.rpc:
                result = system.call_many(req, req.rpc['calls'], policy)
            else:
                result = system.call(req, req.rpc, policy)
            return protocol.send_rpc_result(req, result)
        except RequestDone:
            raise
        except Exception as e:
            log_rpc_error(self.log, e)
            return self._send_rpc_error(req, protocol, e)

    def _policy(self, req, via_get):
        """Decide what the calls of this request may do, once."""
        system = XMLRPCSystem(self.env)
        state = RPCState.of(req)
        state.policy = CallPolicy(req.authname,
                                  _readonly_because(req, via_get),
                                  system.max_multicall, via_get,
                                  system.max_request_time)
        self.log.debug("RPC request of %s, %s scope%s", state.policy.principal,
                       state.policy.scope, ' (token %s)' % state.token_id
                       if state.token_id else '')
        return state.policy

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

    def _check_caller(self, req, via_get):
        if _anonymous_at_login(req):
            raise RPCError('Authentication information not available. '
                           'Configure HTTP authentication for the /login '
                           'URLs.', code=403)
        if via_get and _cookie_session(req):
            # as Bugzilla's WebService: a page elsewhere cannot make the
            # browser call the API in the user's name (CSRF)
            raise RPCError('Calls with HTTP GET do not use the login '
                           'cookie: send HTTP Basic credentials to '
                           '/login/rpc, or use POST.', code=403)
        req.perm.require('XML_RPC')

    def _body_length(self, req):
        """The announced length of the body: `(length, None)`, or
        `(None, (status, message))` refusing a missing, invalid or too
        large Content-Length."""
        length = req.get_header('Content-Length')
        if length is None:
            return None, (411, 'A Content-Length header is required.')
        if not length.isdigit():
            return None, (400, 'Invalid Content-Length header.')
        length = int(length)
        if length > self.max_body_size:
            return None, (413, 'The request body exceeds the limit of %d '
                               'bytes.' % self.max_body_size)
        return length, None

    def _read_body(self, req, length):
        """Read the whole body before any protocol sees it, so that they
        read it from memory, decompressed. Return `(body, None)`, or
        `(None, (status, message))` for a body shorter than announced, in
        an unknown encoding, or too large once decompressed."""
        body, refusal = self._read_raw_body(req, length)
        if refusal:
            return None, refusal
        encoding = (req.get_header('Content-Encoding') or 'identity') \
            .strip().lower()
        if encoding == 'identity':
            return body, None
        if encoding not in ('gzip', 'x-gzip'):
            return None, (415, 'Content-Encoding %s is not accepted: send '
                               'gzip or none.' % _printable_type(encoding))
        return self._gunzip(body)

    def _gunzip(self, body):
        """`body` decompressed, never past `max_body_size` (so a small
        bomb cannot grow into a large body)."""
        decompressor = zlib.decompressobj(31)
        try:
            plain = decompressor.decompress(body, self.max_body_size + 1)
        except zlib.error:
            return None, (400, 'The request body is not valid gzip.')
        if len(plain) > self.max_body_size or decompressor.unconsumed_tail:
            return None, (413, 'The request body exceeds the limit of %d '
                               'bytes once decompressed.'
                          % self.max_body_size)
        if not decompressor.eof:
            return None, (400, 'The gzipped request body is truncated.')
        return plain, None

    def _read_raw_body(self, req, length):
        try:
            body = req.environ['wsgi.input'].read(length)
        except OSError:  # a timeout or a disconnect: the client is gone
            return None, (408, 'Timed out reading the request body.')
        if len(body) != length:
            return None, (400, 'The request body is shorter than its '
                               'Content-Length.')
        return body, None

    def _process_get_call(self, req):
        """A JSON-RPC call in the query string (`method`, `params` as
        JSON, optional `id`, as Bugzilla's WebService takes them), for
        methods that change nothing; answered in JSON-RPC."""
        protocol = self._json_protocol()
        if protocol is None:
            return self._send_plain(req, 404, 'JSON-RPC is not enabled.')
        call = {'method': req.args.get('method')}
        if 'id' in req.args:
            call['id'] = _json_or_text(req.args.get('id'))
        params = req.args.get('params')
        if params:
            call['params'] = _json_or_text(params)
        body = json.dumps(call).encode('utf-8')
        return self._process_rpc(req, protocol, _JSON, body, via_get=True)

    def _json_protocol(self):
        for protocol, content_type in \
                RPCRouter(self.env).routes().get('rpc', ()):
            if content_type == _JSON:
                return protocol
        return None

    def _allowed_origin(self, req):
        """The request's `Origin` when `[rpc] cors_origins` lists it;
        else `None`."""
        origin = req.get_header('Origin')
        return origin if origin and origin in self.cors_origins else None

    def _send_cors_headers(self, req, origin):
        """Let `origin`'s pages read whatever is answered."""
        req.send_header('Access-Control-Allow-Origin', origin)
        req.send_header('Access-Control-Allow-Credentials', 'true')
        req.send_header('Vary', 'Origin')

    def _preflight(self, req, allowed_origin):
        """The answer to a CORS preflight (`OPTIONS`)."""
        if not allowed_origin:
            return self._send_plain(req, 403, 'Cross-origin calls are not '
                                              'allowed from this origin '
                                              '([rpc] cors_origins).')
        req.send_header('Access-Control-Allow-Methods', 'GET, POST')
        req.send_header('Access-Control-Allow-Headers',
                        'Authorization, Content-Type')
        req.send_header('Access-Control-Max-Age', '600')
        return send_body(req, b'', 'text/plain', 204)

    def _send_document(self, req):
        """`rpc.discover`'s OpenRPC document, as a plain JSON file (it
        changes nothing and other origins cannot read it: the login
        cookie serves too)."""
        self._require_browsing(req)
        system = XMLRPCSystem(self.env)
        document = system.call(req, {'method': 'rpc.discover'},
                               system.policy(req))
        return send_body(req, json.dumps(document).encode('utf-8'), _JSON)

    def _send_unauthorized(self, req):
        """401 for credentials that failed (a wrong, expired or revoked
        token, a wrong password): never an anonymous call."""
        req.send_header('WWW-Authenticate', 'Bearer realm="trac", '
                        'error="invalid_token", Basic realm="trac"')
        return self._send_plain(req, 401, RPCState.of(req).auth_failure)

    def _send_plain(self, req, status, message):
        # The body may be unread: the connection cannot be reused.
        req.send_header('Connection', 'close')
        return send_body(req, message.encode('utf-8'), 'text/plain', status)

    def _render_listing(self, req):
        if TokenAuthenticator(self.env).token_sent(req):
            add_warning(req, _('A token came with this request. Tokens '
                               'authenticate API calls, not web pages: '
                               'this page is shown as it would be without '
                               'it.'))
        self._require_browsing(req)
        context = web_context(req)
        data = {'rpc_version': '.'.join(map(str, API_VERSION)),
                'console_url': self._console_url(req),
                'rpc_url': req.abs_href.rpc(),
                'protocols': self._protocol_docs(req, context),
                'namespaces': self._namespaces(req, context),
                'login_url': req.abs_href.login('rpc')}
        add_stylesheet(req, 'common/css/wiki.css')
        add_script_data(req, rpcConsoleText=_console_texts())
        add_script(req, 'tracrpc/rpc-console.js')
        return 'rpc.html', data, {}

    def _console_url(self, req):
        """Where the console sends its JSON-RPC calls: the URL the page
        was loaded from (so `/login/rpc` calls with the credentials the
        browser gave there), or, where JSON-RPC is not served (say
        `/xmlrpc`), `rpc` beside it."""
        path_item = RPCRouter(self.env).match(req.path_info)[0]
        if not any(content_type == _JSON for protocol, content_type
                   in RPCRouter(self.env).routes()[path_item]):
            path_item = 'rpc'
        if req.path_info.startswith('/login/'):
            return req.href.login(path_item)
        return req.href(path_item)

    def _require_browsing(self, req):
        """The API page and the OpenRPC file need XML_RPC; the 403 page
        says how to get in."""
        if _anonymous_at_login(req) or 'XML_RPC' not in req.perm:
            raise PermissionError(msg=self._listing_refusal(req))

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
        for protocol in RPCRouter(self.env).protocols:
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
                 'methods': [self._method_docs(req, context, method)
                             for method in methods]}
                for name, methods in sorted(grouped.items())]

    def _method_docs(self, req, context, method):
        return {'name': method.name,
                'signature': method.signature.splitlines(),
                'help': self._wiki(context, method.description),
                'permission': method.permission_label,
                'readonly': method.readonly,
                'heavy': method.heavy,
                'result': method.result,
                'conflicts': method.conflicts,
                'plugin': None if method.builtin else method.component,
                'form': json.dumps(_console_form(method)),
                'examples': call_examples(method, req.abs_href.login('rpc'))}

    def _wiki(self, context, text):
        return format_to_html(self.env, context, cleandoc_(text))
