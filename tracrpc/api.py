# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Interfaces, errors and the method registry of the RPC plugin.

A protocol (`IRPCProtocol`) turns a request body into a method name and
parameters and a result or error back into a response body; a provider
(`IXMLRPCHandler`) exposes methods under a namespace. `XMLRPCSystem` sits
between them: it builds the method table once, checks permissions and
arguments, and makes the call.
"""

import inspect
import re
import threading
import time
import types
import xmlrpc.client
from collections import namedtuple
from datetime import datetime

from trac.core import Component, ExtensionPoint, Interface, TracError, \
                      implements
from trac.config import BoolOption, IntOption
from trac.perm import IPermissionRequestor, PermissionError
from trac.resource import ResourceNotFound

from tracrpc.util import cleandoc_, compatibility_names, \
                         exception_to_unicode, of_this_plugin, \
                         parse_iso_datetime, to_unicode

__all__ = ['IRPCProtocol', 'IXMLRPCHandler', 'AbstractRPCHandler',
           'expose_rpc', 'exposed_methods', 'batched_by', 'checked_per',
           'Method', 'XMLRPCSystem', 'Binary', 'RPCError', 'MethodNotFound',
           'ProtocolException', 'InvalidRequest', 'InvalidParams',
           'ServiceException', 'ConflictError', 'CallOutcome',
           'UndecodedCall', 'MulticallResult', 'CallPolicy', 'RPCState',
           'error_code_and_message', 'API_VERSION', 'DATABASE_BUSY',
           'OUT_OF_TIME',
           # TracXMLRPC 1.2.0.dev0's, answered by `tracrpc.compat`
           'api_version']

#: `system.getAPIVersion()`: epoch 1, major 2 (compatible with the 1.2
#: line); the minor number grows with every addition to the API.
API_VERSION = [1, 2, 4]


class Binary(xmlrpc.client.Binary):
    """Binary data (an attachment's content) carried by an RPC call.

    `data` holds the bytes. XML-RPC sends it as `<base64>`, JSON-RPC as
    `{"__jsonclass__": ["binary", "<base64>"]}`.
    """


# -- Errors ---------------------------------------------------------------

class RPCError(TracError):
    """An error answered to the client as a fault with `code`.

    A `code` of `None` lets the protocol use its default for method errors
    (1 for XML-RPC, -32603 for JSON-RPC).
    """
    code = None

    def __init__(self, message, code=None, title=None, show_traceback=False):
        super().__init__(message, title, show_traceback)
        if code is not None:
            self.code = code


class MethodNotFound(RPCError):
    """No method of that name is exposed."""
    code = -32601


class ProtocolException(RPCError):
    """The request body could not be parsed."""
    code = -32700


class InvalidRequest(RPCError):
    """The request parsed but is not a valid call (no method name, ...)."""
    code = -32600


class InvalidParams(RPCError):
    """The arguments do not fit the method: none of its signatures, or a
    value it cannot take. `problem` says what is wrong; the message is
    `Invalid params: <problem>` (`Invalid params for <method>: ...` when
    `method` is given)."""
    code = -32602

    def __init__(self, problem, method=None):
        super().__init__('Invalid params%s: %s'
                         % (' for %s' % method if method else '', problem))


class ServiceException(RPCError):
    """A method failed for a reason the client can act upon."""


class ConflictError(ServiceException):
    """The resource changed since the client read it; nothing was saved.
    Read it again and retry."""
    code = 409


#: what the help of a method that changes nothing says about it
READ_ONLY_NOTE = 'Read-only: changes nothing; also callable with HTTP GET.'
#: ... about a heavy one
HEAVY_NOTE = 'Read-only: changes nothing; not callable with HTTP GET.'

#: code of a call refused because the database was busy (locked,
#: deadlocked): retrying the call is the remedy
DATABASE_BUSY = -32000

#: code of a call of a multicall (or batch) not made because the request
#: had used up `[rpc] max_request_time`: send it again in a new request
OUT_OF_TIME = -32001
_OUT_OF_TIME = ('Not called: the request used up its time ([rpc] '
                'max_request_time). Send the calls not made in another '
                'request.')

#: sqlite's result codes of a busy database: SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_BUSY = {5, 6}
#: what sqlite says with those codes (Python < 3.11 keeps no code)
_SQLITE_BUSY_TEXTS = ('database is locked', 'database table is locked')
#: PostgreSQL's SQLSTATEs: lock_not_available, serialization_failure,
#: deadlock_detected
_POSTGRES_BUSY = {'55P03', '40001', '40P01'}
#: MySQL's and MariaDB's error numbers: lock wait timeout, deadlock
_MYSQL_BUSY = {1205, 1213}


def database_is_busy(e):
    """Tell whether `e` is a database refusing work because another
    transaction holds what it needs (a lock, a deadlock, a serialisation
    conflict): retrying the call is the remedy. Recognised by each
    driver's error code, not by the message."""
    if type(e).__module__.startswith('sqlite3'):
        code = getattr(e, 'sqlite_errorcode', None)
        if code is not None:
            return code & 0xff in _SQLITE_BUSY
        return str(e) in _SQLITE_BUSY_TEXTS
    if type(e).__module__.startswith('psycopg2'):
        return getattr(e, 'pgcode', None) in _POSTGRES_BUSY
    if type(e).__module__.startswith('pymysql'):
        return bool(e.args) and e.args[0] in _MYSQL_BUSY
    return False


def error_code_and_message(e, default_code):
    """Map an exception to the `(code, message)` of a fault.

    This is the one place that decides what a client is told: permission
    errors are 403, missing resources 404, RPC errors carry their own code,
    a busy database (sqlite locked, a deadlock) is `DATABASE_BUSY` with a
    message saying to retry, anything else gets `default_code`. Messages
    of unexpected exceptions name only the exception type and text, never
    a traceback; errors from the operating system (which carry file
    paths) name only their type.
    """
    if isinstance(e, PermissionError):
        return 403, to_unicode(e)
    if isinstance(e, ResourceNotFound):
        return 404, to_unicode(e)
    code = getattr(e, 'code', None)
    if not isinstance(code, int) or isinstance(code, bool):
        code = default_code
    if isinstance(e, TracError):
        return code, to_unicode(e)
    if isinstance(e, OSError):
        return code, 'Internal error (%s)' % e.__class__.__name__
    text = exception_to_unicode(e)
    if database_is_busy(e):
        return DATABASE_BUSY, 'The database is busy (%s); nothing was ' \
                              'saved. Retry the call.' % text
    return code, 'Internal error: %s' % text


def log_rpc_error(log, e):
    """Log an error answered to a client: expected ones briefly,
    unexpected ones with their traceback (which the client never sees)."""
    if isinstance(e, (TracError, PermissionError)):
        log.info("RPC error: %s", exception_to_unicode(e))
    else:
        log.error("RPC internal error: %s",
                  exception_to_unicode(e, traceback=True))


# -- Interfaces -----------------------------------------------------------

class IRPCProtocol(Interface):
    """A wire format for RPC calls (XML-RPC, JSON-RPC, ...)."""

    def rpc_info():
        """Describe the protocol for the HTML listing.

        :return: a `(name, docs)` tuple; `docs` is wiki text
        """

    def rpc_match():
        """Tell which requests this protocol answers.

        :return: an iterable of `(path_item, content_type)` tuples: the
                 protocol is used for `/<path_item>` and
                 `/login/<path_item>` when the request's `Content-Type`
                 starts with `content_type`. The path item `rpc` is
                 shared by all protocols.
        """

    def parse_rpc_request(req, content_type):
        """Read and decode the request body.

        :param req: the request; its body is read with `req.read()`
        :param content_type: the matched content type
        :return: a dict with the key `method` (the method name) and
                 optionally `params` (a list of positional or a dict of
                 named arguments), plus anything the protocol needs later
                 (a JSON request id, for instance); or, for a batch of
                 calls (JSON-RPC 2.0), a dict whose `calls` is a list of
                 such dicts, each answered in its slot of a
                 `MulticallResult`. It is stored as `req.rpc`.
        :raise ProtocolException: when the body cannot be parsed
        """

    def send_rpc_result(req, result):
        """Encode `result` and send it (`req.send` raises `RequestDone`).

        `req.rpc` holds what `parse_rpc_request` returned. A
        `MulticallResult` is the outcome of `system.multicall`, or of
        the batch `req.rpc['calls']`.
        """

    def send_rpc_error(req, e):
        """Encode the exception `e` as the protocol's fault and send it.

        `req.rpc` may be missing when parsing failed. Use
        `error_code_and_message` for the code and text.
        """


class IXMLRPCHandler(Interface):
    """A provider of RPC methods under one namespace."""

    def xmlrpc_namespace():
        """:return: the namespace, e.g. `'ticket.milestone'`"""

    def xmlrpc_methods():
        """:return: an iterable of `(permission, signatures, callable)`
                    or `(permission, signatures, callable, name)` tuples.

        `permission` is the action required to call the method, or `None`
        when the method checks permissions per resource itself.
        `signatures` is a list of tuples `(return_type, *arg_types)` over
        `int, bool, str, float, datetime, Binary, list, dict, None`, one
        per accepted number of arguments. The callable receives the
        request followed by the arguments; `name` defaults to its name.
        """


def expose_rpc(permission, return_type, *arg_types, readonly=None,
               result=None, conflicts=None, heavy=None):
    """Decorator exposing a method of an `AbstractRPCHandler`, with the
    facts about it that the API page, `system.methodHelp`, the OpenRPC
    document and the docs show.

    Stack it once per signature, e.g. once for `get(name)` and once for
    `get(name, version)`; the keyword arguments may go on any of them::

        @expose_rpc('WIKI_VIEW', str, str, readonly=True)
        @expose_rpc('WIKI_VIEW', str, str, int)
        def getPage(self, req, pagename, version=None): ...

    `readonly` says whether the method changes nothing: only then may it
    be called over HTTP GET or with a read-only token. A method that
    does not say counts as changing data. `result` names the structure
    of the result where the return type alone does not tell it: a
    schema of the OpenRPC document (`'Ticket'`), `'<name>[]'` for an
    array of them, or `'int[]'`/`'string[]'`. `conflicts=True`: the
    method refuses a stale change token (`ConflictError`). `heavy=True`:
    a call may cost much time (rendering what the caller sends): it is
    never made over HTTP GET, which any web page can make a browser send.
    """
    def decorate(func):
        signatures = func.__dict__.setdefault('_rpc_signatures', [])
        signatures.insert(0, (return_type,) + tuple(arg_types))
        func._rpc_permission = permission
        for fact, value in (('readonly', readonly), ('result', result),
                            ('conflicts', conflicts), ('heavy', heavy)):
            if value is not None:
                setattr(func, '_rpc_' + fact, value)
        return func
    return decorate


def batched_by(batch_name):
    """Decorator giving an exposed method a batch form: the provider's
    method `batch_name`. `system.multicall` (and a JSON-RPC batch) hands
    each run of consecutive calls to methods with batch forms to those
    forms, once per method: 50 calls of `ticket.get`, even interleaved
    with calls of other methods with batch forms, are one batch call::

        @expose_rpc(None, list, int)
        @batched_by('_get_many')
        def get(self, req, id): ...

        def _get_many(self, req, calls): ...

    `calls` is a list of the calls' arguments, each a dict of argument
    name to value, already checked against the signatures (optional
    arguments the caller left out are absent). The batch form returns one
    entry per call, in order: its result, or the exception it failed
    with. It must answer exactly what the single calls, made one after
    another, would answer -- same permission checks, same errors -- only
    faster, e.g. by reading all the resources in one query.

    Only methods that change nothing may have a batch form: the calls of
    a run are reordered (grouped per method). A call to any other method
    ends the run, so a read after a write sees the write.
    """
    def decorate(func):
        func._rpc_batch = batch_name
        return func
    return decorate


def checked_per(realm, *actions):
    """Decorator telling what a method exposed with permission `None`
    checks per resource: one of `actions` on each `realm` resource it
    touches. `system.listMethods` and the API page list the method for
    callers who hold one of `actions` on the realm as a whole (as Trac's
    navigation does), and show the permission::

        @expose_rpc(None, list, int)
        @checked_per('ticket', 'TICKET_VIEW')
        def get(self, req, id): ...

    A method without it is listed for every caller ("by resource").
    """
    def decorate(func):
        func._rpc_checked_per = (realm, actions)
        return func
    return decorate


class AbstractRPCHandler(Component):
    """Base class of providers whose methods carry `@expose_rpc`."""
    implements(IXMLRPCHandler)
    abstract = True

    def xmlrpc_namespace(self):
        raise NotImplementedError

    def xmlrpc_methods(self):
        return exposed_methods(self)


def exposed_methods(provider):
    """The `xmlrpc_methods()` of a provider whose methods carry
    `@expose_rpc`."""
    for name, member in inspect.getmembers(type(provider)):
        signatures = getattr(member, '_rpc_signatures', None)
        if signatures:
            yield (member._rpc_permission, signatures,
                   getattr(provider, name), name)


# -- Methods --------------------------------------------------------------

RPC_TYPES = {int: 'int', bool: 'boolean', str: 'string', float: 'double',
             datetime: 'dateTime.iso8601', Binary: 'base64', list: 'array',
             dict: 'struct', None: 'nil'}


def _type_name(type_):
    return RPC_TYPES.get(type_, getattr(type_, '__name__', str(type_)))


#: the integers a call may carry: 64-bit signed, as XML-RPC's `<i8>` and
#: every database Trac supports
_INT_RANGE = range(-2 ** 63, 2 ** 63)


def _is_binary(value):
    """Binary data is anything whose `data` holds bytes: our `Binary`,
    `xmlrpc.client.Binary`, a third-party protocol's wrapper."""
    return isinstance(getattr(value, 'data', None), (bytes, bytearray))


def _type_matches(value, type_):
    if type_ is None:
        return value is None
    if type_ is int:
        return isinstance(value, int) and not isinstance(value, bool) and \
            value in _INT_RANGE
    if type_ is Binary:
        return _is_binary(value)
    if type_ is float:
        return isinstance(value, (int, float)) and \
               not isinstance(value, bool)
    if type_ is bool:
        return isinstance(value, (bool, int))
    if type_ is list:
        return isinstance(value, (list, tuple))
    return isinstance(value, type_)


def _as_value(result):
    """A method's result as a value the protocols encode (generators and
    tuples become lists)."""
    if isinstance(result, (types.GeneratorType, tuple, map, filter)):
        return list(result)
    return result


def _coerce(value, type_):
    if value is None:
        return value
    if type_ is float:
        return float(value)
    if type_ is bool:
        return bool(value)
    if type_ is Binary and not isinstance(value, Binary):
        return Binary(value.data)
    return value


#: what one resource of a realm is called, where the realm's name is
#: not the word
_REALM_NOUNS = {'wiki': 'wiki page'}


class Method(object):
    """An exposed method: its name, permission, signatures and help.

    Built once by `XMLRPCSystem`; calling it checks the arguments against
    the signatures (values a method itself cannot take, it refuses with
    `InvalidParams` too). `batch` is the batch form (see `batched_by`),
    or `None`.
    """

    def __init__(self, provider, permission, signatures, callable_,
                 name=None):
        self.provider = provider
        #: the serving component's class path, e.g. `tracrpc.ticket.TicketRPC`
        self.component = '%s.%s' % (type(provider).__module__,
                                    type(provider).__name__)
        #: exposed by this plugin (not by another one)
        self.builtin = of_this_plugin(provider)
        self.namespace = provider.xmlrpc_namespace()
        self.name = '%s.%s' % (self.namespace, name or callable_.__name__)
        self.permission = permission
        self.signatures = [tuple(signature) for signature in signatures]
        self.callable = callable_
        #: `(realm, actions)` from `checked_per`, or `None`
        self.checked_per = getattr(callable_, '_rpc_checked_per', None)
        #: declared to change nothing (`expose_rpc(..., readonly=True)`)
        self.readonly = getattr(callable_, '_rpc_readonly', False)
        #: the structure of the result (`expose_rpc(..., result=...)`)
        self.result = getattr(callable_, '_rpc_result', None)
        #: refuses a stale change token (`expose_rpc(..., conflicts=True)`)
        self.conflicts = getattr(callable_, '_rpc_conflicts', False)
        #: may cost much time: never over GET (`expose_rpc(..., heavy=True)`)
        self.heavy = getattr(callable_, '_rpc_heavy', False)
        self.batch = self._batch_form(provider, callable_)
        self.description = cleandoc_(callable_.__doc__)
        params = list(inspect.signature(callable_).parameters.values())[1:]
        self.arg_names = [p.name for p in params]
        self._optional = {p.name for p in params
                          if p.default is not inspect.Parameter.empty}
        self._arg_types = {}
        for signature in self.signatures:
            for arg_name, type_ in zip(self.arg_names, signature[1:]):
                self._arg_types.setdefault(arg_name, type_)
        self.signature = '\n'.join(self._signature_line(signature)
                                   for signature in self.signatures)

    def _batch_form(self, provider, callable_):
        batch_name = getattr(callable_, '_rpc_batch', None)
        if batch_name is None:
            return None
        batch = getattr(provider, batch_name, None)
        if not callable(batch):
            raise TypeError('%s names the batch form %s, which %s does not '
                            'have' % (self.name, batch_name,
                                      type(provider).__name__))
        return batch

    def _signature_line(self, signature):
        args = ', '.join('%s %s' % (_type_name(type_), arg_name)
                         for type_, arg_name
                         in zip(signature[1:], self.arg_names))
        return '%s %s(%s)' % (_type_name(signature[0]), self.name, args)

    @property
    def permission_label(self):
        """The permission as the API page shows it."""
        if self.permission:
            return self.permission
        if self.checked_per:
            realm, actions = self.checked_per
            return '%s, checked per %s' % (' or '.join(actions),
                                           _REALM_NOUNS.get(realm, realm))
        return 'By resource'

    @property
    def facts(self):
        """What is declared about the method besides its signatures, as
        the docs' method table and `system.methodHelp` say it: its
        permission, then `read-only`, `result <schema>`, `conflicts`
        where declared."""
        facts = [self.permission_label]
        if self.readonly:
            facts.append('read-only')
        if self.result:
            facts.append('result %s' % self.result)
        if self.conflicts:
            facts.append('conflicts')
        if self.heavy:
            facts.append('not over GET')
        return facts

    def may_be_listed(self, perm):
        """Tell whether a user with `perm` may call the method at all:
        holds its permission, or one of the actions it checks per
        resource on the realm as a whole."""
        if self.permission:
            return self.permission in perm
        if self.checked_per:
            realm, actions = self.checked_per
            realm_perm = perm(realm)
            return any(action in realm_perm for action in actions)
        return True

    def parameters(self):
        """The parameters over all signatures, by position: `(name,
        types, required)`; `types` are the types the signatures accept
        there, `required` when every signature has the position."""
        arities = [len(signature) - 1 for signature in self.signatures]
        parameters = []
        for index in range(max(arities)):
            types = []
            for signature in self.signatures:
                if len(signature) > index + 1 and \
                        signature[index + 1] not in types:
                    types.append(signature[index + 1])
            name = self.arg_names[index] if index < len(self.arg_names) \
                else 'arg%d' % index
            parameters.append((name, types, index < min(arities)))
        return parameters

    def xmlrpc_signatures(self):
        """The signatures as type names, `'return,arg1,...'` each."""
        return [','.join(_type_name(type_) for type_ in signature)
                for signature in self.signatures]

    def __call__(self, req, args):
        """Call the method in-process, as plugins did with TracXMLRPC
        1.1: check its permission and `args` (a list or a dict); return
        the result as a 1-tuple `(result,)`.

        :raise PermissionError: when the method's permission is missing
        """
        if self.permission:
            req.perm.require(self.permission)
        return (self.invoke(req, args),)

    def invoke(self, req, params):
        """Check `params` (list or dict) and call the method; return its
        result. The caller has checked the method's permission."""
        args, kwargs = self._bind(params)
        return _as_value(self.callable(req, *args, **kwargs))

    def arguments(self, params):
        """Check `params` (list or dict); return them as a dict of
        argument name to value, the form a batch takes."""
        args, kwargs = self._bind(params)
        kwargs.update(zip(self.arg_names, args))
        return kwargs

    def call_batch(self, req, calls):
        """Call the batch form with `calls` (from `arguments`); return
        one result or exception per call."""
        results = list(self.batch(req, calls))
        if len(results) != len(calls):
            raise TypeError('The batch form of %s answered %d of %d calls'
                            % (self.name, len(results), len(calls)))
        return [result if isinstance(result, Exception)
                else _as_value(result) for result in results]

    def _invalid(self, problem):
        return InvalidParams('%s. Expected: %s'
                             % (problem,
                                ' or '.join(self.signature.splitlines())),
                             self.name)

    def _bind(self, params):
        """`(args, kwargs)` for the callable. The signatures of this
        plugin's methods check the argument types, taking what TracXMLRPC
        has always taken where the meaning is plain (see `_lenient`);
        those of other plugins' methods only document them, as in
        TracXMLRPC, so only the number of arguments is checked."""
        if params is None:
            params = []
        if isinstance(params, dict):
            return [], self._bind_named(params)
        if not isinstance(params, (list, tuple)):
            raise self._invalid('params must be a list or an object')
        candidates = [s for s in self.signatures if len(s) - 1 == len(params)]
        if not candidates:
            raise self._invalid('%d argument(s) given' % len(params))
        for signature in candidates:
            if self._first_mismatch(params, signature[1:]) is None:
                return [_coerce(value, type_) for value, type_
                        in zip(params, signature[1:])], {}
        if not self.builtin:
            return list(params), {}
        for signature in candidates:
            converted = [self._lenient(name, value, type_) for name, value,
                         type_ in zip(self.arg_names, params, signature[1:])]
            if _UNCONVERTIBLE not in converted:
                return converted, {}
        index = self._first_mismatch(params, candidates[0][1:])
        raise self._wrong_type(self.arg_names[index], params[index],
                               candidates[0][index + 1])

    def _first_mismatch(self, values, arg_types):
        for index, (value, type_) in enumerate(zip(values, arg_types)):
            if not self._accepts(self.arg_names[index], value, type_):
                return index
        return None

    def _accepts(self, arg_name, value, type_):
        if value is None and arg_name in self._optional:
            return True
        return _type_matches(value, type_)

    def _wrong_type(self, arg_name, value, type_):
        if type_ is int and isinstance(value, int) and \
                not isinstance(value, bool):
            return self._invalid('argument "%s" is out of range (64-bit '
                                 'signed integers only)' % arg_name)
        return self._invalid('argument "%s" must be %s, not %s'
                             % (arg_name, _type_name(type_),
                                _type_name(type(value))))

    def _bind_named(self, params):
        unknown = sorted(set(params) - set(self.arg_names))
        if unknown:
            raise self._invalid('unknown argument(s) %s' % ', '.join(unknown))
        missing = [name for name in self.arg_names
                   if name not in params and name not in self._optional]
        if missing:
            raise self._invalid('missing argument(s) %s' % ', '.join(missing))
        kwargs = {}
        for arg_name, value in params.items():
            type_ = self._arg_types.get(arg_name)
            if type_ is not None or arg_name in self._arg_types:
                taken = self._lenient(arg_name, value, type_)
                if taken is not _UNCONVERTIBLE:
                    value = taken
                elif self.builtin:
                    raise self._wrong_type(arg_name, value, type_)
            kwargs[arg_name] = value
        return kwargs

    def _lenient(self, arg_name, value, type_):
        """`value` as the method takes it for an argument of `type_`:
        as it is when it fits, converted where TracXMLRPC took it so
        (`_lenient`, for this plugin's methods), else `_UNCONVERTIBLE`."""
        if self._accepts(arg_name, value, type_):
            return _coerce(value, type_)
        return _lenient(value, type_) if self.builtin else _UNCONVERTIBLE


_UNCONVERTIBLE = object()
_INTEGER_TEXT = re.compile(r'\s*[-+]?\d+\s*$')


def _lenient(value, type_):
    """`value` converted to `type_` where TracXMLRPC took it so and the
    meaning is plain -- a string of digits for an int, an int for a
    string (enum positions, version names), an ISO 8601 string for a
    date-time -- or `_UNCONVERTIBLE`."""
    if type_ is int and isinstance(value, str) and \
            _INTEGER_TEXT.match(value) and int(value) in _INT_RANGE:
        return int(value)
    if type_ is str and isinstance(value, int) and \
            not isinstance(value, bool):
        return str(value)
    if type_ is datetime and isinstance(value, str):
        try:
            return parse_iso_datetime(value)
        except ValueError:
            return _UNCONVERTIBLE
    return _UNCONVERTIBLE


# -- The registry and system.* -------------------------------------------

class CallOutcome(namedtuple('CallOutcome', 'request result error')):
    """One call of a `system.multicall`: the sub-request as the protocol
    parsed it, and either its `result` or its `error` (an exception)."""


class UndecodedCall(dict):
    """A call of a multicall that its protocol could not decode: the
    call's own data (its id, say) and the `error` answered in its slot."""

    def __init__(self, call, error):
        super().__init__(call)
        self.error = error


class MulticallResult(list):
    """What `system.multicall` returns.

    As a list it has TracXMLRPC 1.1's shape, which third-party protocols
    (TracRpcProtocols' Hessian and AMF) encode: per call, `(result,)`
    for a success or the exception the call failed with. `outcomes` is
    the same as `CallOutcome`s, with each call's request (its JSON-RPC
    id, say), for protocols that answer per call."""

    def __init__(self, outcomes):
        super().__init__((outcome.result,) if outcome.error is None
                         else outcome.error for outcome in outcomes)
        self.outcomes = outcomes


class CallPolicy(object):
    """What the caller of one request may do, decided once per request
    and applied to each of its calls (a multicall's or batch's too).

    `principal` is the user the calls run as; `readonly_because` says
    why only methods declared read-only may run (`'with HTTP GET'`,
    `'with a read-only token'`: the end of "... cannot be called ..."),
    `None` for full scope; `via_get` refuses heavy methods too;
    `max_calls` bounds one multicall or batch, and `max_seconds` the time
    its calls may take together (the calls not made by then fail).
    """

    def __init__(self, principal, readonly_because=None, max_calls=1000,
                 via_get=False, max_seconds=None):
        self.principal = principal
        self.readonly_because = readonly_because
        self.max_calls = max_calls
        self.via_get = via_get
        self.deadline = time.monotonic() + max_seconds \
            if max_seconds else None

    @property
    def scope(self):
        """`'read-only'` or `'full'`."""
        return 'read-only' if self.readonly_because else 'full'

    def refusal(self, method):
        """Why `method` may not be called under this policy, or `None`."""
        if self.readonly_because and not method.readonly:
            return '%s changes data, so it cannot be called %s.' \
                   % (method.name, self.readonly_because)
        if self.via_get and method.heavy:
            return '%s can take long, so it cannot be called with HTTP ' \
                   'GET; use POST.' % method.name
        return None

    def out_of_time(self):
        """Tell whether the request has used up its time."""
        return self.deadline is not None and time.monotonic() > self.deadline


class RPCState(object):
    """The plugin's state of one request, shared by the token
    authenticator (who the caller is and how that was proved) and the
    request handler (the protocol and the call policy). `of(req)` gives
    it; it lives as long as the request."""

    _KEY = 'tracrpc.state'

    def __init__(self):
        #: the user the request's own credentials proved, or `None`
        self.principal = None
        #: the token (a dict, see `tokens.TokenStore`) that did, or `None`
        self.token = None
        #: why the credentials the request carried failed, or `None`
        self.auth_failure = None
        #: the `IRPCProtocol` answering the request
        self.protocol = None
        #: the `CallPolicy`, once the request handler has decided it
        self.policy = None
        #: answers of at least this many bytes are gzipped (the client
        #: accepts gzip); `None`: never
        self.compress_above = None

    @classmethod
    def of(cls, req):
        """The state of `req`, made on first use."""
        state = req.environ.get(cls._KEY)
        if state is None:
            state = req.environ[cls._KEY] = cls()
        return state

    @property
    def token_id(self):
        return self.token['id'] if self.token else None

    @property
    def readonly_token(self):
        return bool(self.token and self.token['readonly'])

    def authenticated(self, username, token=None):
        """The request's own credentials (not a login cookie) proved
        `username`; return it."""
        self.principal = username
        self.token = token
        return username

    def failed(self, reason):
        """The request's credentials failed for `reason`."""
        self.auth_failure = reason


class XMLRPCSystem(Component):
    """The method registry, and the `system` namespace."""

    implements(IPermissionRequestor, IXMLRPCHandler)

    method_handlers = ExtensionPoint(IXMLRPCHandler)

    max_multicall = IntOption('rpc', 'max_multicall', 1000,
        """Most calls one `system.multicall` (or one JSON-RPC batch) may
        carry; a longer one is refused as a whole.""")

    max_request_time = IntOption('rpc', 'max_request_time', 10,
        """Seconds the calls of one `system.multicall` (or JSON-RPC
        batch) may take together; the calls not started by then fail in
        their slots (code -32001), so that one request cannot hold a
        server thread for long. 0: no limit.""")

    sqlite_write_lock = BoolOption('rpc', 'sqlite_write_lock', 'true',
        """On sqlite, let the calls that change data wait for each other
        in the server process instead of in sqlite's busy handler, which
        sleeps in steps of up to 100 ms: the slowest writes get several
        times faster when clients write at once. A call holds the lock
        until it returns, notification mail included: turn it off if
        mail goes to a slow server.""")

    max_depth = IntOption('rpc', 'max_depth', 64,
        """Deepest nesting of lists and structs accepted in a request;
        a deeper request is refused as a parse error.""")

    def __init__(self):
        self._methods = None
        self._serialize_writes = self.sqlite_write_lock and \
            self.config.get('trac', 'database').startswith('sqlite:')
        self._sqlite_writes = threading.RLock()

    # IPermissionRequestor

    def get_permission_actions(self):
        return ['XML_RPC']

    # Registry

    @property
    def methods(self):
        """All exposed methods by name, built on first use.

        When two providers expose one name, another plugin's method
        overrides this plugin's own (a site enables a plugin to get its
        behaviour), and between two other plugins the first in Trac's
        component order serves, as in TracXMLRPC; each such case is
        logged as a warning naming both components."""
        if self._methods is None:
            methods = {}
            for provider in self.method_handlers:
                for spec in provider.xmlrpc_methods():
                    method = Method(provider, *spec)
                    methods[method.name] = self._serving(
                        methods.get(method.name), method)
            self._methods = methods
        return self._methods

    def _serving(self, known, method):
        """Which of two methods of one name serves it."""
        if known is None:
            return method
        winner, loser = (method, known) \
            if known.builtin and not method.builtin else (known, method)
        self.log.warning("RPC method %s of %s overrides the one of %s",
                         winner.name, winner.component, loser.component)
        return winner

    def get_method(self, name):
        """Return the `Method` called `name`: the one place a call's
        method name is checked.

        :raise InvalidRequest: when `name` is no string (a call without
                               a method name)
        :raise MethodNotFound: when there is no such method
        """
        if not isinstance(name, str):
            raise InvalidRequest('Invalid request: no method name')
        method = self.methods.get(name)
        if method is None:
            raise MethodNotFound('RPC method "%s" not found' % name)
        return method

    def all_methods(self, req):
        """The methods the user of `req` may call, sorted by name."""
        return [method for name, method in sorted(self.methods.items())
                if method.may_be_listed(req.perm)]

    def call(self, req, call, policy):
        """Make one `call` (a dict with `method` and optional `params`, a
        list or a dict of arguments) for `req`, as `policy` allows:
        together with `call_many`, the only way a call is made.

        :raise MethodNotFound: for an unknown method
        :raise PermissionError: when the method's permission is missing
        :raise RPCError: (403) when `policy` forbids the method
        :raise InvalidParams: when the params fit no signature
        """
        method = self._permitted_method(req, call.get('method'), policy)
        return self._invoke(req, method, call.get('params'))

    def call_many(self, req, calls, policy):
        """Make `calls` (a `system.multicall`, a JSON-RPC batch) for
        `req`, each as `policy` allows; return a `MulticallResult`. One
        failing call (a write under a read-only policy, say) fails in
        its slot and the others go on. Consecutive reads with a batch
        form are answered together, per method (see `batched_by`).

        :raise InvalidParams: for more calls than `policy` allows
        """
        if len(calls) > policy.max_calls:
            raise InvalidParams('%d calls; at most %d are allowed'
                                % (len(calls), policy.max_calls),
                                'system.multicall')
        outcomes = [None] * len(calls)
        # the waiting run: method -> (indices of its calls, their arguments)
        run = {}
        for index, call in enumerate(calls):
            try:
                if policy.out_of_time():
                    raise RPCError(_OUT_OF_TIME, code=OUT_OF_TIME)
                method = self._method_of_call(req, call, policy)
                if method.batch is None:
                    self._finish(req, run, calls, outcomes)
                    outcomes[index] = CallOutcome(
                        call, self._invoke(req, method, call.get('params')),
                        None)
                else:
                    indices, arguments = run.setdefault(method, ([], []))
                    arguments.append(method.arguments(call.get('params')))
                    indices.append(index)
            except Exception as e:
                outcomes[index] = self._failure(call, e)
        self._finish(req, run, calls, outcomes)
        return MulticallResult(outcomes)

    def _invoke(self, req, method, params):
        """Call `method`; on sqlite, a method that changes data waits for
        the other writers of this process first. sqlite lets one writer
        in at a time, and a writer that finds the database locked sleeps
        in steps of up to 100 ms before it tries again: waiting for a
        lock of our own instead takes no longer than the write ahead."""
        if method.readonly or not self._serialize_writes:
            return method.invoke(req, params)
        with self._sqlite_writes:
            return method.invoke(req, params)

    def _permitted_method(self, req, name, policy):
        """The method `name`, once its permission and `policy` allow it."""
        method = self.get_method(name)
        if method.permission:
            req.perm.require(method.permission)
        refusal = policy.refusal(method)
        if refusal:
            raise RPCError(refusal, code=403)
        return method

    def _method_of_call(self, req, call, policy):
        if isinstance(call, UndecodedCall):
            raise call.error
        if not isinstance(call, dict):
            raise InvalidRequest('A call in system.multicall must be a '
                                 'struct/object')
        # `methodName`: XML-RPC's multicall convention, which protocols
        # written for TracXMLRPC 1.1 (TracRpcProtocols' AMF) hand over
        name = call.get('methodName', call.get('method'))
        if name == 'system.multicall':
            raise InvalidRequest('system.multicall cannot be nested')
        return self._permitted_method(req, name, policy)

    def _finish(self, req, run, calls, outcomes):
        """Make the calls of `run` through their batch forms."""
        for method, (indices, arguments) in run.items():
            try:
                results = method.call_batch(req, arguments)
            except Exception as e:
                results = [e] * len(arguments)
            for index, result in zip(indices, results):
                call = calls[index]
                outcomes[index] = self._failure(call, result) \
                    if isinstance(result, Exception) \
                    else CallOutcome(call, result, None)
        run.clear()

    def _failure(self, call, e):
        log_rpc_error(self.log, e)
        return CallOutcome(call, None, e)

    def policy(self, req):
        """The `CallPolicy` of `req`: the one its RPC request was given,
        or, for a caller in-process, full scope for its user."""
        state = RPCState.of(req)
        if state.policy is None:
            state.policy = CallPolicy(req.authname, None, self.max_multicall,
                                      max_seconds=self.max_request_time)
        return state.policy

    # IXMLRPCHandler

    def xmlrpc_namespace(self):
        return 'system'

    def xmlrpc_methods(self):
        return exposed_methods(self)

    @expose_rpc('XML_RPC', list, list, readonly=True,
                result='MulticallAnswers')
    def multicall(self, req, signatures):
        """Make several calls in one request.

        Takes a list of calls: `{"methodName": name, "params": [...]}` in
        XML-RPC, request objects
        `{"method": name, "params": [...], "id": id}` in JSON-RPC.
        Returns one entry per call, in order: in
        XML-RPC `[result]` or a `{faultCode, faultString}` struct, in
        JSON-RPC a response object with the call's own id. One failing
        call does not stop the others; `system.multicall` cannot be
        nested. Calls run in order, except that consecutive reads with a
        batch form (e.g. `ticket.get`) are answered together, per
        method: a multicall of many such reads is much cheaper than
        separate calls. A read after a write sees the write. It changes
        nothing by itself: with a read-only token or over GET, its reads
        are answered and each call that changes data is refused (403)
        in its slot."""
        return self.call_many(req, signatures, self.policy(req))

    @expose_rpc('XML_RPC', list, readonly=True, result='string[]')
    def listMethods(self, req):
        """Return the names of all methods you may call."""
        return [method.name for method in self.all_methods(req)]

    @expose_rpc('XML_RPC', str, str, readonly=True)
    def methodHelp(self, req, method):
        """Return the help of a method: its signature lines, a blank line,
        then its description; last, for a method that changes nothing, a
        line saying so and whether it can also be called with GET."""
        method = self.get_method(method)
        help = '%s\n\n%s' % (method.signature, method.description)
        if method.readonly:
            help += '\n\n' + (HEAVY_NOTE if method.heavy else READ_ONLY_NOTE)
        return help

    @expose_rpc('XML_RPC', list, str, readonly=True, result='string[]')
    def methodSignature(self, req, method):
        """Return the signatures of a method, each a string of type names
        separated by commas, the return type first (e.g.
        `"array,int"` for `ticket.get`)."""
        return self.get_method(method).xmlrpc_signatures()

    @expose_rpc('XML_RPC', list, readonly=True, result='APIVersion')
    def getAPIVersion(self, req):
        """Return the API version as `[epoch, major, minor]`.

        Epoch 1, major 2 is the API of TracXMLRPC 1.2; the minor number
        grows as methods are added. Clients should check `major`."""
        return list(API_VERSION)


__getattr__ = compatibility_names(__name__)
