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
import hashlib
import re
import secrets
import threading
import time
from datetime import datetime, timedelta

from trac.config import IntOption
from trac.core import Component, TracError, implements
from trac.db.api import DatabaseManager
from trac.db.schema import Column, Index, Table
from trac.env import IEnvironmentSetupParticipant
from trac.util.datefmt import from_utimestamp, to_utimestamp, utc
from trac.web.api import IAuthenticator

from tracrpc.api import RPCState
from tracrpc.request import is_rpc_path
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


class TokenStore(Component):
    """The `rpc_token` table: making, listing, checking and revoking
    tokens."""

    implements(IEnvironmentSetupParticipant)

    # IEnvironmentSetupParticipant

    def environment_created(self):
        self.upgrade_environment()

    def environment_needs_upgrade(self):
        return DatabaseManager(self.env).needs_upgrade(SCHEMA_VERSION,
                                                       SCHEMA_NAME)

    def upgrade_environment(self):
        manager = DatabaseManager(self.env)
        if manager.get_database_version(SCHEMA_NAME) == 0:
            manager.create_tables(SCHEMA)
        manager.set_database_version(SCHEMA_VERSION, SCHEMA_NAME)

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


_BEARER_RE = re.compile(r'Bearer\s+(\S+)\s*$', re.IGNORECASE)
_BASIC_RE = re.compile(r'Basic\s+(\S+)\s*$', re.IGNORECASE)


class _Throttle(object):
    """Failed attempts per client address within a sliding window."""

    def __init__(self):
        self._failures = {}
        self._lock = threading.Lock()

    def blocked(self, address, limit, window):
        with self._lock:
            recent = [moment for moment in self._failures.get(address, ())
                      if moment > time.monotonic() - window]
            self._failures[address] = recent
            return len(recent) >= limit

    def failed(self, address):
        with self._lock:
            self._failures.setdefault(address, []).append(time.monotonic())


class TokenAuthenticator(Component):
    """Authenticates RPC requests that carry a token (Bearer, or Basic
    with the token as password) and, where TracAccountManager is
    enabled, Basic credentials checked against its password store.

    It never answers itself: a failed attempt is recorded on the request
    (its `RPCState`) and the RPC handler refuses
    the request with 401 and a `WWW-Authenticate` header."""

    implements(IAuthenticator)

    auth_failures = IntOption('rpc', 'auth_failures', 10,
        """Failed token or password attempts allowed per client address
        within `auth_failure_window` seconds; after that every attempt
        from that address is refused (and logged) until the window has
        passed.""")

    auth_failure_window = IntOption('rpc', 'auth_failure_window', 300,
        """Seconds over which `auth_failures` are counted.""")

    _throttle = _Throttle()

    # IAuthenticator

    def authenticate(self, req):
        header = req.get_header('Authorization')
        if not header or req.remote_user or not is_rpc_path(self.env, req):
            return None
        credentials = self._credentials(header)
        if credentials is None:
            return None
        address = req.remote_addr
        if self._throttle.blocked(address, self.auth_failures,
                                  self.auth_failure_window):
            self.log.warning("RPC authentication from %s refused: too many "
                             "failed attempts", address)
            return self._fail(req, 'Too many failed attempts: try later.')
        username, secret = credentials
        if secret.startswith(TOKEN_PREFIX):
            token = TokenStore(self.env).check(secret, address)
            if token and (username is None or username == token['username']):
                return RPCState.of(req).authenticated(token['username'],
                                                      token)
            return self._failed(req, address, username,
                                'Invalid, expired or revoked token.')
        if username is not None and self._account_manager():
            if self._account_manager().check_password(username, secret):
                return RPCState.of(req).authenticated(username)
            return self._failed(req, address, username,
                                'Wrong user name or password.')
        return None

    # Internal methods

    def _credentials(self, header):
        """`(username, secret)` of a Bearer or Basic header; `username`
        is `None` for Bearer."""
        match = _BEARER_RE.match(header)
        if match:
            return None, match.group(1)
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

    def _failed(self, req, address, username, reason):
        self._throttle.failed(address)
        self.log.warning("RPC authentication failed from %s%s: %s", address,
                         ' for %s' % username if username else '', reason)
        return self._fail(req, reason)

    def _fail(self, req, reason):
        RPCState.of(req).failed(reason)
        return None
