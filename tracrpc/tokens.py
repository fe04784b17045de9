# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Personal API tokens: what a user gives a client instead of a password.

A token is shown once, when it is made; only its SHA-256 is stored (a
token is 256 random bits, so a plain hash is as good as a password
hash). It authenticates RPC requests only, never Trac's web pages:
`Authorization: Bearer <token>`, or HTTP Basic with the token as the
password. A token may expire and may be read-only (then it calls only
methods that change nothing). Failed attempts are throttled per client
address.
"""

import base64
import binascii
import collections
import hashlib
import re
import secrets
import threading
import time
from datetime import datetime, timedelta

from trac.config import IntOption, ListOption
from trac.core import Component, TracError, implements
from trac.db.schema import Column, Index, Table
from trac.util.datefmt import from_utimestamp, to_utimestamp, utc
from trac.web.api import IAuthenticator

from tracrpc.api import RPCState
from tracrpc.request import is_api_page, is_rpc_path
from tracrpc.schema import PluginTables
from tracrpc.util import to_unicode

__all__ = ['TokenStore', 'TokenAuthenticator', 'TOKEN_PREFIX']

#: every token starts with it: a Basic password that does not is no token
TOKEN_PREFIX = 'tracrpc_'

SCHEMA_NAME = 'tracrpc_tokens_version'
SCHEMA_VERSION = 1
SCHEMA = [
    Table('rpc_token', key='id')[
        Column('id', auto_increment=True),
        Column('username'),
        Column('name'),
        Column('hash'),
        Column('readonly', type='int'),
        Column('created', type='int64'),
        Column('expires', type='int64'),
        Column('last_used', type='int64'),
        Column('last_address'),
        Index(['hash'], unique=True),
        Index(['username'])],
]

#: how stale `last_used` may get before a call writes it again: a write
#: per call would cost every call a transaction
_TOUCH_INTERVAL = timedelta(seconds=60)

_COLUMNS = ('id', 'username', 'name', 'readonly', 'created', 'expires',
            'last_used', 'last_address')


def _digest(token):
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


def _row_to_token(row):
    token = dict(zip(_COLUMNS, row))
    token['readonly'] = bool(token['readonly'])
    for name in ('created', 'expires', 'last_used'):
        token[name] = from_utimestamp(token[name]) if token[name] else None
    return token


class TokenStore(PluginTables):
    """The `rpc_token` table: making, listing, checking and revoking
    tokens."""

    schema_name, schema_version, schema = SCHEMA_NAME, SCHEMA_VERSION, SCHEMA

    # The store

    def create(self, username, name, readonly=False, expires=None):
        """Make a token for `username`; return `(token, id)`. The token
        itself is not kept: show it now."""
        name = (name or '').strip()
        if not name:
            raise TracError('A token needs a name.')
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute("""
                INSERT INTO rpc_token (username, name, hash, readonly,
                created, expires, last_used, last_address)
                VALUES (%s, %s, %s, %s, %s, %s, 0, '')""",
                (username, name, _digest(token), int(bool(readonly)),
                 to_utimestamp(datetime.now(utc)),
                 to_utimestamp(expires) if expires else 0))
            id = db.get_last_id(cursor, 'rpc_token')
        self.log.info("RPC token %d (%s) made for %s", id, name, username)
        return token, id

    def tokens(self, username=None):
        """The tokens (dicts, newest first) of `username`, or of all."""
        sql = "SELECT %s FROM rpc_token" % ','.join(_COLUMNS)
        args = ()
        if username is not None:
            sql += " WHERE username=%s"
            args = (username,)
        return [_row_to_token(row) for row
                in self.env.db_query(sql + " ORDER BY created DESC, id DESC",
                                     args)]

    def revoke(self, id, username=None):
        """Delete token `id` (only if it is `username`'s, when given);
        tell whether there was one."""
        sql, args = "DELETE FROM rpc_token WHERE id=%s", [int(id)]
        if username is not None:
            sql += " AND username=%s"
            args.append(username)
        with self.env.db_transaction as db:
            cursor = db.cursor()
            cursor.execute(sql, args)
            revoked = cursor.rowcount == 1
        if revoked:
            self.log.info("RPC token %s revoked", id)
        return revoked

    def check(self, token, address):
        """The valid (not expired) token `token` as a dict, its use
        recorded; `None` for a wrong, revoked or expired one."""
        rows = self.env.db_query("SELECT %s FROM rpc_token WHERE hash=%%s"
                                 % ','.join(_COLUMNS), (_digest(token),))
        if not rows:
            return None
        found = _row_to_token(rows[0])
        now = datetime.now(utc)
        if found['expires'] and found['expires'] <= now:
            return None
        if found['last_used'] is None or \
                now - found['last_used'] > _TOUCH_INTERVAL or \
                found['last_address'] != address:
            self.env.db_transaction("""
                UPDATE rpc_token SET last_used=%s, last_address=%s
                WHERE id=%s""", (to_utimestamp(now), address or '',
                                 found['id']))
        return found


_BEARER_RE = re.compile(r'Bearer(?:\s+(\S*))?\s*$', re.IGNORECASE)
_BASIC_RE = re.compile(r'Basic\s+(\S+)\s*$', re.IGNORECASE)


def _is_token(username, secret):
    """Credentials that are a token: Bearer, or a Basic password that
    looks like one."""
    return username is None or secret.startswith(TOKEN_PREFIX)


class _Throttle(object):
    """Failed attempts per key (who was tried, from which address)
    within a sliding window, for at most `capacity` keys: the oldest are
    forgotten first, so attackers' addresses cannot fill the memory."""

    def __init__(self, capacity=10000):
        self._failures = collections.OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def blocked(self, key, limit, window):
        with self._lock:
            recent = [moment for moment in self._failures.get(key, ())
                      if moment > time.monotonic() - window]
            if recent:
                self._failures[key] = recent
            else:
                self._failures.pop(key, None)
            return len(recent) >= limit

    def failed(self, key):
        with self._lock:
            self._failures.setdefault(key, []).append(time.monotonic())
            self._failures.move_to_end(key)
            while len(self._failures) > self._capacity:
                self._failures.popitem(last=False)

    def __len__(self):
        return len(self._failures)


class TokenAuthenticator(Component):
    """Authenticates RPC requests that carry a token (Bearer, or Basic
    with the token as password) and, where TracAccountManager is
    enabled, Basic credentials checked against its password store (and
    its AccountGuard's lockout, as its login page).

    It never answers itself: a failed attempt is recorded on the request
    (its `RPCState`) and the RPC handler refuses the request with 401
    and a `WWW-Authenticate` header."""

    implements(IAuthenticator)

    auth_failures = IntOption('rpc', 'auth_failures', 10,
        """Failed token or password attempts allowed for one user name
        (or, for Bearer tokens, for any token) from one client address
        within `auth_failure_window` seconds; after that such attempts
        are refused (and logged) until the window has passed. Others --
        other users, other addresses -- are not affected.""")

    auth_failure_window = IntOption('rpc', 'auth_failure_window', 300,
        """Seconds over which `auth_failures` are counted.""")

    trusted_proxies = ListOption('rpc', 'trusted_proxies', '',
        doc="""Addresses of reverse proxies in front of Trac (e.g.
        `127.0.0.1`): for requests from them, the client's address (which
        the failed-attempt throttle counts by) is taken from their
        `X-Forwarded-For` header. Empty (the default): the connection's
        address, which behind a proxy is the proxy's.""")

    def __init__(self):
        self._throttle = _Throttle()

    # IAuthenticator

    def authenticate(self, req):
        header = req.get_header('Authorization')
        if not header or req.remote_user or not is_rpc_path(self.env, req):
            return None
        credentials = self._credentials(header)
        if credentials is None:
            return None
        username, secret = credentials
        if _is_token(username, secret) and is_api_page(self.env, req):
            return None  # tokens are for calls: the page is a web page
        username = self._normalised(username)
        address = self.client_address(req)
        key = (username or '(token)', address)
        if self._throttle.blocked(key, self.auth_failures,
                                  self.auth_failure_window):
            self.log.warning("RPC authentication of %s from %s refused: too "
                             "many failed attempts", key[0], address)
            return self._fail(req, 'Too many failed attempts: try later.')
        if _is_token(username, secret):
            return self._token_login(req, key, username, secret)
        if self._account_manager():
            return self._password_login(req, key, username, secret)
        return None

    def token_sent(self, req):
        """Tell whether `req` carries a token (valid or not)."""
        credentials = self._credentials(req.get_header('Authorization') or '')
        return credentials is not None and _is_token(*credentials)

    def client_address(self, req):
        """The client's address: the connection's, or behind a trusted
        proxy the last address its `X-Forwarded-For` names that is not
        itself a trusted proxy."""
        address = req.remote_addr
        if address not in self.trusted_proxies:
            return address
        forwarded = [hop.strip() for hop in
                     (req.get_header('X-Forwarded-For') or '').split(',')
                     if hop.strip()]
        for hop in reversed(forwarded):
            if hop not in self.trusted_proxies:
                return hop
        return address

    def owner_exists(self, username):
        """False for a user TracAccountManager has deleted: that user's
        tokens no longer work (without it, Trac keeps no accounts: every
        token owner exists)."""
        manager = self._account_manager()
        return manager is None or manager.has_user(username)

    # Internal methods

    def _token_login(self, req, key, username, secret):
        token = TokenStore(self.env).check(secret, key[1])
        if token and self.owner_exists(token['username']):
            owner = self._normalised(token['username'])
            if username is None or username == owner:
                return RPCState.of(req).authenticated(owner, token)
        return self._failed(req, key, 'Invalid, expired or revoked token.')

    def _password_login(self, req, key, username, secret):
        """Basic credentials checked as TracAccountManager's login page
        checks them, its AccountGuard's lockout included."""
        manager = self._account_manager()
        guard = self._account_guard()
        if guard and guard.user_locked(username):
            guard.failed_count(username, key[1])
            return self._failed(req, key, 'The account is locked after too '
                                          'many failed logins: try later.')
        if manager.check_password(username, secret):
            if guard:
                guard.failed_count(username, reset=True)
            return RPCState.of(req).authenticated(username)
        if guard:
            guard.failed_count(username, key[1])
        return self._failed(req, key, 'Wrong user name or password.')

    def _normalised(self, username):
        """`username` as Trac's login does it (`[trac] ignore_auth_case`
        lowers it)."""
        if username and self.config.getbool('trac', 'ignore_auth_case'):
            return username.lower()
        return username

    def _credentials(self, header):
        """`(username, secret)` of a Bearer or Basic header; `username`
        is `None` for Bearer."""
        match = _BEARER_RE.match(header)
        if match:
            return None, match.group(1) or ''
        match = _BASIC_RE.match(header)
        if not match:
            return None
        try:
            decoded = to_unicode(base64.b64decode(match.group(1),
                                                  validate=True))
        except (ValueError, binascii.Error):
            return None
        username, sep, secret = decoded.partition(':')
        return (username, secret) if sep else None

    def _account_manager(self):
        """TracAccountManager's `AccountManager`, when it is enabled."""
        try:
            from acct_mgr.api import AccountManager
        except ImportError:
            return None
        if not self.env.is_component_enabled(AccountManager):
            return None
        return AccountManager(self.env)

    def _account_guard(self):
        """TracAccountManager's `AccountGuard`, when it locks accounts."""
        from acct_mgr.guard import AccountGuard
        if not self.env.is_component_enabled(AccountGuard):
            return None
        guard = AccountGuard(self.env)
        return guard if guard.login_attempt_max_count > 0 else None

    def _failed(self, req, key, reason):
        self._throttle.failed(key)
        self.log.warning("RPC authentication failed for %s from %s: %s",
                         key[0], key[1], reason)
        return self._fail(req, reason)

    def _fail(self, req, reason):
        RPCState.of(req).failed(reason)
        return None
