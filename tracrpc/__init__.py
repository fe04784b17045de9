# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""TracXMLRPC: XML-RPC and JSON-RPC interfaces to Trac."""

from tracrpc.api import *  # noqa: F401,F403 (the public API)
from tracrpc import json_rpc, openrpc, people, report, search, ticket, \
    timeline, token_ui, tokens, tuning, web_ui, wiki, \
    xml_rpc  # noqa: F401 (components)
