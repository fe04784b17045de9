"""Personal API tokens through real HTTP: the preferences and admin panels
(form posts with Trac's form token), Bearer and Basic-with-token in both
protocols, wrong, revoked and expired tokens (401, nothing executed),
the read-only scope, last use, web pages that never take a token, the
`trac-admin` commands, and the throttle."""

import base64
import json
import re
import subprocess
import sys
import xmlrpc.client
from datetime import datetime, timedelta

import pytest
from trac.util.datefmt import utc

from clients import Browser, http_request, new_token, unique, \
    xmlrpc_proxy

from tracrpc.tokens import TokenStore


def json_call(server, token, method, *params, path='/rpc', basic_user=None):
    """A JSON-RPC call with `token` (Bearer, or Basic as `basic_user`);
    `(status, headers, response or body)`."""
    if basic_user:
        credentials = base64.b64encode(
            ('%s:%s' % (basic_user, token)).encode()).decode()
        authorization = 'Basic ' + credentials
    else:
        authorization = 'Bearer ' + token
    status, headers, body = http_request(
        server.url, 'POST', path,
        json.dumps({'method': method, 'params': list(params),
                    'id': 1}).encode(), None,
        {'Content-Type': 'application/json', 'Authorization': authorization})
    return status, headers, json.loads(body) if status == 200 else body


def xml_proxy(server, user, token):
    return xmlrpc_proxy(server.url, user, token, '/rpc')


# -- The preferences panel ----------------------------------------------

def test_user_makes_uses_and_revokes_a_token(server):
    browser = Browser(server, 'user')
    status, page = browser.get('/prefs/rpctokens')
    assert status == 200 and 'New token' in page
    name = unique('Token')
    status, page = browser.post('/prefs/rpctokens',
                                {'name': name, 'create': '1'})
    token = re.search(r'<code id="rpc-token-value">([^<]+)</code>',
                      page).group(1)
    assert name in page
    status, headers, response = json_call(server, token, 'ticket.create',
                                          unique(), 'with a token')
    tid = response['result']
    admin = server.client('jsonrpc', 'admin')
    assert admin.call('ticket.get', tid)[3]['reporter'] == 'user'
    status, page = browser.get('/prefs/rpctokens')
    assert token not in page  # shown once
    row = page[page.index(name):]
    assert '127.0.0.1' in row[:row.index('</tr>')]  # last used, from
    token_id = re.search(r'name="revoke" value="(\d+)"', row).group(1)
    browser.post('/prefs/rpctokens', {'revoke': token_id})
    status, headers, body = json_call(server, token, 'system.getAPIVersion')
    assert status == 401 and 'Bearer' in headers['WWW-Authenticate']


def test_a_bad_expiry_is_shown_beside_its_field(server):
    browser = Browser(server, 'user')
    name = unique('Kept')
    status, page = browser.post('/prefs/rpctokens',
                                {'name': name, 'expires_days': 'soon',
                                 'readonly': '1', 'create': '1'})
    assert status == 200
    problem = re.search(r'<span class="rpc-problem" id="rpc-expiry-problem"'
                        r'[^>]*>([^<]+)</span>', page).group(1)
    assert 'number of days' in problem
    assert 'value="%s"' % name in page and 'value="soon"' in page
    assert re.search(r'name="readonly" value="1"\s+checked', page)
    assert 'rpc-token-value' not in page  # nothing was made
    env = server.env()
    try:
        assert name not in [token['name']
                            for token in TokenStore(env).tokens('user')]
    finally:
        env.shutdown()


def test_the_panels_ask_before_revoking_and_name_the_token(server):
    name = unique('Asked')
    new_token(server, name=name)
    for user, path in (('user', '/prefs/rpctokens'),
                       ('admin', '/admin/general/rpctokens')):
        status, page = Browser(server, user).get(path)
        assert 'rpc-tokens.js' in page
        assert re.search(r'data-confirm="[^"]*%s' % name, page), path


def test_a_token_does_not_open_the_api_page(server):
    token = new_token(server)
    status, headers, body = http_request(
        server.url, 'GET', '/rpc', None, None,
        {'Authorization': 'Bearer ' + token, 'Accept': 'text/html'})
    page = body.decode('utf-8')
    assert status == 403 and 'you are not logged in' in page
    assert 'Tokens authenticate API calls, not web pages' in page
    headers, response = get_with_token(server, token)
    assert response['result'][:2] == [1, 2]  # GET calls still take it


def get_with_token(server, token):
    status, headers, body = http_request(
        server.url, 'GET', '/rpc?method=system.getAPIVersion', None, None,
        {'Authorization': 'Bearer ' + token})
    return headers, json.loads(body)


def test_token_works_in_both_protocols(server):
    token = new_token(server)
    assert xml_proxy(server, 'user', token).system.getAPIVersion()[:2] == \
        [1, 2]
    for basic_user in (None, 'user'):
        status, headers, response = json_call(server, token, 'wiki.getPage',
                                              'WikiStart',
                                              basic_user=basic_user)
        assert status == 200 and 'Trac' in response['result']
    status, headers, body = http_request(
        server.url, 'POST', '/rpc',
        xmlrpc.client.dumps((), 'testing.whoami').encode(), None,
        {'Content-Type': 'text/xml', 'Authorization': 'Bearer ' + token})
    assert xmlrpc.client.loads(body)[0][0] == 'user'


def test_token_of_another_user_name_in_basic_is_refused(server):
    token = new_token(server)
    status, headers, body = json_call(server, token, 'system.getAPIVersion',
                                      basic_user='admin')
    assert status == 401


@pytest.mark.parametrize('kind', ['wrong', 'revoked', 'expired'])
def test_bad_tokens_are_401_and_run_nothing(server, kind):
    if kind == 'wrong':
        token = 'tracrpc_' + 'x' * 43
    elif kind == 'expired':
        token = new_token(server, expires=datetime.now(utc) -
                          timedelta(seconds=1))
    else:
        token = new_token(server)
        env = server.env()
        store = TokenStore(env)
        store.revoke(store.tokens('user')[0]['id'])
        env.shutdown()
    summary = unique('NotMade')
    for protocol in ('jsonrpc', 'xmlrpc'):
        if protocol == 'jsonrpc':
            status, headers, body = json_call(server, token, 'ticket.create',
                                              summary, '')
            assert status == 401
            assert 'error="invalid_token"' in headers['WWW-Authenticate']
        else:
            with pytest.raises(xmlrpc.client.ProtocolError) as raised:
                xml_proxy(server, 'user', token).ticket.create(summary, '')
            assert raised.value.errcode == 401
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []


def test_read_only_token_calls_only_what_changes_nothing(server):
    token = new_token(server, readonly=True)
    status, headers, response = json_call(server, token, 'ticket.query',
                                          'max=1')
    assert response['error'] is None
    summary = unique('ReadOnly')
    status, headers, response = json_call(server, token, 'ticket.create',
                                          summary, '')
    assert response['error']['code'] == 403
    assert 'read-only token' in response['error']['message']
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []


def post_json(server, token, payload):
    status, headers, body = http_request(
        server.url, 'POST', '/rpc', json.dumps(payload).encode(), None,
        {'Content-Type': 'application/json',
         'Authorization': 'Bearer ' + token})
    assert status == 200, body
    return json.loads(body)


def test_read_only_token_batch_is_answered_call_by_call(server):
    ticket = server.client('jsonrpc', 'admin').call('ticket.create',
                                                    unique('Batch'), '')
    token = new_token(server, readonly=True)
    summary = unique('NotInBatch')
    responses = post_json(server, token, [
        {'jsonrpc': '2.0', 'id': 1, 'method': 'ticket.get',
          'params': [ticket]},
        {'jsonrpc': '2.0', 'id': 2, 'method': 'ticket.create',
         'params': [summary, '']},
        {'jsonrpc': '2.0', 'id': 3, 'method': 'system.getAPIVersion'}])
    assert [response['id'] for response in responses] == [1, 2, 3]
    assert responses[0]['result'][0] == ticket
    assert responses[1]['error']['code'] == 403
    assert 'read-only token' in responses[1]['error']['message']
    assert responses[2]['result'][:2] == [1, 2]
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []


def test_read_only_token_multicall_refuses_writes_in_place(server):
    ticket = server.client('jsonrpc', 'admin').call('ticket.create',
                                                    unique('Multi'), '')
    token = new_token(server, readonly=True)
    summary = unique('NotInMulticall')
    proxy = xml_proxy(server, 'user', token)
    multicall = xmlrpc.client.MultiCall(proxy)
    multicall.ticket.get(ticket)
    multicall.ticket.create(summary, '')
    multicall.ticket.get(ticket)
    results = multicall()
    assert results[0][0] == ticket
    with pytest.raises(xmlrpc.client.Fault) as refused:
        results[1]
    assert refused.value.faultCode == 403
    assert 'read-only token' in refused.value.faultString
    assert results[2][0] == ticket
    response = post_json(server, token, {
        'id': 'm', 'method': 'system.multicall', 'params': [
            {'id': 'a', 'method': 'ticket.update',
             'params': [ticket, 'no']},
            {'id': 'b', 'method': 'ticket.get', 'params': [ticket]}]})
    first, second = response['result']
    assert first['error']['code'] == 403 and second['result'][0] == ticket
    assert server.client('jsonrpc', 'admin').call(
        'ticket.query', 'summary=%s' % summary) == []
    assert server.client('jsonrpc', 'admin').call(
        'ticket.changeLog', ticket) == []


def test_tokens_never_authenticate_web_pages(server):
    token = new_token(server)
    status, headers, body = http_request(
        server.url, 'GET', '/prefs', None, None,
        {'Authorization': 'Bearer ' + token})
    assert 'logged in as' not in body.decode('utf-8')
    status, headers, body = http_request(
        server.url, 'GET', '/prefs/rpctokens', None, None,
        {'Authorization': 'Bearer ' + token})
    assert 'New token' not in body.decode('utf-8')


# -- Admin panel and trac-admin -------------------------------------------

def test_admin_panel_lists_and_revokes_anyones_token(server):
    name = unique('AdminSees')
    token = new_token(server, name=name)
    browser = Browser(server, 'admin')
    status, page = browser.get('/admin/general/rpctokens')
    assert status == 200 and name in page
    row = page[page.index(name):]
    token_id = re.search(r'name="revoke" value="(\d+)"', row).group(1)
    browser.post('/admin/general/rpctokens', {'revoke': token_id})
    assert name not in browser.get('/admin/general/rpctokens')[1]
    assert json_call(server, token, 'system.getAPIVersion')[0] == 401
    assert Browser(server, 'user').get('/admin/general/rpctokens')[0] in \
        (403, 404)  # Trac's answer for a user without admin panels


def trac_admin(server, *args):
    return subprocess.run([sys.executable, '-m', 'trac.admin.console',
                           server.env_path, 'rpc', 'token'] + list(args),
                          capture_output=True, text=True, check=True).stdout


def test_trac_admin_commands(server):
    name = unique('Cli')
    printed = trac_admin(server, 'create', 'user', name, 'readonly', '5')
    token = printed.split()[0]
    assert token.startswith('tracrpc_')
    # a call to copy, to /rpc (tracd --basic-auth refuses tokens at /login)
    assert "-H 'Authorization: Bearer %s'" % token in printed
    assert re.search(r"'\S+/rpc$", printed.rstrip()) is None
    assert printed.rstrip().endswith('/rpc')
    listing = trac_admin(server, 'list', 'user')
    line = [line for line in listing.splitlines() if name in line][0]
    assert 'read-only' in line
    status, headers, response = json_call(server, token, 'ticket.create',
                                          'x', '')
    assert response['error']['code'] == 403
    trac_admin(server, 'revoke', line.split()[0])
    assert name not in trac_admin(server, 'list')
    assert json_call(server, token, 'system.getAPIVersion')[0] == 401


# -- Throttling -------------------------------------------------------------

@pytest.fixture(scope='module')
def strict_server(sqlite_serving):
    """A server that allows 3 failed attempts per 5 minutes."""
    with sqlite_serving('throttle', [('rpc', 'auth_failures', '3')]) as server:
        yield server


def test_failed_attempts_are_throttled(strict_server):
    token = new_token(strict_server)
    assert json_call(strict_server, token, 'system.getAPIVersion')[0] == 200
    for attempt in range(3):
        assert json_call(strict_server, 'tracrpc_wrong%d' % attempt,
                         'system.getAPIVersion')[0] == 401
    status, headers, body = json_call(strict_server, token,
                                      'system.getAPIVersion')
    assert status == 401 and b'Too many failed attempts' in body
    with open(strict_server.env_path + '/log/trac.log') as log:
        assert 'too many failed attempts' in log.read()
