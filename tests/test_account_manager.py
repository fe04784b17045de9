"""With TracAccountManager 0.6 (the real package) owning the login: tracd
does no HTTP authentication, AccountManager's form login replaces
Trac's, and `/login/rpc` with Basic credentials is checked against
AccountManager's password store (the original plugin's documented
failure: such calls looked anonymous). Tokens work there too."""

import base64
import json
import re
import xmlrpc.client

import pytest

from clients import http_request
from conftest import serving

pytest.importorskip('acct_mgr')

from tracrpc.tokens import TokenStore  # noqa: E402


@pytest.fixture(scope='module')
def server(tmp_path_factory, mail_sink):
    root = tmp_path_factory.mktemp('trac-acctmgr')
    config = [('components', 'acct_mgr.api.accountmanager', 'enabled'),
              ('components', 'acct_mgr.web_ui.loginmodule', 'enabled'),
              ('components', 'acct_mgr.htfile.htpasswdstore', 'enabled'),
              ('components', 'trac.web.auth.loginmodule', 'disabled'),
              ('account-manager', 'password_store', 'HtPasswdStore'),
              ('account-manager', 'htpasswd_file', str(root / 'htpasswd')),
              ('account-manager', 'htpasswd_hash_type', 'sha')]
    with serving(root, 'sqlite:db/trac.db', mail_sink.port, config,
                 basic_auth=False) as server:
        yield server


def whoami(server, authorization=None, path='/login/rpc'):
    headers = {'Content-Type': 'application/json'}
    if authorization:
        headers['Authorization'] = authorization
    status, headers, body = http_request(
        server.url, 'POST', path,
        b'{"method": "testing.whoami", "id": 1}', None, headers)
    return status, json.loads(body) if status == 200 else body


def basic(user, secret):
    return 'Basic ' + base64.b64encode(
        ('%s:%s' % (user, secret)).encode()).decode()


def test_basic_credentials_checked_by_account_manager(server):
    status, response = whoami(server, basic('user', 'user'))
    assert status == 200 and response['result'] == 'user'
    xml = xmlrpc.client.ServerProxy(
        server.url.replace('://', '://user:user@') + '/login/xmlrpc')
    assert xml.testing.whoami() == 'user'


def test_wrong_password_is_401(server):
    status, body = whoami(server, basic('user', 'wrong'))
    assert status == 401


def test_anonymous_at_login_is_still_refused(server):
    status, response = whoami(server)
    assert response['error']['code'] == 403


def test_tokens_at_login_rpc(server):
    env = server.env()
    token = TokenStore(env).create('viewer', 'am')[0]
    env.shutdown()
    assert whoami(server, 'Bearer ' + token)[1]['result'] == 'viewer'
    assert whoami(server, basic('viewer', token))[1]['result'] == 'viewer'


def test_account_manager_form_login_still_works(server):
    status, headers, body = http_request(server.url, 'GET', '/login', None,
                                         None, {})
    form_token = re.search(rb'name="__FORM_TOKEN" value="([^"]+)"',
                           body).group(1).decode()
    status, headers, body = http_request(
        server.url, 'POST', '/login',
        ('username=user&password=user&__FORM_TOKEN=%s' % form_token)
        .encode(), None,
        {'Content-Type': 'application/x-www-form-urlencoded',
         'Cookie': 'trac_form_token=%s' % form_token})
    assert status == 303 and 'trac_auth=' in headers['Set-Cookie']
