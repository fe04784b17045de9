# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Process tuning for servers that answer many small requests."""

import collections
import gc
import threading

from trac.config import BoolOption, IntOption
from trac.core import Component, implements
from trac.util import translation
from trac.web.api import IRequestFilter

from tracrpc.trac_private import keep_empty_repository_table, plugin_domains

__all__ = ['HeapFreezer', 'LocaleCache', 'RepositoryTableKeeper']


class _ProcessHeap(object):
    """The heap is the process's, not an environment's: the first
    environment whose freezer sees a request decides, for the whole
    process, whether and how often the heap is frozen."""

    def __init__(self):
        self.owner = None
        self.requests = 0
        self._lock = threading.Lock()

    def due(self, freezer):
        """Count a request; tell whether the heap is to be (re)frozen
        now, by the rules of the deciding freezer."""
        with self._lock:
            if self.owner is None:
                self.owner = freezer
            owner = self.owner
            self.requests += 1
            served = self.requests - owner.warmup_requests
        if owner is not freezer:
            freezer.warn_if_overruled(owner)
        return owner.gc_freeze and served >= 0 and \
            served % max(owner.gc_refreeze_requests, 1) == 0


_process_heap = _ProcessHeap()


class HeapFreezer(Component):
    """Moves the warm heap out of the garbage collector's way.

    Trac runs a full `gc.collect()` after every request in a long-running
    server. With Trac loaded that scans some 55 000 objects, tens of
    milliseconds per request, while an RPC call itself costs about one.
    Once the process has served its first requests this component
    freezes the heap (`gc.freeze()`), so the per-request collection only
    scans objects made since; every `gc_refreeze_requests` requests it
    unfreezes, collects everything (reclaiming garbage cycles that
    involve frozen objects) and freezes again, so memory stays flat.

    The heap belongs to the process: in a server of several environments
    (`tracd -e`, one WSGI process for many), the settings of the first
    environment that serves a request decide for all of them."""

    implements(IRequestFilter)

    gc_freeze = BoolOption('rpc', 'gc_freeze', 'true',
        """Freeze the warm heap so that Trac's full garbage collection
        after each request only scans new objects (see the README:
        about 10x less server CPU per small call, memory flat). Affects
        every request of the process, not only RPC calls; in a process
        serving several environments the first one to serve a request
        decides for all.""")

    gc_refreeze_requests = IntOption('rpc', 'gc_refreeze_requests', 1000,
        """With `gc_freeze`, collect the whole heap and freeze it again
        every this many requests (of the process).""")

    #: requests served before the first freeze: by then routes,
    #: templates and caches are loaded
    warmup_requests = 20

    def __init__(self):
        self._warned = False

    # IRequestFilter

    def pre_process_request(self, req, handler):
        if _process_heap.due(self):
            self._refreeze()
        return handler

    def post_process_request(self, req, template, data, metadata):
        return template, data, metadata

    def warn_if_overruled(self, owner):
        """Say once that this environment's settings do not apply."""
        if self._warned or (self.gc_freeze, self.gc_refreeze_requests) == \
                (owner.gc_freeze, owner.gc_refreeze_requests):
            return
        self._warned = True
        self.log.warning("[rpc] gc_freeze/gc_refreeze_requests of this "
                         "environment are not applied: the process's heap "
                         "follows those of %s", owner.env.path)

    # Internal methods

    def _refreeze(self):
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        self.log.debug("Heap frozen: %d objects, %d collected",
                       gc.get_freeze_count(), collected)


class RepositoryTableKeeper(Component):
    """Keeps Trac's repository table cached when it is empty.

    Trac caches the table of repositories only when there is at least
    one: a site without repositories reads `[repositories]` and the
    repository table on every request, a third of the in-process time
    of a small RPC call (and the same on every page of the web UI). From
    the second request on, an empty table loaded by an earlier request
    is marked as loaded; Trac still rereads it when repositories are
    added or removed."""

    implements(IRequestFilter)

    # IRequestFilter

    def pre_process_request(self, req, handler):
        keep_empty_repository_table(self.env)
        return handler

    def post_process_request(self, req, template, data, metadata):
        return template, data, metadata


class LocaleCache(Component):
    """Trac's language negotiation and its catalogs, remembered.

    With Babel installed, the first translated word of a request makes
    Trac negotiate the request's locale (listing its catalogs on disk:
    about 2 ms) and load the catalogs of that locale from disk (0.5 ms
    for English, 4 ms for Japanese) -- every request. The locale depends
    only on the session's language, `[trac] default_language` and the
    browser's `Accept-Language`, and the catalogs only on the locale and
    the plugins' message domains, so RPC requests get both from here:
    negotiated once per combination (at most `_SIZE` kept), loaded once
    per locale."""

    _SIZE = 256

    def __init__(self):
        self._locales = collections.OrderedDict()
        self._translations = collections.OrderedDict()
        self._lock = threading.Lock()

    def set_locale(self, req):
        """Give `req` its locale, and the catalogs of that locale already
        loaded (Trac's session is read for every request anyway: it is
        saved with the response)."""
        if not translation.has_babel:
            return
        if 'locale' not in req.__dict__:
            req.callbacks['locale'] = self.locale
        catalogs = self._catalogs(req.locale)
        translation.deactivate()  # Trac's loading on demand, replaced
        translation.reactivate(catalogs)

    def locale(self, req):
        """The locale Trac negotiates for `req`."""
        wanted = (req.session.get('language'),
                  self.config.get('trac', 'default_language'),
                  tuple(req.languages))
        return self._remembered(self._locales, wanted, lambda:
                                translation.get_negotiated_locale(
                                    [wanted[0], wanted[1]] +
                                    list(wanted[2])))

    def _catalogs(self, locale):
        """Trac's and the plugins' catalogs for `locale`, as Trac's
        activation loads them."""
        def load():
            translation.activate(locale, self.env.path)
            return translation.deactivate()
        key = (str(locale) if locale else None,
               plugin_domains(self.env.path))
        return self._remembered(self._translations, key, load)

    def _remembered(self, cache, key, make):
        with self._lock:
            value = cache.get(key)
        if value is None:
            value = make()
            with self._lock:
                cache[key] = value
                while len(cache) > self._SIZE:
                    cache.popitem(last=False)
        return value
