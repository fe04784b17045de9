# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `report` namespace: Trac's saved reports, listed, read, run (as
`/report/N` runs them: dynamic variables, paging, the same per-row
permission filtering) and edited."""

from trac.resource import Resource, ResourceNotFound
from trac.ticket.model import Report
from trac.ticket.report import ReportModule
from trac.util.datefmt import from_utimestamp
from trac.util.text import exception_to_unicode

from tracrpc.api import AbstractRPCHandler, InvalidParams, \
                        ServiceException, checked_per, expose_rpc
from tracrpc.util import USER_FIELDS, email_shield

__all__ = ['ReportRPC']

#: columns the web UI only uses for presentation (and leaves out of CSV)
_PRESENTATION = {'__style__', '__color__', '__fgcolor__', '__bgcolor__',
                 '__grouppage__'}
#: columns holding a Trac timestamp, sent as date-times
_TIME_COLUMNS = {'time', 'datetime', 'changetime', 'date', 'created',
                 'modified'}
#: columns that name the resource of a row (the web UI's rule)
_ID_COLUMNS = ('report', 'ticket', 'id', '_id')


class ReportRPC(AbstractRPCHandler):
    """Saved reports (`/report`): SQL reports run as the web UI runs
    them, for the reports you may view (REPORT_VIEW on each)."""

    def xmlrpc_namespace(self):
        return 'report'

    @expose_rpc('REPORT_VIEW', list, readonly=True, result='ReportSummary[]')
    def getAll(self, req):
        """Return the reports you may view as `[[id, title], ...]`."""
        return [[report.id, report.title] for report in Report.select(self.env)
                if 'REPORT_VIEW' in req.perm('report', report.id)]

    @expose_rpc(None, dict, int, readonly=True, result='Report')
    @checked_per('report', 'REPORT_VIEW')
    def get(self, req, id):
        """Return a report as `{id, title, description, query}`; `query`
        (its SQL, or a TracQuery) only with REPORT_SQL_VIEW, else
        empty."""
        report = self._report(req, id, 'REPORT_VIEW')
        query = report.query if 'REPORT_SQL_VIEW' in \
            req.perm('report', report.id) else ''
        return {'id': report.id, 'title': report.title,
                'description': report.description, 'query': query}

    @expose_rpc(None, dict, int, readonly=True, result='ReportResult')
    @expose_rpc(None, dict, int, dict)
    @checked_per('report', 'REPORT_VIEW')
    def execute(self, req, id, args=None):
        """Run an SQL report and return
        `{columns, rows, page, max, total}`: the column names and the
        rows you may see (as `/report/N` shows them: rows of a ticket you
        may not view are left out), time columns as date-times.

        `args` holds the report's dynamic variables in upper case (e.g.
        `{"MILESTONE": "milestone1"}`; `$USER` is you) and the paging:
        `max` rows a page (default `[report] items_per_page`, 0 for all)
        and `page` (from 1). A report that is a TracQuery is run with
        `ticket.query` instead."""
        report = self._report(req, id, 'REPORT_VIEW')
        args = dict(args or {})
        limit, page = self._paging(args)
        if report.query.lstrip().startswith(('query:', '?')):
            raise InvalidParams('report {%d} is a TracQuery; run its query '
                                'with ticket.query' % report.id)
        module = ReportModule(self.env)
        variables = {name: str(value) for name, value in args.items()}
        variables.setdefault('USER', req.authname)
        sql = module.get_default_var_args(variables, report.query)
        answer = module.execute_paginated_report(req, report.id, sql,
                                                 variables, limit,
                                                 (page - 1) * limit)
        if len(answer) == 2:  # Trac's way of saying the SQL failed
            raise self._failure(req, report, answer[0])
        columns, rows, total, missing, limit_offset = answer
        if missing:
            raise InvalidParams('the report needs the variable(s) %s'
                                % ', '.join(missing))
        shown = [index for index, column in enumerate(columns)
                 if column not in _PRESENTATION]
        shield = email_shield(self.env, req)
        return {'columns': [columns[index] for index in shown],
                'rows': [[_value(columns[index], row[index], shield)
                          for index in shown]
                         for row in rows if _may_view(req, columns, row)],
                'page': page, 'max': limit,
                # Trac counts the rows only when it pages them
                'total': total if limit else len(rows)}

    @expose_rpc('REPORT_CREATE', int, str, str, str, readonly=False)
    def create(self, req, title, description, query):
        """Create a report from its title, description and query (SQL, or
        a TracQuery); return its id."""
        report = Report(self.env)
        report.title, report.description, report.query = \
            title, description, query
        report.insert()
        return report.id

    @expose_rpc(None, bool, int, dict, readonly=False)
    @checked_per('report', 'REPORT_MODIFY')
    def update(self, req, id, attributes):
        """Change a report: `attributes` may hold `title`, `description`
        and `query`. Returns true."""
        report = self._report(req, id, 'REPORT_MODIFY')
        for name in ('title', 'description', 'query'):
            if name in attributes:
                if not isinstance(attributes[name], str):
                    raise InvalidParams('"%s" must be a string' % name)
                setattr(report, name, attributes[name])
        report.update()
        return True

    @expose_rpc(None, bool, int, readonly=False)
    @checked_per('report', 'REPORT_DELETE')
    def delete(self, req, id):
        """Delete a report. Returns true."""
        self._report(req, id, 'REPORT_DELETE').delete()
        return True

    # Internal methods

    def _report(self, req, id, action):
        """Report `id`, after checking `action` on it (before loading it,
        so that a hidden report and a missing one look alike)."""
        req.perm('report', id).require(action)
        try:
            return Report(self.env, id)
        except ResourceNotFound:
            raise ResourceNotFound('Report {%s} does not exist.' % id,
                                   'Invalid report number')

    def _failure(self, req, report, error):
        """The fault of a report whose SQL fails: the database's message
        for those who may see the SQL (REPORT_SQL_VIEW), as the report
        page does."""
        if 'REPORT_SQL_VIEW' in req.perm('report', report.id):
            return ServiceException('Report {%d} failed: %s'
                                    % (report.id, exception_to_unicode(error)))
        return ServiceException('Report {%d} failed; those who may edit '
                                'reports can see why.' % report.id)

    def _paging(self, args):
        limit = args.pop('max', ReportModule(self.env).items_per_page)
        page = args.pop('page', 1)
        if not _natural(limit) or not _natural(page) or page < 1:
            raise InvalidParams('"max" must be a whole number (0 for all) '
                                'and "page" one from 1')
        return limit, page


def _natural(value):
    return isinstance(value, int) and not isinstance(value, bool) and \
        value >= 0


def _value(column, value, shield):
    name = column.strip('_')
    if name in _TIME_COLUMNS and isinstance(value, int):
        return from_utimestamp(value)
    if name in USER_FIELDS:
        value = shield(value)
    return '' if value is None else value


def _may_view(req, columns, row):
    """The web UI's rule: the row's resource (its realm, `ticket` by
    default, and id, from the columns that name them) needs
    `<REALM>_VIEW`."""
    realm, id, parent_realm, parent_id = 'ticket', None, '', ''
    for column, value in zip(columns, row):
        if column in _ID_COLUMNS:
            id = value
        name = column.strip('_')
        if name == 'realm':
            realm = value
        elif name == 'parent_realm':
            parent_realm = value
        elif name == 'parent_id':
            parent_id = value
    parent = Resource(parent_realm, parent_id) if parent_realm else None
    resource = Resource(realm, id, parent=parent)
    return realm.upper() + '_VIEW' in req.perm(resource)
