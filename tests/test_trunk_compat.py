"""Drop-in for TracXMLRPC 1.2.0.dev0 (the trunk Trac 1.6 sites run): its
public Python names behave as there, a plugin written for it loads and
serves unchanged in a real tracd (its methods override ours, logged and
shown), and the arguments and faults its clients send and read work."""

import io
import json
import os
import re
import subprocess
import sys
import xmlrpc.client
from datetime import datetime, timezone

import pytest
from trac.perm import PermissionSystem
from trac.test import EnvironmentStub, MockRequest
from trac.ticket import model
from trac.util.datefmt import utc

from clients import CONFLICT_CODES, fault_of, unique

HERE = os.path.dirname(os.path.abspath(__file__))
TRUNK_PLUGIN = os.path.join(HERE, 'trunk_plugin', 'trunk_style.py')


# -- The trunk's names, each checked on one example ----------------------

def test_util_names():
    from tracrpc import util
    env = EnvironmentStub()
    req = MockRequest(env)
    assert util.web_context(req).req is req
    assert isinstance(util.web_context(req), util.Context)
    assert util.i18n_domain == 'tracrpc'
    assert util._('Methods') == util.gettext('Methods') == 'Methods'
    assert util.ngettext('%(num)d call', '%(num)d calls', 2) == '2 calls'
    assert str(util.tag_('%(x)s!', x='A')) == 'A!'
    assert util.dgettext('tracrpc', 'x') == 'x'
    assert callable(util.add_domain) and callable(util.domain_functions)
    assert util.getargspec(lambda a, b=1: a).args == ['a', 'b']
    assert util.PY3 and not (util.PY24 or util.PY25 or util.PY26 or
                             util.PY27)
    assert util.unicode is str and util.basestring is str
    assert util.unichr(233) == '\u00e9'
    assert list(util.iteritems({'a': 1})) == [('a', 1)]
    assert list(util.izip('ab', 'cd')) == [('a', 'c'), ('b', 'd')]
    assert util.xmlrpclib.dumps((1,)) == xmlrpc.client.dumps((1,))
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=utc)
    assert util.to_timestamp(moment) == 1714564800
    assert util.from_utimestamp(util.to_utimestamp(moment)) == moment
    assert util.exception_to_unicode(ValueError('bad')) == \
        'ValueError: bad'
    assert util.StringIO('x').read() == 'x'
    assert util.prepare_docs('    a\n      b') == 'a\n  b'
    with pytest.raises(ImportError):
        from tracrpc.util import no_such_name  # noqa: F401


def test_api_xml_and_json_names():
    from tracrpc.api import Binary, api_version
    from tracrpc.json_rpc import JsonProtocolException, RequestReader, \
        TracRpcJSONDecoder, TracRpcJSONEncoder, json_load
    from tracrpc.xml_rpc import REPLACEMENT_CHAR, from_xmlrpc_datetime, \
        to_xmlrpc_datetime
    import tracrpc
    assert api_version == tuple(int(part) for part
                                in tracrpc.__version__.split('.')[:3])
    moment = datetime(2024, 5, 1, 12, 30, 15, tzinfo=utc)
    assert to_xmlrpc_datetime(moment).value == '20240501T12:30:15'
    assert from_xmlrpc_datetime(to_xmlrpc_datetime(moment)) == moment
    assert REPLACEMENT_CHAR == '\ufffd'
    text = json.dumps({'when': moment, 'data': Binary(b'\x00')},
                      cls=TracRpcJSONEncoder)
    assert json.loads(text) == {
        'when': {'__jsonclass__': ['datetime', '2024-05-01T12:30:15']},
        'data': {'__jsonclass__': ['binary', 'AA==']}}
    decoded = json.loads(text, cls=TracRpcJSONDecoder)
    assert decoded['when'] == moment and decoded['data'].data == b'\x00'
    error = JsonProtocolException('bad', -32600)
    assert error.code == -32600 and str(error) == 'bad'
    env = EnvironmentStub()
    body = b'{"a": [1, 2]}trailing'
    req = MockRequest(env, method='POST')
    req.environ['wsgi.input'] = io.BytesIO(body)
    req.environ['CONTENT_LENGTH'] = '13'
    assert RequestReader(req).read() == b'{"a": [1, 2]}'
    req.environ['wsgi.input'] = io.BytesIO(body)
    assert json_load(req) == {'a': [1, 2]}


def test_package_names():
    import tracrpc
    from tracrpc.json_rpc import JsonRpcProtocol
    from tracrpc.search import SearchRPC
    from tracrpc.ticket import TicketRPC
    from tracrpc.web_ui import RPCWeb
    from tracrpc.wiki import WikiRPC
    from tracrpc.xml_rpc import XmlRpcProtocol
    assert (tracrpc.TicketRPC, tracrpc.WikiRPC, tracrpc.SearchRPC,
            tracrpc.XmlRpcProtocol, tracrpc.JsonRpcProtocol,
            tracrpc.RPCWeb) == (TicketRPC, WikiRPC, SearchRPC,
                                XmlRpcProtocol, JsonRpcProtocol, RPCWeb)
    assert re.match(r'\d+\.\d+\.\d+', tracrpc.__version__)
    assert tracrpc.api_version[:2] == (1, 2)
    star = {}
    exec('from tracrpc.api import *', star)  # as the trunk's __init__
    assert star['api_version'] == tracrpc.api_version


def test_factories_build_namespaces_for_other_classes():
    from tracrpc.api import XMLRPCSystem
    from tracrpc.ticket import ticketEnumFactory, ticketModelFactory

    class Effort(model.AbstractEnum):
        type = 'effort'
        ticket_col = 'effort'

    class Team(model.Component):
        pass

    enum_provider = ticketEnumFactory(Effort)
    model_provider = ticketModelFactory(Team, {'name': '', 'owner': '',
                                               'description': ''})
    env = EnvironmentStub(default_data=True, enable=['trac.*', 'tracrpc.*'])
    PermissionSystem(env).grant_permission('admin', 'TRAC_ADMIN')
    system = XMLRPCSystem(env)
    req = MockRequest(env, authname='admin')
    call = lambda name, *args: system.get_method(name)(req, list(args))[0]
    assert enum_provider(env).xmlrpc_namespace() == 'ticket.effort'
    assert call('ticket.effort.create', 'small', 1) == 0
    assert call('ticket.effort.getAll') == ['small']
    assert call('ticket.effort.get', 'small') == '1'
    assert model_provider(env).xmlrpc_namespace() == 'ticket.team'
    assert call('ticket.team.create', 'core', {'owner': 'ann'}) == 0
    assert call('ticket.team.get', 'core') == \
        {'name': 'core', 'owner': 'ann', 'description': ''}


# -- Arguments as lenient as the trunk, faults as its clients read them ----

def test_lenient_arguments_of_our_methods(rpc):
    admin = rpc('admin')
    tid = admin.call('ticket.create', unique('Lenient'), '')
    assert admin.call('ticket.get', str(tid))[0] == tid
    name = unique('p')
    assert admin.call('ticket.priority.create', name, 0) == 0
    assert admin.call('ticket.priority.get', name) == '0'
    changes = admin.call('ticket.changeLog', tid, '2000-01-01T00:00:00Z')
    assert changes == []
    fault = fault_of(admin, 'ticket.get', {'id': tid})
    assert fault.code == -32602 and 'argument "id"' in fault.message


def test_stale_change_token_fault_has_both_sentences(rpc):
    user = rpc('user')
    tid = user.call('ticket.create', unique('Stale'), '')
    token = user.call('ticket.get', tid)[3]['_ts']
    user.call('ticket.update', tid, 'first', {})
    fault = fault_of(user, 'ticket.update', tid, 'second', {'_ts': token})
    assert fault.code == CONFLICT_CODES[user.protocol]
    assert re.search('Sorry, can not save your changes.*This ticket has been '
                     'modified by someone else since you started',
                     fault.message)
    assert 'this ticket has been modified since you started editing' \
        in fault.message


def test_json_dates_as_isoformat_writes_them(server):
    client = server.client('jsonrpc', 'admin')
    whole = datetime(2024, 5, 1, 12, 0, 0)
    tid = client.call('ticket.create', unique('Dates'), '', {}, False, whole)
    status, headers, body = server.post(
        json.dumps({'method': 'ticket.get', 'params': [tid]}).encode(),
        'application/json', 'admin')
    assert b'"2024-05-01T12:00:00"' in body and b'.000000' not in body


# -- A plugin written for the trunk, in a real tracd ------------------------

@pytest.fixture(scope='module')
def trunk_server(sqlite_serving):
    with sqlite_serving('trunk', plugins=[TRUNK_PLUGIN]) as server:
        yield server


def test_trunk_plugin_serves_in_both_protocols(trunk_server):
    start = datetime(2024, 1, 2, 3, 4, 5)
    stop = datetime(2024, 1, 3, tzinfo=timezone.utc)
    for protocol in ('xmlrpc', 'jsonrpc'):
        client = trunk_server.client(protocol, 'admin')
        [event] = client.call('timeline.getEvents', start, stop, ['ticket'])
        assert event[0] == 'trunk-style'
        assert event[1] == start
        assert event[2] == 1704240000
        assert event[4] is True and event[5] == ['ticket']
        name = unique('e')
        assert client.call('ticket.estimate.create', name, '3') == 0
        assert name in client.call('ticket.estimate.getAll')
        area = unique('area')
        client.call('ticket.area.create', area, {'owner': 'user'})
        assert client.call('ticket.area.get', area)['owner'] == 'user'


def test_trunk_plugin_overrides_ours_visibly(trunk_server):
    client = trunk_server.client('jsonrpc', 'admin')
    tid = client.call('ticket.create', unique('Override'), '')
    assert client.call('ticket.getCommentHistory', tid, 99) == []
    help = client.call('system.methodHelp', 'ticket.getCommentHistory')
    assert 'or `[]`' in help
    document = client.call('rpc.discover')
    [history] = [method for method in document['methods']
                 if method['name'] == 'ticket.getCommentHistory']
    assert history['x-component'] == 'trunk_style.TrunkStyleCommentRPC'
    status, headers, body = trunk_server.get('/login/rpc', 'admin')
    page = body.decode('utf-8')
    section = page[page.index('id="ticket.getCommentHistory"'):]
    assert 'trunk_style.TrunkStyleCommentRPC' in section[:3000]
    with open(os.path.join(trunk_server.env_path, 'log', 'trac.log'),
              encoding='utf-8') as log:
        text = log.read()
    assert 'RPC method ticket.getCommentHistory of trunk_style.' \
           'TrunkStyleCommentRPC overrides the one of ' \
           'tracrpc.ticket_comments.TicketCommentRPC' in text
    assert 'RPC method timeline.getEvents of trunk_style.TrunkStyleRPC ' \
           'overrides the one of tracrpc.timeline.TimelineRPC' in text


def test_disabling_the_plugin_restores_ours(sqlite_serving):
    config = [('components', 'trunk_style.trunkstylecommentrpc', 'disabled')]
    with sqlite_serving('trunk-off', config,
                        plugins=[TRUNK_PLUGIN]) as server:
        client = server.client('xmlrpc', 'admin')
        tid = client.call('ticket.create', unique('Restored'), '')
        assert fault_of(client, 'ticket.getCommentHistory', tid,
                        99).code == 404
        [event] = client.call('timeline.getEvents', datetime(2024, 1, 1),
                              datetime(2024, 1, 2))
        assert event[0] == 'trunk-style'


def test_the_plugin_imports_nothing_we_lack():
    """The trunk-style plugin imports cleanly in a fresh interpreter."""
    subprocess.check_call([sys.executable, '-c',
                           'import runpy; runpy.run_path(%r)'
                           % TRUNK_PLUGIN])
