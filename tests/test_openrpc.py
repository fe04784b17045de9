"""The self-describing API: `rpc.discover` and `/rpc/openrpc.json`
validated against the official OpenRPC meta-schema for several
permission sets, read-only calls over GET, and CORS."""

import json
import os
from datetime import datetime, timedelta, timezone
import re
import urllib.parse

import pytest

from clients import Binary, http_request, result_of, unique

jsonschema = pytest.importorskip('jsonschema')
referencing = pytest.importorskip('referencing')
from referencing.jsonschema import DRAFT7  # noqa: E402

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'schemas')
APP = 'https://app.example.org'
#: anonymous may read: the document and GET calls work without a login
ANONYMOUS = ['XML_RPC', 'TICKET_VIEW', 'WIKI_VIEW', 'MILESTONE_VIEW',
             'SEARCH_VIEW']


def load_schema(name):
    with open(os.path.join(SCHEMAS, name), encoding='utf-8') as f:
        return json.load(f)


META = load_schema('openrpc-meta-schema-1.14.9.json')
REGISTRY = referencing.Registry().with_resource(
    'https://meta.json-schema.tools',
    DRAFT7.create_resource(load_schema(
        'json-schema-tools-meta-schema-1.8.0.json')))


@pytest.fixture(scope='module')
def server(sqlite_serving):
    with sqlite_serving(
            'openrpc',
            [('rpc', 'cors_origins', APP + ', https://other.example')],
            [('anonymous', action) for action in ANONYMOUS]) as server:
        admin = server.client('xmlrpc', 'admin')
        server.ticket = admin.call('ticket.create', 'Described', 'text')
        admin.call('ticket.update', server.ticket, 'a comment', {})
        yield server


def validate(document):
    jsonschema.Draft7Validator(META, registry=REGISTRY).validate(document)
    text = json.dumps(document)
    for kind, name in re.findall(r'"#/components/(\w+)/(\w+)"', text):
        assert name in document['components'][kind], (kind, name)


def arrays_without_items(value):
    """Array schemas that say nothing of their items (client generators
    such as @open-rpc/generator fail on them)."""
    if isinstance(value, list):
        return [found for item in value
                for found in arrays_without_items(item)]
    if not isinstance(value, dict):
        return []
    found = [value] if value.get('type') == 'array' and \
        'items' not in value else []
    return found + arrays_without_items(list(value.values()))


def discover(server, user, path='/login/rpc'):
    return server.client('jsonrpc', user, path).call('rpc.discover')


@pytest.mark.parametrize('user,path', [(None, '/rpc'), ('viewer', None),
                                       ('user', None), ('admin', None)])
def test_document_is_valid_openrpc_of_the_callers_methods(server, user,
                                                           path):
    path = path or '/login/rpc'
    document = discover(server, user, path)
    validate(document)
    assert arrays_without_items(document) == []
    names = [method['name'] for method in document['methods']]
    assert names == server.client('jsonrpc', user, path).call(
        'system.listMethods')
    assert ('ticket.create' in names) == (user in ('user', 'admin'))
    assert ('ticket.delete' in names) == (user == 'admin')


def test_document_describes_methods(server):
    methods = {method['name']: method for method in
               discover(server, 'admin')['methods']}
    get = methods['ticket.get']
    assert get['params'] == [{'name': 'id', 'required': True,
                              'schema': {'type': 'integer'}}]
    assert get['result']['schema'] == {'$ref': '#/components/schemas/Ticket'}
    assert get['x-readonly'] is True
    assert get['x-permission'] == 'TICKET_VIEW, checked per ticket'
    assert {'$ref': '#/components/errors/NotFound'} in get['errors']
    create = methods['ticket.create']
    assert [(p['name'], p['required']) for p in create['params']] == [
        ('summary', True), ('description', True), ('attributes', False),
        ('notify', False), ('when', False)]
    assert create['params'][4]['schema'] == \
        {'$ref': '#/components/schemas/DateTime'}
    assert create['x-readonly'] is False
    assert methods['ticket.changeLog']['params'][1]['schema'] == {'oneOf': [
        {'$ref': '#/components/schemas/DateTime'}, {'type': 'integer'}]}
    assert {'$ref': '#/components/errors/Conflict'} in \
        methods['ticket.update']['errors']
    assert methods['wiki.putAttachment']['params'][1]['schema'] == \
        {'$ref': '#/components/schemas/Binary'}
    assert methods['ticket.get']['summary'].startswith('Return a ticket')


def test_third_party_methods_appear_from_their_signatures(server):
    methods = {method['name']: method for method in
               discover(server, 'admin')['methods']}
    add = methods['bare.add']
    assert [p['name'] for p in add['params']] == ['a', 'b']
    assert add['result']['schema'] == {'type': 'integer'}
    assert add['x-readonly'] is False  # it did not say it changes nothing
    assert methods['bare.greet']['x-permission'] == 'By resource'


def hinted_date(days):
    """Now plus `days`, as JSON-RPC carries a date."""
    when = datetime.now(timezone.utc) + timedelta(days=days)
    return {'__jsonclass__': ['datetime',
                              when.strftime('%Y-%m-%dT%H:%M:%S')]}


def raw_result(server, method, *params):
    """A JSON-RPC result as the wire carries it (class hints kept)."""
    status, headers, body = http_request(
        server.url, 'POST', '/login/rpc',
        json.dumps({'method': method, 'params': list(params)}).encode(),
        'admin', {'Content-Type': 'application/json'})
    return json.loads(body)['result']


def test_result_schemas_describe_real_results(server):
    document = discover(server, 'admin')
    admin = server.client('jsonrpc', 'admin')
    admin.call('ticket.putAttachment', server.ticket, 'a.txt', 'note',
               Binary(b'x'))
    admin.call('ticket.milestone.create', 'M1', {})
    calls = [('ticket.get', server.ticket), ('ticket.update', server.ticket,
                                             'more'),
             ('ticket.changeLog', server.ticket),
             ('ticket.getActions', server.ticket),
             ('ticket.getTicketFields',),
             ('ticket.listAttachments', server.ticket),
             ('ticket.milestone.get', 'M1'),
             ('ticket.component.get', 'component1'),
             ('ticket.version.get', '1.0'), ('wiki.getPageInfo', 'WikiStart'),
             ('wiki.listLinks', 'WikiStart'),
             ('search.performSearch', 'Described'),
             ('system.getAPIVersion',),
             ('timeline.getEvents', hinted_date(days=-2),
              hinted_date(days=1)),
             ('user.getAll',), ('ticket.milestone.getStats', 'M1'),
             ('report.getAll',), ('report.get', 1), ('report.execute', 1)]
    methods = {method['name']: method for method in document['methods']}
    for method, *params in calls:
        schema = dict(methods[method]['result']['schema'],
                      components=document['components'])
        jsonschema.Draft7Validator(schema).validate(
            raw_result(server, method, *params))


def test_document_over_get(server):
    status, headers, body = http_request(server.url, 'GET',
                                         '/rpc/openrpc.json', None, None, {})
    assert status == 200 and headers['Content-Type'].startswith(
        'application/json')
    validate(json.loads(body))


# -- GET ----------------------------------------------------------------

def get_call(server, query, user=None, path='/rpc', headers=None):
    status, response_headers, body = http_request(
        server.url, 'GET', path + '?' + urllib.parse.urlencode(query), None,
        user, headers or {})
    assert status == 200, body
    return response_headers, json.loads(body)


def test_read_only_method_over_get(server):
    headers, response = get_call(server, {'method': 'ticket.get',
                                          'params': '[%d]' % server.ticket,
                                          'id': '7'})
    assert response['id'] == 7 and response['error'] is None
    assert response['result'][3]['summary'] == 'Described'
    assert headers['Cache-Control'] == 'no-store'
    headers, response = get_call(server, {'method': 'system.getAPIVersion'},
                                 'user', '/login/rpc')
    assert response['result'][:2] == [1, 2] and response['id'] is None


def test_write_method_over_get_never_runs(server):
    summary = unique('ViaGet')
    headers, response = get_call(server, {
        'method': 'ticket.create', 'params': json.dumps([summary, '']),
        'id': 'x'}, 'admin', '/login/rpc')
    assert response['id'] == 'x' and response['error']['code'] == 403
    assert 'ticket.create changes data' in response['error']['message']
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []


def test_multicall_over_get_answers_reads_and_refuses_writes(server):
    summary = unique('NotViaGet')
    calls = [{'method': 'ticket.get', 'params': [server.ticket], 'id': 1},
             {'method': 'ticket.create', 'params': [summary, ''], 'id': 2},
             {'method': 'system.getAPIVersion', 'id': 3}]
    headers, response = get_call(server, {
        'method': 'system.multicall', 'params': json.dumps([calls]),
        'id': 'g'}, 'admin', '/login/rpc')
    first, second, third = response['result']
    assert first['result'][3]['summary'] == 'Described'
    assert second['error']['code'] == 403
    assert 'ticket.create changes data, so it cannot be called with HTTP ' \
           'GET' in second['error']['message']
    assert third['result'][:2] == [1, 2]
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []


def test_get_refuses_the_login_cookie(server):
    status, headers, body = http_request(server.url, 'GET', '/login', None,
                                         'user', {})
    cookie = re.search(r'trac_auth=[^;]+', headers['Set-Cookie']).group(0)
    headers, response = get_call(server, {'method': 'system.getAPIVersion',
                                          'id': 1},
                                 headers={'Cookie': cookie})
    assert response['error']['code'] == 403
    assert 'do not use the login cookie' in response['error']['message']


@pytest.mark.parametrize('query,code', [
    ({'method': 'ticket.get', 'params': '[1'}, -32602),
    ({'method': 'no.such'}, -32601),
    ({'method': 'ticket.get', 'params': '[999999]'}, 404)])
def test_bad_get_calls_are_protocol_errors(server, query, code):
    headers, response = get_call(server, query)
    assert response['error']['code'] == code


# -- CORS ---------------------------------------------------------------

def test_preflight_for_a_listed_origin(server):
    status, headers, body = http_request(server.url, 'OPTIONS', '/rpc',
                                         None, None, {
                                             'Origin': APP,
                                             'Access-Control-Request-Method':
                                             'POST',
                                             'Access-Control-Request-Headers':
                                             'content-type'})
    assert status == 204
    assert headers['Access-Control-Allow-Origin'] == APP
    assert 'POST' in headers['Access-Control-Allow-Methods']
    assert 'Content-Type' in headers['Access-Control-Allow-Headers']
    assert headers['Access-Control-Allow-Credentials'] == 'true'


def test_other_origins_get_no_cors(server):
    status, headers, body = http_request(server.url, 'OPTIONS', '/rpc',
                                         None, None,
                                         {'Origin': 'https://evil.example',
                                          'Access-Control-Request-Method':
                                          'POST'})
    assert status == 403 and 'Access-Control-Allow-Origin' not in headers
    status, headers, body = server.post(
        b'{"method": "system.getAPIVersion"}', 'application/json', None,
        '/rpc', {'Origin': 'https://evil.example'})
    assert status == 200 and 'Access-Control-Allow-Origin' not in headers


def test_listed_origin_gets_cors_on_calls(server):
    status, headers, body = server.post(
        b'{"method": "system.getAPIVersion"}', 'application/json', None,
        '/rpc', {'Origin': APP})
    assert headers['Access-Control-Allow-Origin'] == APP
    assert result_of(json.loads(body))[:2] == [1, 2]


# -- Read-only shown --------------------------------------------------------

def test_read_only_shown_in_help_and_listing(server):
    client = server.client('xmlrpc', 'user')
    assert client.call('system.methodHelp', 'ticket.get').endswith(
        'Read-only: changes nothing; also callable with HTTP GET.')
    assert 'Read-only' not in client.call('system.methodHelp',
                                          'ticket.create')
    page = server.get('/login/rpc', 'user')[2].decode('utf-8')
    method = page[page.index('id="ticket.get"'):]
    assert 'Read-only: changes nothing' in method[:method.index('</div>\n')
                                                  + 400]
