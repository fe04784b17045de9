"""With TracAccountManager 0.6 (the real package) owning the login: tracd
does no HTTP authentication, AccountManager's form login replaces
Trac's, and `/login/rpc` with Basic credentials is checked against
AccountManager's password store (the original plugin's documented
failure: such calls looked anonymous). Tokens work there too."""

import base64
import json
import os
import re
import subprocess
import sys
import xmlrpc.client

import pytest

from clients import http_request, new_token
from conftest import serving

pytest.importorskip('acct_mgr')

from tracrpc.tokens import TokenStore  # noqa: E402


def account_manager_server(tmp_path_factory, mail_sink, name, config=()):
    """tracd without HTTP authentication, AccountManager owning the
    login, with the extra trac.ini settings `config`."""
    root = tmp_path_factory.mktemp(name)
    config = [('components', 'acct_mgr.api.accountmanager', 'enabled'),
              ('components', 'acct_mgr.web_ui.loginmodule', 'enabled'),
              ('components', 'acct_mgr.htfile.htpasswdstore', 'enabled'),
              ('components', 'trac.web.auth.loginmodule', 'disabled'),
              ('account-manager', 'password_store', 'HtPasswdStore'),
              ('account-manager', 'htpasswd_file', str(root / 'htpasswd')),
              ('account-manager', 'htpasswd_hash_type', 'sha')] + \
        list(config)
    return serving(root, 'sqlite:db/trac.db', mail_sink.port, config,
                   basic_auth=False)


@pytest.fixture(scope='module')
def server(tmp_path_factory, mail_sink):
    with account_manager_server(tmp_path_factory, mail_sink,
                                'trac-acctmgr') as server:
        yield server


@pytest.fixture(scope='module')
def guarded(tmp_path_factory, mail_sink):
    """AccountGuard locking an account after 2 failed logins, and
    `[trac] ignore_auth_case`."""
    config = [('components', 'acct_mgr.guard.accountguard', 'enabled'),
              ('account-manager', 'login_attempt_max_count', '2'),
              ('account-manager', 'user_lock_time', '600'),
              ('trac', 'ignore_auth_case', 'true')]
    with account_manager_server(tmp_path_factory, mail_sink,
                                'trac-guarded', config) as server:
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
    token = new_token(server, 'viewer', 'am')
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


# -- Attacks (tests of the security page) ---------------------------------

def test_account_guard_lockout_holds_over_rpc(guarded):
    env = guarded.env()
    with env.db_transaction as db:  # AccountGuard locks known users only
        db("INSERT INTO session VALUES ('viewer', 1, 0)")
    env.shutdown()
    for attempt in range(2):
        assert whoami(guarded, basic('viewer', 'guess%d' % attempt))[0] == \
            401
    status, body = whoami(guarded, basic('viewer', 'viewer'))
    assert status == 401 and b'locked' in body
    assert whoami(guarded, basic('user', 'user'))[1]['result'] == 'user'


def test_user_names_are_normalised_as_trac_does(guarded):
    status, response = whoami(guarded, basic('USER', 'user'))
    assert response['result'] == 'user'
    token = new_token(guarded, 'admin', 'cased')
    assert whoami(guarded, basic('ADMIN', token))[1]['result'] == 'admin'


def test_tokens_of_a_deleted_account_stop_working(server):
    from acct_mgr.api import AccountManager
    from trac.perm import PermissionSystem
    env = server.env()
    try:
        AccountManager(env).set_password('leaving', 'pw')
        PermissionSystem(env).grant_permission('leaving', 'XML_RPC')
        token = TokenStore(env).create('leaving', 'soon gone')[0]
    finally:
        env.shutdown()
    assert whoami(server, 'Bearer ' + token)[1]['result'] == 'leaving'
    env = server.env()
    try:
        AccountManager(env).delete_user('leaving')
    finally:
        env.shutdown()
    assert whoami(server, 'Bearer ' + token)[0] == 401
    assert whoami(server, basic('leaving', token))[0] == 401
    listing = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'trac-admin'),
         server.env_path, 'rpc', 'token', 'list'],
        check=True, capture_output=True, text=True).stdout
    assert 'leaving (deleted: orphaned)' in listing
