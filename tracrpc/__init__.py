# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""TracXMLRPC: XML-RPC and JSON-RPC interfaces to Trac."""

from importlib import metadata

from tracrpc.api import *  # noqa: F401,F403 (the public API)
from tracrpc import feed, json_rpc, openrpc, people, report, search, \
    ticket, ticket_comments, timeline, token_ui, tokens, tuning, \
    web_ui, webhook_ui, webhooks, wiki, xml_rpc  # noqa: F401 (components)
# the names TracXMLRPC's package offered (its plugins import them)
from tracrpc.api import api_version  # noqa: F401
from tracrpc.json_rpc import JsonRpcProtocol  # noqa: F401
from tracrpc.search import SearchRPC  # noqa: F401
from tracrpc.ticket import TicketRPC  # noqa: F401
from tracrpc.web_ui import RPCWeb  # noqa: F401
from tracrpc.wiki import WikiRPC  # noqa: F401
from tracrpc.xml_rpc import XmlRpcProtocol  # noqa: F401

__version__ = metadata.version('TracXMLRPC')
