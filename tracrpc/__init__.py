"""TracXMLRPC: XML-RPC and JSON-RPC interfaces to Trac."""

from tracrpc.api import *  # noqa: F401,F403 (the public API)
from tracrpc import json_rpc, openrpc, people, report, search, ticket, \
    timeline, token_ui, tokens, tuning, web_ui, wiki, \
    xml_rpc  # noqa: F401 (components)
