# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Helpers shared by the protocols and providers.

Third-party protocol plugins (TracRpcProtocols, for one) import several of
these names, so they are part of the public API: `cleandoc_`, `gettext`,
`to_b`, `to_unicode`, `accepts_mimetype`, `prepare_docs`,
`exception_to_unicode`, `to_utimestamp`, `from_utimestamp`.
"""

import importlib.resources
import inspect
import re
import zlib
from datetime import datetime, timedelta, timezone

from trac.core import TracError
from trac.util.datefmt import from_utimestamp, to_utimestamp, utc
from trac.util.text import exception_to_unicode, to_unicode
from trac.util.translation import dgettext, domain_functions
from trac.web.api import RequestDone

__all__ = ['cleandoc_', 'gettext', '_', 'ngettext', 'tag_', 'add_domain',
           'i18n_domain', 'to_b', 'to_unicode', 'accepts_mimetype',
           'prepare_docs', 'exception_to_unicode', 'to_utimestamp',
           'from_utimestamp', 'recorded_author', 'utc_fields',
           'replace_xml_illegal', 'replace_surrogates', 'parse_iso_datetime',
           'walk', 'NestingTooDeep', 'request_content_type', 'send_body',
           'refuse_if_invalid', 'email_shield', 'USER_FIELDS',
           'of_this_plugin',
           'XML_ILLEGAL']

#: the plugin's message domain (its catalogs: tracrpc/locale)
i18n_domain = 'tracrpc'
add_domain, ngettext, tag_ = domain_functions(i18n_domain, 'add_domain',
                                              'ngettext', 'tag_')


def add_plugin_domain(env):
    """Make the plugin's catalogs (`tracrpc/locale`) answer its message
    domain in `env` (each component that shows text calls it)."""
    add_domain(env.path, str(importlib.resources.files('tracrpc') /
                             'locale'))


def gettext(msgid, **kwargs):
    """`msgid` translated in the plugin's domain (the user's language,
    as Trac negotiated it), with `%(name)s` filled from `kwargs`."""
    return dgettext(i18n_domain, msgid, **kwargs)


_ = gettext


def cleandoc_(text):
    """Return `text` with its common indentation removed ('' for None)."""
    return inspect.cleandoc(text) if text else ''


def to_b(text):
    """Return `text` as UTF-8 `bytes` (bytes pass through unchanged)."""
    if isinstance(text, bytes):
        return text
    return str(text).encode('utf-8')


def accepts_mimetype(req, mimetype):
    """Tell whether the request's `Accept` header lists `mimetype` (or
    one of the tuple `mimetype`), by prefix; a request without `Accept`
    accepts anything when it is a GET (as in TracXMLRPC)."""
    if isinstance(mimetype, str):
        mimetype = (mimetype,)
    accept = req.get_header('Accept')
    if accept is None:
        return req.method == 'GET'
    return any(part.strip().startswith(wanted)
               for part in accept.split(',') for wanted in mimetype)


def prepare_docs(text, indent=4):
    """Remove up to `indent` leading spaces from every line of `text`."""
    if not text:
        return ''
    prefix = re.compile('^ {0,%d}' % indent, re.MULTILINE)
    return prefix.sub('', text)


def of_this_plugin(component):
    """Tell whether `component` (a provider, a protocol) is one of this
    plugin's own, not another plugin's."""
    return type(component).__module__.split('.', 1)[0] == 'tracrpc'


def recorded_author(req, requested, admin_action, resource=None):
    """Who a change is recorded for: the caller, unless the caller is
    anonymous (who may name themselves, as in the web UI) or holds
    `admin_action` (on `resource`); then `requested`, when given."""
    perm = req.perm(resource) if resource is not None else req.perm
    if requested and (req.authname == 'anonymous' or admin_action in perm):
        return requested
    return req.authname


#: the fields (and report columns) that hold user names or e-mail
#: addresses, which Trac's web UI shields
USER_FIELDS = ('reporter', 'owner', 'cc', 'author')
_EMAIL_DOMAIN = re.compile(r'@[^\s,;<>"]+')


def email_shield(env, req, resource=None):
    """A function hiding the e-mail addresses in a user name or a list
    of them (`joe@example.org` becomes `joe@…`) from the user of `req`,
    as Trac's web UI does unless `[trac] show_email_addresses` is on or
    the user holds EMAIL_VIEW (on `resource`); the identity otherwise.
    Other values pass unchanged."""
    from trac.web.chrome import Chrome
    if Chrome(env).show_email_addresses or \
            'EMAIL_VIEW' in req.perm(resource):
        return _unchanged
    return _shielded


def _unchanged(value):
    return value


def _shielded(value):
    if isinstance(value, str) and '@' in value:
        return _EMAIL_DOMAIN.sub('@\u2026', value)
    return value


def refuse_if_invalid(kind, problems):
    """Raise a `TracError` listing `problems`, the `(field, message)`
    pairs that Trac's validation and the manipulators found in a `kind`
    ('ticket', 'wiki page', 'attachment'; `field` is `None` for the
    whole); do nothing when there are none."""
    texts = ['field "%s": %s' % (field, message) if field else str(message)
             for field, message in problems]
    if texts:
        raise TracError('Invalid %s: %s' % (kind, '; '.join(texts)))


def utc_fields(value):
    """`(year, month, day, hour, minute, second, microsecond)` of the
    `datetime` `value` in UTC (a naive one is taken as UTC). The
    protocols format dates from these: faster than `strftime`, and
    right for years before 1000."""
    if value.tzinfo is not None and value.tzinfo is not utc:
        value = value.astimezone(timezone.utc)
    return (value.year, value.month, value.day, value.hour, value.minute,
            value.second, value.microsecond)


#: the characters XML 1.0 cannot carry (lone surrogates included), as
#: the inside of a regular expression's character class
XML_ILLEGAL = '\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff'
_XML_ILLEGAL = re.compile('[%s]' % XML_ILLEGAL)
_SURROGATES = re.compile('[\ud800-\udfff]')


def replace_xml_illegal(text):
    """Replace characters that XML 1.0 cannot carry with U+FFFD."""
    return _XML_ILLEGAL.sub('\ufffd', text)


def replace_surrogates(text):
    """Replace lone surrogates (not encodable as UTF-8) with U+FFFD."""
    return _SURROGATES.sub('\ufffd', text)


def parse_iso_datetime(text):
    """Parse an ISO 8601 date-time in every form TracXMLRPC accepts: with
    or without dashes and colons, `T`, `t`, `_` or a space between date
    and time, a decimal fraction of a second, `Z`/`z` or any offset
    (converted to UTC; none means UTC), or a date alone (midnight UTC).

    :return: an aware `datetime` in UTC
    :raise ValueError: when `text` is not such a date-time
    """
    match = _ISO_RE.match(text.strip())
    if not match:
        raise ValueError('Invalid date-time %r' % text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int(round(float('0.' + fraction) * 1000000)) if fraction else 0
    value = datetime(int(year), int(month), int(day), int(hour or 0),
                     int(minute or 0), int(second or 0), min(micro, 999999),
                     utc)
    if zone and zone not in 'Zz':
        sign, hours, minutes = zone[0], int(zone[1:3]), int(zone[-2:])
        offset = timedelta(hours=hours, minutes=minutes)
        value = value - offset if sign == '+' else value + offset
    return value


_ISO_RE = re.compile(r'(\d{4})-?(\d\d)-?(\d\d)'
                     r'(?:[Tt_ ](\d\d):?(\d\d):?(\d\d)(?:\.(\d+))?'
                     r'([Zz]|[+-]\d\d:?\d\d)?)?$')


class NestingTooDeep(ValueError):
    """A value nests lists/structs deeper than allowed."""


def walk(value, convert, max_depth, depth=0):
    """Rebuild `value`, passing every list, tuple and dict through and
    every other value through `convert(value)`; dicts are first offered
    to `convert` too, which returns `NotImplemented` to have them walked.

    :raise NestingTooDeep: past `max_depth` levels of nesting
    """
    if isinstance(value, (list, tuple, dict)):
        if depth >= max_depth:
            raise NestingTooDeep('Values nest deeper than %d levels'
                                 % max_depth)
        if isinstance(value, dict):
            converted = convert(value)
            if converted is not NotImplemented:
                return converted
            return {key: walk(item, convert, max_depth, depth + 1)
                    for key, item in value.items()}
        return [walk(item, convert, max_depth, depth + 1) for item in value]
    return convert(value)


def request_content_type(req):
    """The media type of the request's `Content-Type`, lower case."""
    header = req.get_header('Content-Type') or ''
    return header.split(';', 1)[0].strip().lower()


def send_body(req, body, content_type, status=200):
    """Send `body` (bytes, or a list of bytes chunks) with an exact
    `Content-Length`, gzipped when the request's RPC state says so (the
    client accepts it and the body is large enough); raises
    `RequestDone` like `req.send`."""
    chunks = [body] if isinstance(body, bytes) else body
    length = sum(map(len, chunks))
    from tracrpc.api import RPCState
    threshold = RPCState.of(req).compress_above
    req.send_response(status)
    if threshold is not None:
        req.send_header('Vary', 'Accept-Encoding')
        if length >= threshold:
            chunks = [gzipped(chunks)]
            length = len(chunks[0])
            req.send_header('Content-Encoding', 'gzip')
    req.send_header('Content-Type', content_type + ';charset=utf-8')
    req.send_header('Content-Length', length)
    # answers are per user and per moment: no cache may keep them
    req.send_header('Cache-Control', 'no-store')
    req.end_headers()
    if req.method != 'HEAD':
        # One write per chunk: Request.write joins what it gets in one
        # call, which would copy a large chunk.
        for chunk in chunks:
            req.write(chunk)
    raise RequestDone


def gzipped(chunks):
    """The gzip stream of the bytes `chunks` (a fast level: the answer
    is made for one client, once)."""
    compressor = zlib.compressobj(4, zlib.DEFLATED, 31)
    parts = [compressor.compress(chunk) for chunk in chunks]
    parts.append(compressor.flush())
    return b''.join(parts)


def compatibility_names(module):
    """The module-level `__getattr__` of `module`: it answers the names
    plugins written for TracXMLRPC 1.2.0.dev0 import from it (kept in
    `tracrpc.compat`, loaded on first use)."""
    def __getattr__(name):
        if name.startswith('__'):  # the import system's own questions
            raise AttributeError(name)
        from tracrpc import compat
        return compat.lookup(module, name)
    return __getattr__


__getattr__ = compatibility_names(__name__)
