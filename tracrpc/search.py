# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `search` namespace: Trac's search, through its search sources."""

from urllib.parse import urljoin

from trac.core import TracError
from trac.search.web_ui import SearchModule
from trac.util.html import plaintext

from tracrpc.api import AbstractRPCHandler, expose_rpc
from tracrpc.trac_private import search_terms
from tracrpc.util import email_shield

__all__ = ['SearchRPC']


class SearchRPC(AbstractRPCHandler):
    """Search tickets, wiki pages, changesets and whatever else the
    installed search sources cover, as Trac's search page does."""

    def xmlrpc_namespace(self):
        return 'search'

    @expose_rpc('SEARCH_VIEW', list, readonly=True, result='Filter[]')
    def getSearchFilters(self, req):
        """Return the available search filters as `[[name, label], ...]`
        (e.g. `["ticket", "Tickets"]`)."""
        return [[name, label] for name, label in self._filters(req).items()]

    @expose_rpc('SEARCH_VIEW', list, str, readonly=True,
                result='SearchResult[]')
    @expose_rpc('SEARCH_VIEW', list, str, list)
    def performSearch(self, req, query, filters=None):
        """Search for `query` (words, or phrases in quotes) with the given
        filters (default: all) and return the results, newest first, as
        `[[href, title, date, author, excerpt], ...]`; `href` is an
        absolute URL, `title` the HTML fragment Trac's search page shows
        (e.g. `<span class="new">#1</span>: Crash on save`), `excerpt`
        plain text. A single word must be at least
        `[search] min_query_length` characters long (3 by default)."""
        available = self._filters(req)
        if filters is None:
            filters = list(available)
        unknown = [name for name in filters if name not in available]
        if unknown:
            raise TracError('Unknown search filter(s) %s; available: %s'
                            % (', '.join(map(str, unknown)),
                               ', '.join(available)))
        module = SearchModule(self.env)
        terms = search_terms(self.env, query)
        if not terms or (len(terms) == 1 and
                         len(terms[0]) < module.min_query_length):
            raise TracError('Search query too short. Query must be at least '
                            '%d characters long.' % module.min_query_length)
        base = req.abs_href() + '/'
        shield = email_shield(self.env, req)
        return [[urljoin(base, href), str(title), date, shield(author),
                 plaintext(str(excerpt), False)]
                for href, title, date, author, excerpt
                in self._results(req, terms, filters)]

    def _results(self, req, terms, filters):
        """What every search source finds, newest first (as the search
        page orders them)."""
        results = []
        for source in SearchModule(self.env).search_sources:
            results.extend(source.get_search_results(req, terms, filters)
                           or [])
        return sorted(results, key=lambda result: result[2], reverse=True)

    def _filters(self, req):
        filters = {}
        for source in SearchModule(self.env).search_sources:
            for spec in source.get_search_filters(req) or []:
                filters[spec[0]] = spec[1]
        return filters
