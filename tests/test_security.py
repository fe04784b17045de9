"""What an attacker tried against a demo site, each attack made again over
HTTP against a real tracd: it must fail, and the server keep serving.
(TracAccountManager's lockout, user name case and deleted accounts:
tests/test_account_manager.py.)"""

import base64
import json
import socket
import threading
import xmlrpc.client
from datetime import datetime, timedelta

import pytest

from clients import fault_of, http_request, new_token, unique

from tracrpc.tokens import _Throttle


#: the settings the attacks below are made against
CONFIG = [('rpc', 'render_timeout', '1'),
          ('rpc', 'auth_failures', '3'),
          ('rpc', 'trusted_proxies', '127.0.0.1'),
          ('rpc', 'max_request_time', '1'),
          ('trac', 'show_full_names', 'false'),
          ('timeline', 'default_daysback', '1'),
          ('timeline', 'max_daysback', '-1')]


@pytest.fixture(scope='module')
def site(sqlite_serving):
    with sqlite_serving('security', CONFIG) as server:
        yield server


def json_post(server, payload, user='user', path='/login/rpc', headers=None):
    status, response_headers, body = http_request(
        server.url, 'POST', path, json.dumps(payload).encode(), user,
        dict({'Content-Type': 'application/json'}, **(headers or {})))
    return status, response_headers, \
        json.loads(body) if status == 200 else body


def still_serving(server):
    assert server.client('xmlrpc', 'user').call(
        'system.getAPIVersion')[:2] == [1, 2]


# -- 1. wiki.wikiToHtml cannot stall the server ---------------------------

QUADRATIC = {'brackets': '[' * 12000,
             'outlines': '[[PageOutline]]\n= Heading =\n' * 200}


@pytest.mark.parametrize('text', sorted(QUADRATIC))
def test_a_slow_render_is_stopped_and_stalls_nobody(site, text):
    finished = []

    def render():
        try:
            site.client('jsonrpc', 'user').call('wiki.wikiToHtml',
                                                QUADRATIC[text])
        except Exception as e:
            finished.append(('render', e))
    thread = threading.Thread(target=render)
    thread.start()
    # answered while the render runs in its own process
    version = site.client('xmlrpc', 'user').call('system.getAPIVersion')
    finished.append(('version', version))
    thread.join(60)
    assert [name for name, outcome in finished] == ['version', 'render']
    fault = finished[1][1]
    assert 'took longer than 1 seconds' in fault.message
    still_serving(site)


def test_deep_quotes_are_a_clear_error(site):
    fault = fault_of(site.client('xmlrpc', 'user'), 'wiki.wikiToHtml',
                     '>' * 5000 + ' deep')
    assert 'nests too deeply' in fault.message
    assert 'RecursionError' not in fault.message


def test_render_limits_and_get(site):
    user = site.client('jsonrpc', 'user')
    assert user.call('wiki.wikiToHtml', "'''bold'''") == \
        '<p>\n<strong>bold</strong>\n</p>\n'
    fault = fault_of(user, 'wiki.wikiToHtml', 'x' * (256 * 1024 + 1))
    assert fault.code == -32602 and 'render_max_input' in fault.message
    status, headers, body = http_request(
        site.url, 'GET', '/login/rpc?method=wiki.wikiToHtml&params=%5B%22x'
        '%22%5D', None, 'user', {})
    assert json.loads(body)['error']['code'] == 403
    assert b'cannot be called with HTTP GET' in body


# -- 2. No DOCTYPE in any encoding -----------------------------------------

ENTITY_CALL = ('<!DOCTYPE m [<!ENTITY n "system.getAPIVersion">]>'
               '<methodCall><methodName>&n;</methodName></methodCall>')


@pytest.mark.parametrize('body', [
    ('<?xml version="1.0" encoding="UTF-16"?>' + ENTITY_CALL)
    .encode('utf-16'),
    ENTITY_CALL.encode('utf-16-be'),
    ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "' + 'x' * 100 +
     '"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><methodCall>'
     '<methodName>&c;</methodName></methodCall>').encode('utf-16')])
def test_doctype_refused_in_every_encoding(site, body):
    status, headers, answer = http_request(site.url, 'POST', '/login/rpc',
                                           body, 'user',
                                           {'Content-Type': 'text/xml'})
    assert status == 200 and len(answer) < 1000
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(answer)
    assert raised.value.faultCode == -32700
    assert 'DOCTYPE' in raised.value.faultString
    still_serving(site)


# -- 3. The caller before the body -----------------------------------------

def test_a_large_body_of_a_caller_who_may_not_call_is_never_read(site):
    """Refused as soon as the headers are in: the 8 MB body is never
    sent, and the answer comes all the same."""
    port = int(site.url.rsplit(':', 1)[1])
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        sock.sendall(b'POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: '
                     b'application/json\r\nContent-Length: 8388608\r\n\r\n')
        answer = b''
        while b'\r\n\r\n' not in answer or not answer.endswith(b'}'):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, body = answer.split(b'\r\n\r\n', 1)
    assert b' 200 ' in head.split(b'\r\n')[0]
    assert b'Connection: close' in head
    assert json.loads(body)['error']['code'] == 403
    still_serving(site)


def test_json_of_many_containers_is_refused(site):
    body = b'{"method": "testing.echo", "params": [[' + \
        b','.join([b'{}'] * 200000) + b']]}'
    status, headers, answer = http_request(
        site.url, 'POST', '/login/rpc', body, 'user',
        {'Content-Type': 'application/json'})
    assert json.loads(answer)['error']['code'] == -32700
    assert b'too many arrays and objects' in answer
    still_serving(site)


# -- 4, 9. Failed logins and tokens ----------------------------------------

def bearer(token, address=None):
    headers = {'Authorization': 'Bearer ' + token}
    if address:
        headers['X-Forwarded-For'] = address
    return headers


def test_throttle_spares_others(site):
    token = new_token(site, 'user', 'throttled')
    call = {'method': 'system.getAPIVersion', 'id': 1}
    attacker = '192.0.2.66, 203.0.113.7'  # the proxy adds the last hop
    for attempt in range(3):
        assert json_post(site, call, None, '/rpc',
                         bearer('tracrpc_wrong%d' % attempt, attacker))[0] \
            == 401
    status, headers, body = json_post(site, call, None, '/rpc',
                                      bearer(token, attacker))
    assert status == 401 and b'Too many failed attempts' in body
    assert json_post(site, call, None, '/rpc',
                     bearer(token, '198.51.100.1'))[2]['result']
    assert json_post(site, call, None, '/rpc', bearer(token))[2]['result']


def test_throttle_is_bounded_and_per_environment():
    throttle = _Throttle(capacity=100)
    for address in range(1000):
        throttle.failed(('(token)', '10.0.%d.%d' % divmod(address, 256)))
    assert len(throttle) == 100
    from trac.test import EnvironmentStub
    from tracrpc.tokens import TokenAuthenticator
    first = TokenAuthenticator(EnvironmentStub(enable=['tracrpc.*']))
    second = TokenAuthenticator(EnvironmentStub(enable=['tracrpc.*']))
    assert first._throttle is not second._throttle


@pytest.mark.parametrize('authorization', ['Bearer garbage', 'Bearer ',
                                           'Bearer tracrpc_nosuch'])
def test_a_bearer_that_is_no_token_is_401(site, authorization):
    status, headers, body = json_post(
        site, {'method': 'system.getAPIVersion', 'id': 1}, None, '/rpc',
        {'Authorization': authorization, 'X-Forwarded-For': unique('h')})
    assert status == 401 and 'Bearer' in headers['WWW-Authenticate']


# -- 7, 11. What users see of others ---------------------------------------

ADDRESS = 'carol@example.org'


def test_email_addresses_need_email_view(site):
    admin = site.client('xmlrpc', 'admin')
    word = 'zq' + unique('')
    tid = admin.call('ticket.create', 'Mail %s' % word, 'x',
                     {'reporter': ADDRESS, 'cc': 'dan@example.org, eve',
                      'owner': ADDRESS})
    admin.call('ticket.update', tid, 'owner change', {'owner': 'x@y.org'})
    page = unique('Page')
    env = site.env()
    try:
        from trac.wiki.model import WikiPage
        wiki = WikiPage(env, page)
        wiki.text = 'about %s' % word
        wiki.save(ADDRESS, 'by mail')
        env.db_transaction("INSERT INTO report (author, title, query, "
                           "description) VALUES ('', 'Mails', 'SELECT id AS "
                           "ticket, reporter, cc FROM ticket', '')")
        report = env.db_query("SELECT MAX(id) FROM report")[0][0]
    finally:
        env.shutdown()
    now = datetime.utcnow()
    calls = [('ticket.get', [tid]), ('ticket.changeLog', [tid]),
             ('report.execute', [report, {'max': 0}]),
             ('timeline.getEvents', [now - timedelta(hours=1),
                                     now + timedelta(hours=1)]),
             ('search.performSearch', [word]),
             ('wiki.getPageInfo', [page]),
             ('wiki.getRecentChanges', [now - timedelta(hours=1)])]
    for user, visible in (('user', False), ('admin', True)):
        client = site.client('jsonrpc', user)
        text = json.dumps([client.call(method, *args)
                           for method, args in calls], default=str,
                          ensure_ascii=False)
        assert ('example.org' in text) is visible, user
        assert ('carol@\u2026' in text) is not visible
    cc = site.client('jsonrpc', 'user').call('ticket.get', tid)[3]['cc']
    assert cc == 'dan@\u2026, eve'


def test_full_names_only_where_trac_shows_them(site):
    env = site.env()
    try:
        with env.db_transaction as db:
            db("INSERT INTO session VALUES ('named', 1, 0)")
            db("INSERT INTO session_attribute VALUES "
               "('named', 1, 'name', 'Named Person')")
        env.invalidate_known_users_cache()
    finally:
        env.shutdown()
    user = site.client('jsonrpc', 'user')
    assert user.call('user.get', 'named')[1] == ''
    assert 'Named Person' not in json.dumps(user.call('user.getAll'))


# -- 10, 12. Smaller holes --------------------------------------------------

@pytest.mark.parametrize('subject', ['', '  ', ' user', 'user ', 'SOMEONE'])
def test_grant_refuses_subjects_the_admin_panel_refuses(site, subject):
    admin = site.client('jsonrpc', 'admin')
    assert fault_of(admin, 'permission.grant', subject,
                    'WIKI_VIEW').code == -32602
    assert admin.call('permission.getGrants', subject) == []


def test_an_unknown_content_type_is_not_echoed(site):
    status, headers, body = http_request(
        site.url, 'POST', '/rpc', b'x', None,
        {'Content-Type': 'text/<script>alert(1)</script>'})
    assert status == 415 and b'<script>' not in body
    assert b'(not a media type)' in body


def test_report_sql_errors(site):
    admin = site.client('jsonrpc', 'admin')
    report = admin.call('report.create', 'Broken', '',
                        'SELECT nosuchcolumn FROM ticket')
    fault = fault_of(admin, 'report.execute', report)
    assert 'nosuchcolumn' in fault.message
    assert 'Internal error' not in fault.message
    fault = fault_of(site.client('jsonrpc', 'user'), 'report.execute',
                     report)
    assert 'those who may edit reports' in fault.message
    assert 'nosuchcolumn' not in fault.message


def test_report_total_without_paging(site):
    admin = site.client('jsonrpc', 'admin')
    for number in range(3):
        admin.call('ticket.create', unique('Counted'), '')
    result = admin.call('report.execute', 1, {'max': 0})
    assert result['total'] == len(result['rows']) >= 3


def test_timeline_without_a_limit_on_days(site):
    now = datetime.utcnow()
    events = site.client('jsonrpc', 'user').call(
        'timeline.getEvents', now - timedelta(days=3650), now)
    assert isinstance(events, list)


def test_one_request_cannot_run_for_long(site):
    now = datetime.utcnow()
    calls = [('timeline.getEvents', [now - timedelta(days=3650), now])] \
        * 1000
    outcomes = site.client('xmlrpc', 'user').multicall(calls)
    assert len(outcomes) == 1000
    refused = [slot for slot in outcomes if isinstance(slot, dict)]
    assert refused and all(slot['faultCode'] == -32001 for slot in refused)
    assert 'max_request_time' in refused[0]['faultString']
    assert not isinstance(outcomes[0], dict)
    still_serving(site)


def test_base64_credentials_of_the_wrong_user_are_401(site):
    token = new_token(site, 'user', 'mine')
    credentials = base64.b64encode(('admin:%s' % token).encode()).decode()
    status, headers, body = json_post(
        site, {'method': 'system.getAPIVersion', 'id': 1}, None, '/rpc',
        {'Authorization': 'Basic ' + credentials,
         'X-Forwarded-For': unique('h')})
    assert status == 401
