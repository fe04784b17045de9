# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Where RPC is served: the paths the installed protocols answer at,
known to the request handler and the token authenticator alike."""

import re

from trac.core import Component, ExtensionPoint

from tracrpc.api import IRPCProtocol

__all__ = ['RPCRouter', 'is_rpc_path', 'is_api_page']

#: `/[login/]<path item>[/openrpc.json]`
_PATH_RE = re.compile(r'/(?:login/)?([^/]+)(/openrpc\.json)?/?$')


class RPCRouter(Component):
    """The installed protocols and the path items they answer at."""

    protocols = ExtensionPoint(IRPCProtocol)

    def __init__(self):
        self._route_table = None

    def routes(self):
        """Path item -> the `(protocol, content_type)` pairs answering
        there, gathered once (every Trac request is offered to the
        request handler's `match_request`)."""
        if self._route_table is None:
            routes = {}
            for protocol in self.protocols:
                for item, content_type in protocol.rpc_match():
                    routes.setdefault(item, []).append((protocol,
                                                        content_type))
            self._route_table = routes
        return self._route_table

    def match(self, path_info):
        """`(path_item, document)` of an RPC path (`document` is the
        `/openrpc.json` suffix or `None`); `None` for any other path."""
        match = _PATH_RE.match(path_info)
        if match and match.group(1) in self.routes():
            return match.groups()
        return None


def is_rpc_path(env, req):
    """Tell whether `req` is addressed to an RPC URL of `env`."""
    return RPCRouter(env).match(req.path_info) is not None


def is_api_page(env, req):
    """Tell whether `req` asks for the API page: a GET at an RPC URL
    that names no call (`method`), no document and no content type."""
    match = RPCRouter(env).match(req.path_info)
    return match is not None and not match[1] and \
        req.method in ('GET', 'HEAD') and \
        not req.get_header('Content-Type') and 'method' not in req.args
