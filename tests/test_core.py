"""The core against a real tracd: routing, protocols, errors, types,
multicall, JSON-RPC 2.0, introspection, the HTML listing and plugins."""

import html
import http.client
import json
import os
import re
import socket
import sys
import xmlrpc.client
from datetime import datetime

import pytest

from clients import PROTOCOLS, Binary, Fault, auth_header, fault_of, \
    http_request

XML_CALL = ("<?xml version='1.0'?><methodCall><methodName>%s</methodName>"
            "<params>%s</params></methodCall>")


def xml_call(method, *params):
    return XML_CALL % (method, ''.join('<param><value>%s</value></param>'
                                       % param for param in params))


def parse_xml(body):
    """The result of an XML-RPC response, or Fault."""
    try:
        return xmlrpc.client.loads(body, use_builtin_types=True)[0][0]
    except xmlrpc.client.Fault as e:
        raise Fault(e.faultCode, e.faultString)


def assert_serving(server):
    """The server answers a normal call in both protocols."""
    for protocol in PROTOCOLS:
        assert server.client(protocol).call('system.getAPIVersion')[:2] \
            == [1, 2]


# -- Routing --------------------------------------------------------------

@pytest.mark.parametrize('path,content_type', [
    ('/rpc', 'text/xml'), ('/rpc', 'application/xml'),
    ('/login/rpc', 'text/xml'), ('/login/rpc', 'application/xml'),
    ('/xmlrpc', 'text/xml'), ('/login/xmlrpc', 'application/xml'),
    ('/login/xmlrpc', 'text/xml; charset=utf-8')])
def test_xmlrpc_paths_and_content_types(server, path, content_type):
    status, headers, body = server.post(
        xml_call('bare.add', '<int>2</int>', '<int>3</int>'),
        content_type, 'admin', path)
    assert status == 200
    assert headers['Content-Type'].startswith(content_type.split(';')[0])
    if path.startswith('/login/'):
        assert parse_xml(body) == 5
    else:  # tracd authenticates /login/* only: anonymous lacks XML_RPC
        with pytest.raises(Fault) as raised:
            parse_xml(body)
        assert raised.value.code == 403


@pytest.mark.parametrize('path,content_type', [
    ('/rpc', 'application/json'), ('/login/rpc', 'application/json'),
    ('/jsonrpc', 'application/json'),
    ('/login/jsonrpc', 'application/json; charset=utf-8')])
def test_jsonrpc_paths_and_content_types(server, path, content_type):
    status, headers, body = server.post(
        b'{"method": "bare.add", "params": [2, 3], "id": "x"}',
        content_type, 'admin', path)
    assert status == 200
    assert headers['Content-Type'].startswith('application/json')
    response = json.loads(body)
    if path.startswith('/login/'):
        assert response == {'id': 'x', 'result': 5, 'error': None}
    else:  # tracd authenticates /login/* only: anonymous lacks XML_RPC
        assert response['id'] == 'x' and response['error']['code'] == 403


@pytest.mark.parametrize('path,content_type', [
    ('/rpc', 'text/plain'), ('/login/rpc', 'application/octet-stream'),
    ('/xmlrpc', 'application/json'), ('/login/jsonrpc', 'text/xml'),
    ('/login/jsonrpc', 'application/x-lines')])
def test_unknown_content_type_is_415(server, path, content_type):
    status, headers, body = server.post(b'{}', content_type, 'user', path)
    assert status == 415
    assert headers['Content-Type'].startswith('text/plain')
    assert body.decode() == ("No protocol matching Content-Type '%s' at path "
                             "'%s'." % (content_type, path))
    assert_serving(server)


def test_form_post_is_never_a_call(server):
    status, headers, body = server.post(
        b'method=system.getAPIVersion', 'application/x-www-form-urlencoded',
        'user', '/login/rpc')
    assert status == 400  # Trac's CSRF check: no form token
    assert b'[1, 2' not in body


def test_login_path_needs_credentials(server):
    status, headers, body = server.post(xml_call('system.getAPIVersion'),
                                        'text/xml', None, '/login/rpc')
    assert status == 401


def test_login_path_as_anonymous_is_refused_in_protocol(noauth_server,
                                                       protocol):
    with pytest.raises(Fault) as raised:
        noauth_server.client(protocol, None, '/login/rpc').call(
            'system.getAPIVersion')
    assert raised.value.code == 403
    assert 'Authentication information not available' in raised.value.message


def test_anonymous_without_xml_rpc_is_403(server, protocol):
    with pytest.raises(Fault) as raised:
        server.client(protocol, None, '/rpc').call('system.getAPIVersion')
    assert raised.value.code == 403
    assert 'XML_RPC' in raised.value.message


def test_user_without_xml_rpc_is_403(server, protocol):
    with pytest.raises(Fault) as raised:
        server.client(protocol, 'norpc').call('system.listMethods')
    assert raised.value.code == 403


def test_json_error_echoes_id_on_permission_denied(server):
    status, headers, body = server.post(
        b'{"method": "system.getAPIVersion", "id": 99}', 'application/json',
        'norpc')
    response = json.loads(body)
    assert response['id'] == 99 and response['error']['code'] == 403


# -- Errors ---------------------------------------------------------------


def test_unknown_method(server, protocol):
    with pytest.raises(Fault) as raised:
        server.client(protocol).call('ticket.nosuch')
    assert raised.value.code == -32601
    assert raised.value.message == 'RPC method "ticket.nosuch" not found'


def test_json_unknown_method_response_exactly(server):
    status, headers, body = server.post(
        b'{"method": "ticket.nosuch", "id": 1}', 'application/json', 'user')
    assert json.loads(body) == {
        'id': 1, 'result': None,
        'error': {'name': 'JSONRPCError', 'code': -32601,
                  'message': 'RPC method "ticket.nosuch" not found'}}


def default_code(protocol):
    """The fault code of a method's error that carries no code."""
    return 1 if protocol == 'xmlrpc' else -32603


@pytest.mark.parametrize('kind,code,text', [
    ('trac', None, 'Something the user can fix'),
    ('coded', 42, 'Coded failure'),
    ('notfound', 404, 'No such thing'),
    ('value', None, 'bad value'),
    ('key', None, 'key')])
def test_method_errors(server, protocol, kind, code, text):
    with pytest.raises(Fault) as raised:
        server.client(protocol).call('testing.fail', kind)
    assert raised.value.code == (code or default_code(protocol))
    assert text in raised.value.message
    assert 'Traceback' not in raised.value.message


def test_os_error_hides_path(server, protocol):
    with pytest.raises(Fault) as raised:
        server.client(protocol).call('testing.fail', 'os')
    assert '/nonexistent' not in raised.value.message
    assert 'FileNotFoundError' in raised.value.message


def test_method_permission(server, protocol):
    with pytest.raises(Fault) as raised:
        server.client(protocol, 'user').call('testing.adminOnly')
    assert raised.value.code == 403
    assert server.client(protocol, 'admin').call('testing.adminOnly') \
        == 'secret'


@pytest.mark.parametrize('args,problem', [
    ((), '0 argument'), (('a', 1, 2), '3 argument')])
def test_invalid_params(server, protocol, args, problem):
    with pytest.raises(Fault) as raised:
        server.client(protocol).call('testing.optional', *args)
    assert raised.value.code == -32602
    assert problem in raised.value.message
    assert 'string testing.optional(string text)' in raised.value.message
    assert 'string testing.optional(string text, int count)' \
        in raised.value.message


def test_other_plugins_signatures_document_types_without_gating(
        server, protocol):
    """As in TracXMLRPC: another plugin's method gets what was sent,
    whatever its signature declares (only the count is checked)."""
    assert server.client(protocol).call('testing.reprOf', 5) == '5'


@pytest.mark.parametrize('method,args,problem', [
    ('ticket.get', [{'not': 'an id'}], 'argument "id" must be int, not '
                                       'struct'),
    ('ticket.get', ['12x'], 'argument "id" must be int, not string'),
    ('wiki.getPage', ['WikiStart', 'two'],
     'argument "version" must be int, not string'),
    ('ticket.changeLog', [1, 'yesterday'], 'argument "when" must be')])
def test_builtin_methods_refuse_what_cannot_be_converted(
        server, protocol, method, args, problem):
    with pytest.raises(Fault) as raised:
        server.client(protocol, 'admin').call(method, *args)
    assert raised.value.code == -32602
    assert problem in raised.value.message


def test_optional_argument(server, protocol):
    client = server.client(protocol)
    assert client.call('testing.optional', 'ab') == 'ab'
    assert client.call('testing.optional', 'ab', 3) == 'ababab'


# DOCTYPEs, entities, nesting and non-finite numbers: test_hostile.py
BAD_XML = [
    b'garbage', b'<methodCall><methodName>x</methodName>',
    b'\xff\xfe<methodCall>',
    b'<methodCall><methodName>testing.dateToText</methodName><params>'
    b'<param><value><int>abc</int></value></param></params></methodCall>',
]


@pytest.mark.parametrize('body', BAD_XML)
def test_xml_parse_errors(server, body):
    status, headers, response = server.post(body, 'text/xml', 'user')
    assert status == 200
    with pytest.raises(Fault) as raised:
        parse_xml(response)
    assert raised.value.code == -32700
    assert b'Traceback' not in response
    assert_serving(server)


def test_xml_missing_method_name(server):
    status, headers, body = server.post(
        b'<?xml version="1.0"?><methodCall><params/></methodCall>',
        'text/xml', 'user')
    with pytest.raises(Fault) as raised:
        parse_xml(body)
    assert raised.value.code == -32600


BAD_JSON = [b'{bad', b'', b'\xff\xfe{}']


@pytest.mark.parametrize('body', BAD_JSON)
def test_json_parse_errors(server, body):
    status, headers, response = server.post(body, 'application/json', 'user')
    assert status == 200
    response = json.loads(response)
    assert response['error']['code'] == -32700
    assert response['result'] is None and response['id'] is None
    assert 'Traceback' not in response['error']['message']
    assert_serving(server)


@pytest.mark.parametrize('body,request_id', [
    (b'42', None), (b'"text"', None), (b'null', None),
    (b'{"params": [], "id": 5}', 5), (b'{"method": 7, "id": 6}', 6)])
def test_json_invalid_request(server, body, request_id):
    status, headers, response = server.post(body, 'application/json', 'user')
    response = json.loads(response)
    assert response['error']['code'] == -32600
    assert response['id'] == request_id


def test_missing_content_length_is_411(http_server):
    port = int(http_server.url.rsplit(':', 1)[1])
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        sock.sendall(b'POST /rpc HTTP/1.0\r\nContent-Type: text/xml\r\n\r\n')
        answer = sock.recv(4096)
    assert b' 411 ' in answer.split(b'\r\n')[0]


def _data_segments_received(sock):
    """Linux's count of TCP segments with data that `sock` received
    (`tcpi_data_segs_in` of `struct tcp_info`)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
    return int.from_bytes(info[152:156], sys.byteorder)


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='counting TCP segments needs Linux TCP_INFO')
def test_tracd_sends_a_small_response_in_one_segment(http_server):
    """tracrpc-tracd sends headers and body together: stock tracd's two
    sends cost a second segment (and kernel time) per call."""
    port = int(http_server.url.rsplit(':', 1)[1])
    body = xml_call('system.getAPIVersion').encode()
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        for _ in range(3):
            before = _data_segments_received(sock)
            sock.sendall(_raw_post_head(body) + body)
            answer = _received_until(sock, b'</methodResponse>\n')
            assert answer.startswith(b'HTTP/1.1 200 ')
            assert _data_segments_received(sock) - before == 1


def test_tracd_answers_expect_100_continue_before_the_body(http_server):
    """A client that asks (curl does for large bodies) waits for
    `100 Continue` before sending the body: it must not sit in the
    launcher's send buffer."""
    port = int(http_server.url.rsplit(':', 1)[1])
    body = xml_call('system.getAPIVersion').encode()
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(_raw_post_head(body, 'Expect: 100-continue\r\n'))
        interim = _received_until(sock, b'\r\n\r\n')
        assert interim.startswith(b'HTTP/1.1 100 ')
        sock.sendall(body)
        answer = _received_until(sock, b'</methodResponse>\n')
    assert answer.startswith(b'HTTP/1.1 200 ')


def test_tracd_sends_a_finished_response_before_the_request_ends(
        http_server):
    """Trac works on after a response (a garbage collection, a full one
    with `[rpc] gc_freeze` off): a complete response goes out at once,
    not when the request is over."""
    port = int(http_server.url.rsplit(':', 1)[1])
    with socket.create_server(('127.0.0.1', 0)) as listener:
        listener.settimeout(10)
        body = xml_call('testing.answerThenWait', '<int>%d</int>'
                        % listener.getsockname()[1]).encode()
        with socket.create_connection(('127.0.0.1', port),
                                      timeout=10) as sock:
            sock.sendall(_raw_post_head(body) + body)
            waiting, _ = listener.accept()  # the request now waits on us
            with waiting:
                answer = _received_until(sock, b'</methodResponse>\n')
    assert answer.startswith(b'HTTP/1.1 200 ')
    assert parse_xml(answer.split(b'\r\n\r\n', 1)[1]) == 'sent'


def _raw_post_head(body, extra_headers=''):
    """The head of an XML-RPC POST of `body` by "user", in bytes."""
    return ('POST /login/rpc HTTP/1.1\r\nHost: test\r\n'
            'Authorization: %s\r\nContent-Type: text/xml\r\n%s'
            'Content-Length: %d\r\n\r\n'
            % (auth_header('user')['Authorization'], extra_headers,
               len(body))).encode()


def _received_until(sock, end):
    """What `sock` receives up to `end`; the socket's timeout, or the
    server closing the connection first, fails the test."""
    received = b''
    while not received.endswith(end):
        chunk = sock.recv(1 if end == b'\r\n\r\n' else 65536)
        assert chunk, 'connection closed after %r' % received[-200:]
        received += chunk
    return received


def test_tracd_keeps_the_connection_after_a_large_chunked_page(http_server):
    """A response larger than the launcher's send buffer (the HTML
    listing, chunked) leaves in pieces and is complete; the next
    request on the same connection is answered."""
    port = int(http_server.url.rsplit(':', 1)[1])
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        connection.request('GET', '/login/rpc', headers=auth_header('user'))
        page = connection.getresponse()
        listing = page.read()
        assert page.status == 200
        assert page.getheader('Transfer-Encoding') == 'chunked'
        assert len(listing) > 64 * 1024 and listing.rstrip().endswith(
            b'</html>')
        connection.request('POST', '/login/rpc',
                           xml_call('system.getAPIVersion'),
                           dict(auth_header('user'),
                                **{'Content-Type': 'text/xml'}))
        answer = connection.getresponse()
        assert answer.status == 200
        assert isinstance(parse_xml(answer.read()), list)
    finally:
        connection.close()

# -- Types ----------------------------------------------------------------


def test_sample_types_xmlrpc(server):
    sample = server.client('xmlrpc').call('testing.sample')
    assert sample == {'int': 42, 'bool': True, 'str': 'text \u00e9',
                      'float': 1.5, 'datetime': datetime(2009, 6, 19, 16, 46),
                      'binary': b'\x00\x01\xff', 'list': [1, 'a'],
                      'dict': {'a': 1}, 'none': '', 'tuple': [1, 2]}


def test_sample_types_jsonrpc(server):
    status, headers, body = server.post(
        b'{"method": "testing.sample"}', 'application/json', 'user')
    result = json.loads(body)['result']
    assert result['datetime'] == {
        '__jsonclass__': ['datetime', '2009-06-19T16:46:00.123456']}
    assert result['binary'] == {'__jsonclass__': ['binary', 'AAH/']}
    assert result['none'] is None and result['tuple'] == [1, 2]
    assert (result['int'], result['bool'], result['float']) == (42, True, 1.5)


def test_types_in(server, protocol):
    values = {'i': 1, 'b': True, 's': 'x', 'f': 1.5,
              'd': datetime(2020, 1, 2, 3, 4, 5), 'bin': Binary(b'ab'),
              'l': [1], 'm': {'k': 'v'}}
    assert server.client(protocol).call('testing.typesOf', values) == {
        'i': 'int', 'b': 'bool', 's': 'str', 'f': 'float', 'd': 'datetime',
        'bin': 'Binary', 'l': 'list', 'm': 'dict'}


def test_binary_in(server, protocol):
    data = bytes(range(256)) * 10
    assert server.client(protocol).call('testing.binaryLength',
                                        Binary(data)) == len(data)


@pytest.mark.parametrize('text', ['20090619T16:46:00', '2009-06-19T16:46:00',
                                  '20090619T16:46:00Z',
                                  '2009-06-19T16:46:00Z'])
def test_xml_date_forms(server, text):
    body = xml_call('testing.dateToText',
                    '<dateTime.iso8601>%s</dateTime.iso8601>' % text)
    status, headers, response = server.post(body, 'text/xml', 'user')
    assert parse_xml(response) == '2009-06-19T16:46:00+00:00'


def test_xml_bad_date(server):
    body = xml_call('testing.dateToText',
                    '<dateTime.iso8601>yesterday</dateTime.iso8601>')
    status, headers, response = server.post(body, 'text/xml', 'user')
    assert status == 200
    with pytest.raises(Fault) as raised:
        parse_xml(response)
    assert raised.value.code == -32602


@pytest.mark.parametrize('text,expected', [
    ('2009-06-19T16:46:00', '2009-06-19T16:46:00+00:00'),
    ('2009-06-19T16:46:00.5', '2009-06-19T16:46:00.500000+00:00'),
    ('2009-06-19T16:46:00.123456', '2009-06-19T16:46:00.123456+00:00'),
    ('2009-06-19T16:46:00Z', '2009-06-19T16:46:00+00:00')])
def test_json_date_forms(server, text, expected):
    client = server.client('jsonrpc')
    response = client.request({'method': 'testing.dateToText', 'params': [
        {'__jsonclass__': ['datetime', text]}]})
    assert response['result'] == expected


@pytest.mark.parametrize('hint', [['datetime', 'yesterday'],
                                  ['binary', '***'], ['nosuch', 'x'], 'x'])
def test_json_bad_hints(server, hint):
    response = server.client('jsonrpc').request({
        'method': 'testing.echo', 'params': [[{'__jsonclass__': hint}]],
        'id': 3})
    assert response['error']['code'] == -32602 and response['id'] == 3


def test_xml_newlines_normalised(server):
    assert server.client('xmlrpc').call('testing.reprOf', 'a\nb\r\nc') \
        == repr('a\r\nb\r\nc')


def test_json_strings_kept(server):
    assert server.client('jsonrpc').call('testing.reprOf', 'a\nb') \
        == repr('a\nb')


def test_xml_illegal_characters_replaced(server):
    assert server.client('xmlrpc').call('testing.illegalChars') \
        == 'a\ufffdb\ufffdc\ufffdd'


def test_json_lone_surrogate_replaced(server):
    status, headers, body = server.post(
        b'{"method": "testing.echo", "params": [["a\\ud800b"]]}',
        'application/json', 'user')
    assert json.loads(body)['result'] == ['a\ufffdb']


def test_none_result(server):
    assert server.client('xmlrpc').call('testing.nothing') == ''
    assert server.client('jsonrpc').call('testing.nothing') is None


def test_generator_result(server, protocol):
    assert server.client(protocol).call('testing.generate', 3) == [0, 1, 2]


# -- Multicall ------------------------------------------------------------


def test_xmlrpc_multicall_with_stdlib_client(server):
    proxy = server.client('xmlrpc').proxy
    multicall = xmlrpc.client.MultiCall(proxy)
    multicall.bare.add(1, 2)
    multicall.system.getAPIVersion()
    multicall.bare.sayHello()
    assert list(multicall())[0::2] == [3, 'hello']


def test_xmlrpc_multicall_faults_in_slots(server):
    result = server.client('xmlrpc').multicall([
        ('bare.add', [1, 2]), ('nosuch.method', []),
        ('testing.adminOnly', []), ('testing.fail', ['notfound']),
        ('bare.add', ['x']), ('system.multicall', [[]]),
        ('testing.fail', ['trac'])])
    assert result[0] == [3]
    codes = [slot['faultCode'] for slot in result[1:]]
    assert codes == [-32601, 403, 404, -32602, -32600, 1]
    assert all(set(slot) == {'faultCode', 'faultString'}
               for slot in result[1:])


def test_xmlrpc_multicall_fault_raised_by_stdlib(server):
    multicall = xmlrpc.client.MultiCall(server.client('xmlrpc').proxy)
    multicall.nosuch()
    with pytest.raises(xmlrpc.client.Fault) as raised:
        list(multicall())
    assert raised.value.faultCode == -32601


def test_jsonrpc_multicall(server):
    response = server.client('jsonrpc').request({
        'method': 'system.multicall', 'id': 'outer', 'params': [
            {'method': 'bare.add', 'params': [1, 2], 'id': 0},
            {'method': 'bare.sayHello', 'id': False},
            {'method': 'nosuch', 'params': [], 'id': 'b'},
            {'method': 'testing.adminOnly', 'id': 'c'}]})
    assert response['id'] == 'outer' and response['error'] is None
    assert response['result'][:2] == [
        {'id': 0, 'result': 3, 'error': None},
        {'id': False, 'result': 'hello', 'error': None}]
    assert [(r['id'], r['error']['code']) for r in response['result'][2:]] \
        == [('b', -32601), ('c', 403)]


def test_jsonrpc_multicall_call_without_id_answers_with_the_outer_id(
        server):
    response = server.client('jsonrpc').request({
        'method': 'system.multicall', 'id': 'outer', 'params': [
            {'method': 'bare.add', 'params': [1, 2]},
            {'method': 'nosuch'}]})
    assert [answer['id'] for answer in response['result']] == \
        ['outer', 'outer']
    assert response['result'][0]['result'] == 3


def test_multicall_length_capped(server, protocol):
    calls = [('system.getAPIVersion', [])] * 1001
    with pytest.raises(Fault) as raised:
        server.client(protocol).multicall(calls)
    assert raised.value.code == -32602
    assert '1000' in raised.value.message


def test_multicall_checks_permission_per_call(server, protocol):
    calls = [('testing.adminOnly', []), ('system.getAPIVersion', []),
             ('testing.adminOnly', [])]
    user = server.client(protocol, 'user').multicall_outcomes(calls)
    assert [getattr(outcome, 'code', None) for outcome in user] == \
        [403, None, 403]
    assert server.client(protocol, 'admin').multicall_outcomes(calls)[::2] \
        == ['secret', 'secret']


def test_multicall_runs_consecutive_calls_as_one_batch(server, protocol):
    client = server.client(protocol)
    outcomes = client.multicall_outcomes([
        ('testing.double', [1]), ('testing.double', [2]),
        ('bare.add', [1, 2]),
        ('testing.double', [3]), ('nosuch.method', []),
        ('testing.double', [-1]), ('testing.double', []),
        ('testing.double', [4])])
    assert outcomes[:4] == [[2, 'batch of 2'], [4, 'batch of 2'], 3,
                            [6, 'batch of 3']]
    assert [outcome.code for outcome in outcomes[4:7]] == \
        [-32601, default_code(protocol), -32602]
    assert 'Negative number' in outcomes[5].message
    assert outcomes[7] == [8, 'batch of 3']
    assert client.call('testing.double', 5) == [10, 'alone']


def test_multicall_batches_interleaved_reads(server, protocol):
    outcomes = server.client(protocol).multicall_outcomes([
        ('testing.double', [1]), ('testing.triple', [1]),
        ('testing.double', [2]), ('testing.triple', [2]),
        ('testing.triple', [3])])
    assert outcomes == [[2, 'batch of 2'], [3, 'batch of 3'],
                        [4, 'batch of 2'], [6, 'batch of 3'],
                        [9, 'batch of 3']]


@pytest.mark.parametrize('numbers,message', [
    ([1, 13, 2], 'Unlucky batch'), ([1, 14, 2], 'answered 2 of 3 calls')])
def test_multicall_failing_batch_fails_its_calls(server, protocol, numbers,
                                                 message):
    outcomes = server.client(protocol).multicall_outcomes(
        [('bare.add', [1, 1])] +
        [('testing.double', [number]) for number in numbers] +
        [('bare.add', [2, 2])])
    assert outcomes[0] == 2 and outcomes[-1] == 4
    assert all(isinstance(outcome, Fault) and message in outcome.message
               for outcome in outcomes[1:-1])


# -- JSON-RPC 2.0 ---------------------------------------------------------


def test_jsonrpc2_request(server):
    response = server.client('jsonrpc').request(
        {'jsonrpc': '2.0', 'method': 'bare.add', 'params': [1, 2], 'id': 1})
    assert response == {'jsonrpc': '2.0', 'id': 1, 'result': 3}


def test_jsonrpc2_error_shape(server):
    response = server.client('jsonrpc').request(
        {'jsonrpc': '2.0', 'method': 'nosuch', 'id': 1})
    assert set(response) == {'jsonrpc', 'id', 'error'}
    assert response['error']['code'] == -32601


def test_jsonrpc2_named_params(server):
    client = server.client('jsonrpc')
    response = client.request({'jsonrpc': '2.0', 'method': 'testing.optional',
                               'params': {'text': 'x', 'count': 2}, 'id': 1})
    assert response['result'] == 'xx'
    response = client.request({'method': 'testing.optional',
                               'params': {'text': 'y'}, 'id': 2})
    assert response['result'] == 'y'


@pytest.mark.parametrize('params,problem', [
    ({'txt': 'x'}, 'unknown argument(s) txt'),
    ({'count': 2}, 'missing argument(s) text')])
def test_jsonrpc2_invalid_named_params(server, params, problem):
    response = server.client('jsonrpc').request(
        {'jsonrpc': '2.0', 'method': 'testing.optional', 'params': params,
         'id': 1})
    assert response['error']['code'] == -32602
    assert problem in response['error']['message']
    assert 'testing.optional(string text, int count)' \
        in response['error']['message']


def test_jsonrpc2_notification(server):
    client = server.client('jsonrpc')
    assert client.request({'jsonrpc': '2.0', 'method': 'bare.add',
                           'params': [1, 2]}) is None


def test_jsonrpc2_batch(server):
    response = server.client('jsonrpc').request([
        {'jsonrpc': '2.0', 'method': 'bare.add', 'params': [1, 2], 'id': 1},
        {'jsonrpc': '2.0', 'method': 'bare.add', 'params': [5, 5]},
        {'jsonrpc': '2.0', 'method': 'nosuch', 'id': 2},
        {'foo': 'bar'}, 1,
        {'method': 'bare.sayHello', 'id': 3}])
    assert response[0] == {'jsonrpc': '2.0', 'id': 1, 'result': 3}
    assert response[1]['id'] == 2 and response[1]['error']['code'] == -32601
    assert [r['error']['code'] for r in response[2:4]] == [-32600, -32600]
    assert response[4] == {'id': 3, 'result': 'hello', 'error': None}
    assert len(response) == 5


def test_jsonrpc2_batch_of_notifications(server):
    assert server.client('jsonrpc').request([
        {'jsonrpc': '2.0', 'method': 'bare.add', 'params': [1, 2]}]) is None


def test_jsonrpc2_empty_batch(server):
    response = server.client('jsonrpc').request([])
    assert response['error']['code'] == -32600


def test_jsonrpc2_invalid_request_without_id_is_answered(server):
    response = server.client('jsonrpc').request(
        {'jsonrpc': '2.0', 'method': 1, 'params': 'bar'})
    assert response == {'jsonrpc': '2.0', 'id': None, 'error': {
        'code': -32600, 'message': 'Invalid request: no method name'}}


def test_null_params_mean_none(server):
    response = server.client('jsonrpc').request(
        {'method': 'system.getAPIVersion', 'params': None, 'id': 1})
    assert response['result'][:2] == [1, 2]


# -- system.* -------------------------------------------------------------


def test_list_methods_filters_by_permission(server, protocol):
    user_methods = server.client(protocol, 'user').call('system.listMethods')
    admin_methods = server.client(protocol, 'admin').call(
        'system.listMethods')
    for name in ('system.multicall', 'system.listMethods',
                 'system.methodHelp', 'system.methodSignature',
                 'system.getAPIVersion', 'testing.echo', 'bare.add',
                 'bare.sayHello'):
        assert name in user_methods
    assert 'testing.adminOnly' not in user_methods
    assert 'testing.adminOnly' in admin_methods
    assert user_methods == sorted(user_methods)


def test_method_help(server, protocol):
    text = server.client(protocol).call('system.methodHelp',
                                        'testing.optional')
    lines = text.splitlines()
    assert lines[:3] == ['string testing.optional(string text)',
                         'string testing.optional(string text, int count)',
                         '']
    assert 'repeated' in lines[3]


def test_method_signature(server, protocol):
    assert server.client(protocol).call(
        'system.methodSignature', 'testing.optional') \
        == ['string,string', 'string,string,int']
    with pytest.raises(Fault) as raised:
        server.client(protocol).call('system.methodSignature', 'nosuch.x')
    assert raised.value.code == -32601


def test_api_version(server, protocol):
    version = server.client(protocol).call('system.getAPIVersion')
    assert version[:2] == [1, 2] and isinstance(version[2], int)


# -- The HTML listing -----------------------------------------------------


def test_listing(server):
    status, headers, body = server.get('/login/rpc', 'user',
                                       {'Accept': 'text/html'})
    assert status == 200
    page = body.decode('utf-8')
    assert 'API version' in page
    for text in ('XML-RPC', 'JSON-RPC', 'Lines', server.url + '/login/rpc',
                 server.url + '/xmlrpc', 'testing.optional',
                 'string testing.optional(string text, int count)',
                 'Return <code>text</code> repeated', 'bare.sayHello',
                 'href="#ns-testing"', 'Permission: XML_RPC'):
        assert text in page, text
    assert 'testing.adminOnly' not in page


def test_listing_for_admin_shows_admin_methods(server):
    status, headers, body = server.get('/login/rpc', 'admin')
    assert 'testing.adminOnly' in body.decode('utf-8')
    assert 'Permission: TRAC_ADMIN' in body.decode('utf-8')


def test_listing_shows_per_resource_permissions(server):
    page = server.get('/login/rpc', 'admin')[2].decode('utf-8')
    assert 'Permission: TICKET_VIEW, checked per ticket' in page
    assert 'Permission: TICKET_APPEND or TICKET_CHGPROP, checked per ' \
           'ticket' in page
    assert 'Permission: WIKI_CREATE or WIKI_MODIFY, checked per wiki ' \
           'page' in page
    assert 'Permission: By resource' in page  # bare.*: undeclared


def test_listing_renders_inline_code_of_every_docstring(server):
    """Every `code` fragment of every method's help appears verbatim in
    the page (wiki markup must not eat underscores or quotes)."""
    page = server.get('/login/rpc', 'admin')[2].decode('utf-8')
    client = server.client('jsonrpc', 'admin')
    for method in client.call('system.listMethods'):
        for fragment in re.findall(r'`([^`]+)`',
                                   client.call('system.methodHelp', method)):
            assert '<code>%s</code>' % html.escape(fragment, False) in page, \
                (method, fragment)


def test_openrpc_document_needs_xml_rpc(server):
    assert server.get('/rpc/openrpc.json')[0] == 403
    assert server.get('/login/rpc/openrpc.json', 'norpc')[0] == 403
    assert fault_of(server.client('jsonrpc', 'norpc'),
                    'rpc.discover').code == 403


def test_listing_needs_xml_rpc(server):
    status, headers, body = server.get('/rpc', None, {'Accept': 'text/html'})
    assert status == 403
    assert 'you are not logged in' in body.decode('utf-8')
    assert server.url + '/login/rpc with HTTP Basic' in \
        body.decode('utf-8')
    status, headers, body = server.get('/login/rpc', 'norpc')
    assert status == 403
    assert 'the account &#34;norpc&#34; does not have' in \
        body.decode('utf-8').replace('&quot;', '&#34;')


@pytest.mark.parametrize('path,endpoint', [
    ('/login/rpc', '/login/rpc'), ('/login/jsonrpc', '/login/jsonrpc'),
    ('/login/xmlrpc', '/login/rpc')])
def test_the_console_calls_where_the_page_came_from(server, path, endpoint):
    status, headers, body = server.get(path, 'user')
    assert 'data-rpc-url="%s"' % endpoint in body.decode('utf-8')


def test_a_site_under_a_path_prefix_calls_under_it(server):
    from inprocess import InProcessApp
    env_path = server.env_path
    mounted = InProcessApp(env_path, os.path.join(
        os.path.dirname(env_path), 'htpasswd'), server.url, '/trac')
    status, headers, body = mounted.request('GET', '/login/rpc', None,
                                            auth_header('user'))
    assert status == 200
    assert 'data-rpc-url="/trac/login/rpc"' in body.decode('utf-8')
    status, headers, body = mounted.request(
        'POST', '/login/rpc', b'{"method": "system.getAPIVersion", "id": 1}',
        dict(auth_header('user'), **{'Content-Type': 'application/json'}))
    assert json.loads(body)['result'][:2] == [1, 2]


def test_metanav_api_link(server):
    page = server.get('/login/wiki', 'user')[2].decode('utf-8')
    assert re.search(r'<a href="/rpc">API</a>', page)
    page = server.get('/login/wiki', 'norpc')[2].decode('utf-8')
    assert not re.search(r'<a href="/rpc">API</a>', page)


# -- Plugins --------------------------------------------------------------


def test_protocol_failing_in_its_error_handler_gets_plain_500(server):
    status, headers, body = server.post(b'anything', 'application/x-failing',
                                        'user')
    assert status == 500
    assert headers['Content-Type'].startswith('text/plain')
    assert body == b'Internal error: the Failing protocol could not ' \
                   b'encode the error response.'
    assert_serving(server)


def test_plugin_protocol_routed_by_content_type(server):
    for path in ('/login/rpc', '/login/linesrpc'):
        status, headers, body = server.post(b'bare.add\n2\n3',
                                            'application/x-lines', 'user',
                                            path)
        assert (status, body) == (200, b'OK 5')
    status, headers, body = server.post(b'nosuch', 'application/x-lines',
                                        'user')
    assert body == b'ERR -32601'


def test_get_of_a_plugin_protocols_content_type_goes_to_it(server):
    """As in TracXMLRPC; browsers (no Content-Type) still get the page,
    and GET calls are read-only."""
    status, headers, body = http_request(
        server.url, 'GET', '/login/rpc', b'system.getAPIVersion', 'user',
        {'Content-Type': 'application/x-lines'})
    assert (status, body[:8]) == (200, b'OK [1, 2')
    status, headers, body = http_request(
        server.url, 'GET', '/login/rpc', b'ticket.delete\n1', 'admin',
        {'Content-Type': 'application/x-lines'})
    assert body == b'ERR 403'
    status, headers, body = server.get('/login/rpc', 'user')
    assert status == 200 and b'<h3>bare.add</h3>' in body


def test_plugin_provider_callable_in_both_protocols(server, protocol):
    client = server.client(protocol)
    assert client.call('bare.add', 40, 2) == 42
    assert client.call('bare.sayHello') == 'hello'
    assert client.call('testing.whoami') == 'user'


def test_jsonrpc_undecodable_call_fails_alone(server):
    bad = {'__jsonclass__': ['datetime', 'yesterday']}
    response = server.client('jsonrpc').request([
        {'jsonrpc': '2.0', 'method': 'testing.echo', 'params': [[bad]],
         'id': 'bad'},
        {'jsonrpc': '2.0', 'method': 'bare.add', 'params': [1, 2],
         'id': 'good'}])
    assert response[0]['id'] == 'bad'
    assert response[0]['error']['code'] == -32602
    assert response[1] == {'jsonrpc': '2.0', 'id': 'good', 'result': 3}
    multicall = server.client('jsonrpc').request({
        'method': 'system.multicall', 'id': 1, 'params': [
            {'method': 'testing.echo', 'params': [[bad]], 'id': 7},
            {'method': 'bare.sayHello', 'id': 8}]})
    assert [(r['id'], r['error'] and r['error']['code'])
            for r in multicall['result']] == [(7, -32602), (8, None)]


SAMPLES = {'int': 1, 'string': 'x', 'boolean': True, 'double': 1.5,
           'array': [], 'struct': {}, 'base64': Binary(b'x'),
           'dateTime.iso8601': datetime(2000, 1, 1)}


#: the namespaces of the test plugins (tests/plugins): their signatures
#: document types without checking them
PLUGIN_NAMESPACES = ('testing.', 'bare.')


def every_method(server):
    return [method for method in server.client('xmlrpc', 'admin').call(
        'system.listMethods')]


def test_every_method_refuses_bad_arguments(server, protocol):
    """Too many arguments, and a first argument of the wrong type, are
    -32602 for every exposed method."""
    admin = server.client(protocol, 'admin')
    checked = 0
    for method in every_method(server):
        if protocol == 'jsonrpc' and method == 'system.multicall':
            continue  # its params are the list of calls, of any length
        signatures = [signature.split(',') for signature in
                      admin.call('system.methodSignature', method)]
        longest = max(len(signature) - 1 for signature in signatures)
        with pytest.raises(Fault) as raised:
            admin.call(method, *[0] * (longest + 1))
        assert raised.value.code == -32602, method
        first_types = {signature[1] for signature in signatures
                       if len(signature) > 1}
        if first_types and not method.startswith(PLUGIN_NAMESPACES):
            wrong = 5 if 'struct' in first_types else {'not': 'this'}
            shortest = min((s for s in signatures if len(s) > 1), key=len)
            with pytest.raises(Fault) as raised:
                admin.call(method, wrong,
                           *[SAMPLES[name] for name in shortest[2:]])
            assert raised.value.code == -32602, method
        checked += 1
    assert checked >= 70
