"""gzip both ways over real HTTP: answers compressed for clients that
accept it (`xmlrpc.client` does), gzipped requests taken, the body limit
applied to what they decompress to (a gzip bomb is refused early)."""

import gzip
import json
import xmlrpc.client

import pytest

from clients import http_request


@pytest.fixture(scope='session')
def server(http_server):
    """Compression is an HTTP matter: a real tracd."""
    return http_server


def post(server, body, headers, content_type='application/json'):
    return http_request(server.url, 'POST', '/login/rpc', body, 'user',
                        dict({'Content-Type': content_type}, **headers))


LIST_METHODS = json.dumps({'method': 'system.listMethods',
                           'id': 1}).encode()


def test_large_answers_are_gzipped_for_who_accepts_them(server):
    status, headers, body = post(server, LIST_METHODS,
                                 {'Accept-Encoding': 'gzip, deflate'})
    assert headers['Content-Encoding'] == 'gzip'
    assert 'Accept-Encoding' in headers['Vary']
    plain = gzip.decompress(body)
    assert len(body) < len(plain)
    assert 'ticket.get' in json.loads(plain)['result']
    status, headers, identity = post(server, LIST_METHODS, {})
    assert 'Content-Encoding' not in headers and identity == plain


def test_small_answers_and_refusers_get_plain_bodies(server):
    small = json.dumps({'method': 'system.getAPIVersion', 'id': 1}).encode()
    status, headers, body = post(server, small, {'Accept-Encoding': 'gzip'})
    assert 'Content-Encoding' not in headers and json.loads(body)['result']
    status, headers, body = post(server, LIST_METHODS,
                                 {'Accept-Encoding': 'gzip; q=0, br'})
    assert 'Content-Encoding' not in headers


def test_gzipped_requests_in_both_protocols(server):
    transport = xmlrpc.client.Transport()
    transport.encode_threshold = 0  # gzip every request
    proxy = xmlrpc.client.ServerProxy(
        server.url.replace('://', '://user:user@') + '/login/rpc',
        transport=transport)
    assert 'wiki.getPage' in proxy.system.listMethods()
    status, headers, body = post(server, gzip.compress(LIST_METHODS),
                                 {'Content-Encoding': 'gzip'})
    assert 'ticket.get' in json.loads(body)['result']


def test_a_gzip_bomb_is_refused_early(server):
    bomb = gzip.compress(b'[' + b' ' * (200 * 1024 * 1024) + b']', 9)
    assert len(bomb) < 1024 * 1024
    status, headers, body = post(server, bomb, {'Content-Encoding': 'gzip'})
    assert status == 413 and b'once decompressed' in body
    still = post(server, LIST_METHODS, {})
    assert 'ticket.get' in json.loads(still[2])['result']


@pytest.mark.parametrize('encoding,body,status', [
    ('br', b'x', 415), ('gzip', b'not gzip at all', 400),
    ('gzip', gzip.compress(LIST_METHODS)[:20], 400)])
def test_other_encodings_and_broken_gzip(server, encoding, body, status):
    answer = post(server, body, {'Content-Encoding': encoding})
    assert answer[0] == status
