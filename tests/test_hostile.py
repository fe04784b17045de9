"""Hostile and broken input: every request gets the protocol's error (or
a transport status), nothing leaks a traceback or a path, and the server
answers a normal call right after."""

import http.client
import json
import re
import socket
import xmlrpc.client

import pytest

from clients import PROTOCOLS


@pytest.fixture(scope='session')
def server(http_server):
    """They speak raw HTTP over sockets: a real tracd."""
    return http_server

pytestmark = pytest.mark.parametrize('database', ['sqlite'], indirect=True)

LEAKS = re.compile(rb'Traceback|File "|site-packages|/tmp/|\.py\b')

XML_OK = xmlrpc.client.dumps(([1, 2],), 'testing.echo').encode()
JSON_OK = b'{"method": "testing.echo", "params": [[1, 2]], "id": 1}'

XML_ILLEGAL = ''.join(chr(c) for c in range(0x20) if c not in (9, 10, 13)) \
    + '\ufffe\uffff'


def raw_request(server, head, body=b'', read_timeout=30):
    """Send raw bytes; return (status, body) of the response."""
    port = int(server.url.rsplit(':', 1)[1])
    with socket.create_connection(('127.0.0.1', port),
                                  timeout=read_timeout) as sock:
        sock.sendall(head + body)
        data = b''
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    status = int(data.split(b' ', 2)[1])
    return status, data.split(b'\r\n\r\n', 1)[-1]


def post_head(content_type, length, path='/login/rpc'):
    return ('POST %s HTTP/1.0\r\nHost: localhost\r\n'
            'Authorization: Basic dXNlcjp1c2Vy\r\n'
            'Content-Type: %s\r\nContent-Length: %s\r\n\r\n'
            % (path, content_type, length)).encode()


def check_error_answer(server, status, body, content_type, codes):
    """`body` is the protocol's error with one of `codes` (or `status` is
    a transport error), without leaks; the server still serves."""
    assert not LEAKS.search(body), body[:500]
    if status != 200:
        assert status in (400, 408, 411, 413)
    elif content_type == 'text/xml':
        with pytest.raises(xmlrpc.client.Fault) as raised:
            xmlrpc.client.loads(body)
        assert raised.value.faultCode in codes
    else:
        error = json.loads(body)['error']
        assert error['code'] in codes
    for protocol in PROTOCOLS:
        assert server.client(protocol).call('testing.echo', [1]) == [1]


def deep_xml(depth):
    return (b'<?xml version="1.0"?><methodCall><methodName>testing.echo'
            b'</methodName><params><param><value>'
            + b'<array><data><value>' * depth + b'<int>1</int>'
            + b'</value></data></array>' * depth
            + b'</value></param></params></methodCall>')


def multicall_xml(count):
    calls = [{'methodName': 'system.getAPIVersion', 'params': []}] * count
    return xmlrpc.client.dumps((calls,), 'system.multicall').encode()


def multicall_json(count):
    calls = [{'method': 'system.getAPIVersion'}] * count
    return json.dumps({'method': 'system.multicall', 'params': calls,
                       'id': 1}).encode()


BATTERY = [
    ('text/xml', XML_OK[:len(XML_OK) // 2], [-32700]),
    ('application/json', JSON_OK[:len(JSON_OK) // 2], [-32700]),
    ('text/xml', bytes(range(256)) * 4, [-32700]),
    ('application/json', bytes(range(256)) * 4, [-32700]),
    ('text/xml', b'', [-32700]),
    ('application/json', b'', [-32700]),
    ('text/xml', XML_OK.replace(b'<int>1</int>', b'<int>\xff\xfe</int>'),
     [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": ["\xff"]}',
     [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": [NaN]}',
     [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": [-Infinity]}',
     [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": [[1e999]]}',
     [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": [[%s]]}'
     % (b'9' * 5000), [-32700]),
    ('text/xml', XML_OK.replace(b'<int>1</int>', b'<double>nan</double>'),
     [-32700]),
    ('text/xml', XML_OK.replace(b'<int>1</int>', b'<double>inf</double>'),
     [-32700]),
    ('text/xml', xmlrpc.client.dumps((1,), 'ticket.get').encode().replace(
        b'<int>1</int>', b'<int>%d</int>' % 10 ** 30), [-32602]),
    ('text/xml', xmlrpc.client.dumps(('WikiStart',), 'wiki.getPage').encode()
     .replace(b'</param>', b'</param><param><value><i8>%d</i8></value>'
              b'</param>' % 2 ** 80, 1), [-32602]),
    ('application/json', b'{"method": "wiki.getPage", "params": '
     b'["WikiStart", %d]}' % 2 ** 80, [-32602]),
    ('text/xml', b'<?xml version="1.0" encoding="x-no-such"?><methodCall>'
     b'<methodName>system.getAPIVersion</methodName></methodCall>',
     [-32700]),
    ('text/xml', deep_xml(10000), [-32700]),
    ('application/json', b'{"method": "testing.echo", "params": ['
     + b'[' * 10000 + b']' * 10000 + b']}', [-32700]),
    ('text/xml', multicall_xml(2000), [-32602]),
    ('application/json', multicall_json(2000), [-32602]),
    ('text/xml', xmlrpc.client.dumps((), 'no.such').encode(), [-32601]),
    ('application/json', b'{"method": "no.such", "id": 1}', [-32601]),
    ('text/xml', xmlrpc.client.dumps((1, 2, 3), 'ticket.get').encode(),
     [-32602]),
    ('application/json', b'{"method": "ticket.get", "params": [[1]]}',
     [-32602]),
    ('application/json', b'{"method": "ticket.get", "params": 5}',
     [-32602]),
    ('text/xml', XML_OK.replace(b'<int>1</int>',
                                b'<string>a\x01b</string>'), [-32700]),
    ('text/xml', XML_OK.replace(b'<int>1</int>',
                                b'<string>a&#1;b</string>'), [-32700]),
    ('text/xml', b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "'
     + b'x' * 100 + b'"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
     b'<methodCall><methodName>&c;</methodName></methodCall>', [-32700]),
    ('text/xml', b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM '
     b'"file:///etc/hostname">]><methodCall><methodName>&e;</methodName>'
     b'</methodCall>', [-32700]),
    ('text/xml', b'<?xml version="1.0" encoding="UTF-16"?><methodCall/>',
     [-32700, -32600]),
]


@pytest.mark.parametrize('content_type,body,codes', BATTERY,
                         ids=['battery%02d' % i for i in range(len(BATTERY))])
def test_battery(server, content_type, body, codes):
    status, answer = raw_request(server, post_head(content_type, len(body)),
                                 body)
    check_error_answer(server, status, answer, content_type, codes)


@pytest.mark.parametrize('content_type', ['text/xml', 'application/json'])
def test_content_length_longer_than_body(server, content_type):
    """The client announces more than it sends and waits: the socket
    timeout frees the thread and the client gets 408."""
    status, answer = raw_request(server, post_head(content_type, 1000),
                                 b'{"method"')
    assert status == 408
    check_error_answer(server, status, answer, content_type, [])


@pytest.mark.parametrize('content_type', ['text/xml', 'application/json'])
def test_content_length_shorter_than_body(server, content_type):
    body = XML_OK if content_type == 'text/xml' else JSON_OK
    status, answer = raw_request(server, post_head(content_type, 20), body)
    check_error_answer(server, status, answer, content_type, [-32700])


@pytest.mark.parametrize('length', ['abc', '-5', '1e3'])
def test_invalid_content_length(server, length):
    status, answer = raw_request(server, post_head('text/xml', length),
                                 XML_OK)
    assert status == 400
    check_error_answer(server, status, answer, 'text/xml', [])


def test_100_mib_body_is_413_unread(server):
    status, answer = raw_request(server,
                                 post_head('application/json', 100 << 20),
                                 b'[' * 65536)
    assert status == 413
    check_error_answer(server, status, answer, 'application/json', [])


def test_post_without_content_type_is_415(server):
    """Answered like any unknown type, and the connection closes
    cleanly (the body may be unread)."""
    port = int(server.url.rsplit(':', 1)[1])
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        connection.request('POST', '/login/rpc', XML_OK,
                           {'Authorization': 'Basic dXNlcjp1c2Vy'})
        response = connection.getresponse()
        assert response.status == 415
        assert response.getheader('Content-Type').startswith('text/plain')
        assert response.getheader('Connection') == 'close'
        assert b"No protocol matching Content-Type ''" in response.read()
    finally:
        connection.close()
    for protocol in PROTOCOLS:
        assert server.client(protocol).call('testing.echo', [1]) == [1]


def test_multipart_post_is_never_executed(server):
    body = (b'--x\r\nContent-Disposition: form-data; name="method"\r\n\r\n'
            b'wiki.putPage\r\n--x--\r\n')
    status, answer = raw_request(
        server, post_head('multipart/form-data; boundary=x', len(body)), body)
    assert status == 400  # Trac's CSRF check: no form token
    check_error_answer(server, status, answer, 'text/xml', [])


def test_xml_illegal_characters_via_json_read_via_xml(server):
    json_client = server.client('jsonrpc', 'user')
    xml_client = server.client('xmlrpc', 'user')
    text = 'start %s end' % XML_ILLEGAL
    assert json_client.call('wiki.putPage', 'IllegalChars', text, {}) is True
    assert json_client.call('wiki.getPage', 'IllegalChars') == text
    assert xml_client.call('wiki.getPage', 'IllegalChars') \
        == 'start %s end' % ('\ufffd' * len(XML_ILLEGAL))


def test_lone_surrogates_are_replaced_before_storing(server):
    body = (b'{"method": "wiki.putPage", "params": ["Surrogates", '
            b'"a\\ud800b\\udfffc", {}], "id": 1}')
    status, answer = raw_request(server,
                                 post_head('application/json', len(body)),
                                 body)
    assert json.loads(answer)['result'] is True
    assert server.client('xmlrpc', 'user').call(
        'wiki.getPage', 'Surrogates') == 'a\ufffdb\ufffdc'
