# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `ticket` namespaces: tickets, their attachments and workflow, and
the ticket models (components, versions, milestones, enums, statuses).

Every write takes the web UI's path: the same permission checks, the
workflow controllers, Trac's field validation and every
`ITicketManipulator`, and `NotificationSystem` for mail.
"""

import functools
import math
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser

from trac.core import TracError
from trac.notification.api import NotificationSystem
from trac.perm import PermissionError
from trac.resource import Resource, ResourceNotFound
from trac.ticket import model
from trac.ticket.api import TicketSystem
from trac.ticket.notification import TicketChangeEvent
from trac.ticket.query import Query, QuerySyntaxError
from trac.ticket.roadmap import RoadmapModule, apply_ticket_permissions, \
                                get_ticket_stats, get_tickets_for_milestone
from trac.ticket.web_ui import TicketModule
from trac.util.datefmt import datetime_now, parse_date, user_time, utc
from trac.util.html import plaintext
from trac.web.api import arg_list_to_args

from tracrpc import attachments
from tracrpc.ticket_loader import TicketReader
from tracrpc.trac_private import changed_fields, permission_checker, \
                                  workflow_changes
from tracrpc.api import AbstractRPCHandler, Binary, ConflictError, \
                        InvalidParams, batched_by, checked_per, \
                        expose_rpc
from tracrpc.util import USER_FIELDS, compatibility_names, email_shield, \
                         exception_to_unicode, recorded_author, \
                         refuse_if_invalid, to_utimestamp

__all__ = ['TicketRPC', 'StatusRPC', 'ComponentRPC', 'VersionRPC',
           'MilestoneRPC', 'TypeRPC', 'ResolutionRPC', 'PriorityRPC',
           'SeverityRPC']

#: A stale `_ts`. The first sentence is the one Trac's web UI used for a
#: mid-air collision: Mylyn recognises the conflict by it (and by the
#: XML-RPC fault code 1) and offers to refresh and merge.
#: the stale-`_ts` fault: Mylyn's sentence (it matches it), Trac 1.6's
#: own sentence (which other clients look for), then what to do
_COLLISION = ('Sorry, can not save your changes. This ticket has been '
              'modified by someone else since you started. Your changes '
              'have not been saved because this ticket has been modified '
              'since you started editing. Ticket #%s changed since you read '
              'it (its _ts); nothing was saved. Read it again and retry.')

#: how Trac's query language separates clauses (`\&` is a literal `&`)
_QUERY_CLAUSE = re.compile(r'(?<!\\)&')
#: the operators of a filter (`status!=closed`, `summary~=crash`, ...)
_QUERY_OPERATORS = ('=', '!=', '~=', '!~=', '^=', '!^=', '$=', '!$=')
_QUERY_OPERATOR = re.compile(r'!?[~^$]?$')
#: query clauses that are no filters, and those that name fields
_QUERY_KEYWORDS = {'page', 'max', 'format', 'desc', 'groupdesc', 'verbose',
                   'report'}
_QUERY_FIELD_LISTS = {'order', 'group', 'col', 'rows', 'row'}

#: Attributes that are never ticket fields: the workflow action, the
#: change token and the action controls' inputs (`action_*`).
_CONTROL_PREFIX = 'action_'


class TicketRPC(AbstractRPCHandler):
    """Tickets: query, read, create and update them (through the workflow,
    as the web UI does), their change log and attachments.

    `ticket.get` returns `[id, time_created, time_changed, attributes]`;
    `attributes['_ts']` is a change token: send it back in
    `ticket.update` and the update is refused if somebody changed the
    ticket in between."""

    def __init__(self):
        #: `(Trac's field definitions, the TicketReader made from them)`
        self._cached_reader = None

    def xmlrpc_namespace(self):
        return 'ticket'

    # Reading

    @expose_rpc(None, list, readonly=True, result='int[]')
    @expose_rpc(None, list, str)
    @checked_per('ticket', 'TICKET_VIEW')
    def query(self, req, qstr='status!=closed'):
        """Return the ids of the tickets matching a query in Trac's query
        language, e.g. `status!=closed&owner=joe&order=priority`.

        Results are paged like the web UI's query (`[query] items_per_page`,
        100 by default): use `max=N` for the page size and `page=N` to walk
        the pages; `max=0` returns all tickets at once. Tickets you may not
        see are left out. A field or operator Trac does not know is
        refused, naming the valid ones."""
        self._check_query(qstr)
        try:
            query = Query.from_string(self.env, qstr)
        except QuerySyntaxError as e:
            raise InvalidParams(str(e))
        # Only the ids are answered: Trac's query selects only them (and
        # what its ordering and grouping need), with the same constraints,
        # order and paging.
        query.cols = ['id']
        may_view = permission_checker(req.perm, 'TICKET_VIEW')
        return [tid for tid in _matching_ids(self.env, query, req)
                if may_view(Resource('ticket', tid))]

    @expose_rpc(None, list, datetime, readonly=True, result='int[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def getRecentChanges(self, req, since):
        """Return the ids of the tickets changed since the given date-time
        (UTC) that you may see."""
        may_view = permission_checker(req.perm, 'TICKET_VIEW')
        return [tid for tid, in self.env.db_query(
                    "SELECT id FROM ticket WHERE changetime >= %s",
                    (to_utimestamp(since),))
                if may_view(Resource('ticket', tid))]

    @expose_rpc(None, list, int, readonly=True, result='Ticket')
    @batched_by('_get_many')
    @checked_per('ticket', 'TICKET_VIEW')
    def get(self, req, id):
        """Return a ticket as `[id, time_created, time_changed, attributes]`.

        `attributes` holds every field, custom fields included, and `_ts`,
        the change token to pass back to `ticket.update`. To read many
        tickets, put the calls in one `system.multicall`: it reads them
        together, many times faster than separate calls."""
        outcome, = self._get_many(req, [{'id': id}])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _get_many(self, req, calls):
        """`ticket.get` for a run of calls in a multicall: the same
        checks, in the same order, with the tickets read together.

        One pooled connection serves the permission checks, the field
        definitions (Trac's cache checks the database) and the tickets:
        on PostgreSQL and MySQL every connection taken from the pool
        costs a ping and a rollback."""
        outcomes = []
        may_view = permission_checker(req.perm, 'TICKET_VIEW')
        with self.env.db_query as db:
            for call in calls:
                try:
                    self._require_view(req, call['id'], may_view)
                    outcomes.append(int(call['id']))
                except Exception as e:
                    outcomes.append(e)
            tickets = self._reader(req).read(
                db, [outcome for outcome in outcomes
                     if isinstance(outcome, int)])
        shield = email_shield(self.env, req)
        return [self._get_outcome(outcome, tickets, shield)
                for outcome in outcomes]

    def _get_outcome(self, outcome, tickets, shield):
        """One call's answer: its error, or the ticket it may read."""
        if isinstance(outcome, Exception):
            return outcome
        if outcome not in tickets:
            return _not_found(outcome)
        return _ticket_info(outcome, tickets[outcome], shield)

    def _stored_ticket(self, req, id):
        """`ticket.get`'s answer, read from the database (what was just
        saved, with Trac's conversions), without checks."""
        with self.env.db_query as db:
            values = self._reader(req).read(db, [id])[id]
        return _ticket_info(id, values, email_shield(self.env, req))

    def _reader(self, req):
        """The ticket reader, made again only when Trac's ticket fields
        change (their cached definition is then another object): making
        one builds a ticket, whose field labels are translated, which
        costs a request Trac's language negotiation (~2 ms with Babel)."""
        fields = TicketSystem(self.env).fields
        cached = self._cached_reader
        if cached is None or cached[0] is not fields:
            cached = self._cached_reader = (fields, TicketReader(self.env))
        return cached[1]

    @expose_rpc(None, list, int, readonly=True, result='TicketAction[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def getActions(self, req, id):
        """Return the workflow actions you may perform on a ticket, as
        `[[action, label, hints, [[input_name, value, [options]], ...]], ...]`.

        Pass the action as `attributes['action']` to `ticket.update`, and
        each input (e.g. `action_resolve_resolve_resolution`) as another
        attribute. `options` is empty for free-text inputs."""
        ticket = self.viewable_ticket(req, id)
        return [self._action_info(req, ticket, action)
                for action in TicketSystem(self.env)
                              .get_available_actions(req, ticket)]

    @expose_rpc(None, list, int, readonly=True, result='string[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def getAvailableActions(self, req, id):
        """Deprecated: use `ticket.getActions`. Return the names of the
        workflow actions you may perform on a ticket."""
        ticket = self.viewable_ticket(req, id)
        return TicketSystem(self.env).get_available_actions(req, ticket)

    @expose_rpc(None, list, int, readonly=True, result='ChangeLogEntry[]')
    @expose_rpc(None, list, int, datetime)
    @expose_rpc(None, list, int, int)
    @checked_per('ticket', 'TICKET_VIEW')
    def changeLog(self, req, id, when=None):
        """Return the changes of a ticket as
        `[[time, author, field, old_value, new_value, permanent], ...]`;
        comments appear as field `comment`.

        With `when`, only the change made at that time: a time without
        fraction of a second (as XML-RPC sends it) matches the whole
        second. A `when` of `0` (the original plugin's default, which
        Mylyn sends) means all changes. Changes the ticket page hides
        from you (of a version you may not view, of an attachment you
        may not view) are left out."""
        if isinstance(when, int):
            if when:
                raise InvalidParams('"when" must be a date-time, or 0 for '
                                    'all changes')
            when = None
        with self.env.db_query:  # one pooled connection for the reads
            ticket = self.viewable_ticket(req, id)
            changes = self._visible_changes(req, ticket,
                                            ticket.get_changelog())
        if when is not None:
            until = when + timedelta(seconds=1) if not when.microsecond \
                    else when + timedelta(microseconds=1)
            changes = [change for change in changes
                       if when <= change[0] < until]
        shield = email_shield(self.env, req)
        return [[when, shield(author), field,
                 shield(old) if field in USER_FIELDS else old,
                 shield(new) if field in USER_FIELDS else new, permanent]
                for when, author, field, old, new, permanent in changes]

    @expose_rpc('TICKET_VIEW', list, readonly=True, result='TicketField[]')
    def getTicketFields(self, req):
        """Return the ticket fields, custom ones included, as dicts with
        `name`, `type`, `label` and, where they apply, `options`,
        `value` (the default), `optional`, `custom`. The milestone
        options leave out milestones you may not view."""
        fields = [dict(field) for field
                  in TicketSystem(self.env).get_ticket_fields()]
        milestones = MilestoneRPC(self.env)
        for field in fields:
            if field['name'] == 'milestone' and not field.get('custom'):
                field['options'] = [name for name in field['options']
                                    if milestones.may_view(req, name)]
        return fields

    # Writing

    @expose_rpc('TICKET_CREATE', int, str, str, readonly=False)
    @expose_rpc('TICKET_CREATE', int, str, str, dict)
    @expose_rpc('TICKET_CREATE', int, str, str, dict, bool)
    @expose_rpc('TICKET_CREATE', int, str, str, dict, bool, datetime)
    def create(self, req, summary, description, attributes=None,
               notify=False, when=None):
        """Create a ticket and return its id.

        `attributes` sets other fields (`type`, `priority`, `owner`,
        custom fields, ...); unknown names are ignored. The workflow's
        create action runs as in the web UI (choose another with
        `attributes['action']`), then Trac's validation and the
        installed ticket manipulators: their messages come back as the
        error. The reporter is you, unless you are anonymous or hold
        TICKET_ADMIN and give `attributes['reporter']`. `when` (the
        creation time) is honoured for TICKET_ADMIN only. With `notify`
        the usual ticket mail is sent."""
        attributes = attributes or {}
        ticket = model.Ticket(self.env)
        with _request_args(req, attributes):
            self._populate(req, ticket, attributes)
            ticket['summary'] = summary
            ticket['description'] = description
            ticket['reporter'] = recorded_author(
                req, attributes.get('reporter'), 'TICKET_ADMIN')
            action = self._apply_workflow(req, ticket,
                                          attributes.get('action'), True)
            self.validate_change(req, ticket, None)
            controllers = _controllers(req, ticket, action)
            with self.env.db_transaction:  # the change feed's record too
                ticket.insert(when=self._when(req, when))
            for controller in controllers:
                controller.apply_action_side_effects(req, ticket, action)
        if notify:
            self._notify(TicketChangeEvent('created', ticket, ticket['time'],
                                           req.authname))
        return ticket.id

    @expose_rpc(None, list, int, str,
                readonly=False, result='Ticket', conflicts=True)
    @expose_rpc(None, list, int, str, dict)
    @expose_rpc(None, list, int, str, dict, bool)
    @expose_rpc(None, list, int, str, dict, bool, str)
    @expose_rpc(None, list, int, str, dict, bool, str, datetime)
    @checked_per('ticket', 'TICKET_APPEND', 'TICKET_CHGPROP')
    def update(self, req, id, comment, attributes=None, notify=False,
               author='', when=None):
        """Change a ticket and/or add a comment; return the ticket as
        `ticket.get` does.

        With `attributes['action']` (see `ticket.getActions`) the change
        goes through the workflow exactly as in the web UI: the action
        must be available to you, its inputs are taken from the
        attributes, and `status`/`resolution` are set by the workflow.
        Without an action the given fields, `status` and `resolution`
        included, are set directly (TICKET_MODIFY).

        Pass `attributes['_ts']` from `ticket.get`: if the ticket changed
        since, nothing is saved and the error says so (XML-RPC fault code
        1, JSON-RPC error code 409; the message starts with "Sorry, can
        not save your changes"). Trac's validation and the ticket
        manipulators run as in the web UI.
        `author` and `when` are honoured for TICKET_ADMIN only. With
        `notify` the usual ticket mail is sent.

        `attributes['replyto']`, a comment number, makes the comment a
        reply to that comment, threaded as the web UI's Reply button
        does (`ticket.changeLog` then numbers it `"<parent>.<number>"`;
        see also `ticket.replyToComment`)."""
        attributes = attributes or {}
        ticket = self.viewable_ticket(req, id)
        token = attributes.get('_ts')
        replyto = reply_target(ticket, attributes.get('replyto'))
        with _request_args(req, attributes):
            action = attributes.get('action')
            if action:
                self._populate(req, ticket, attributes)
                self._apply_workflow(req, ticket, action, False)
            else:
                self._populate(req, ticket, attributes, direct=True)
            self._check_change_permissions(req, ticket, comment,
                                           direct=not action)
            self.validate_change(req, ticket, comment)
            controllers = _controllers(req, ticket, action) if action else []
            author = recorded_author(req, author, 'TICKET_ADMIN')
            when = self._save(ticket, token, author, comment,
                              self._when(req, when), replyto)
            for controller in controllers:
                controller.apply_action_side_effects(req, ticket, action)
        if when and notify:
            self._notify(TicketChangeEvent('changed', ticket, when, author,
                                           comment))
        return self._stored_ticket(req, ticket.id)

    @expose_rpc(None, int, int, readonly=False)
    @checked_per('ticket', 'TICKET_ADMIN')
    def delete(self, req, id):
        """Delete a ticket (TICKET_ADMIN). Returns 0."""
        ticket = self.viewable_ticket(req, id)
        req.perm(ticket.resource).require('TICKET_ADMIN')
        with self.env.db_transaction:  # the change feed's record too
            ticket.delete()
        return 0

    # Attachments

    @expose_rpc(None, list, int, readonly=True, result='Attachment[]')
    @checked_per('ticket', 'TICKET_VIEW')
    def listAttachments(self, req, ticket):
        """Return the attachments of a ticket as
        `[[filename, description, size, time, author], ...]`."""
        with self.env.db_query:  # one pooled connection for both reads
            parent = self.viewable_ticket(req, ticket).resource
            shield = email_shield(self.env, req)
            return [attachments.attachment_info(attachment, shield)
                    for attachment
                    in attachments.list_attachments(self.env, req, parent)]

    @expose_rpc(None, Binary, int, str, readonly=True)
    @checked_per('ticket', 'TICKET_VIEW')
    def getAttachment(self, req, ticket, filename):
        """Return the content of a ticket attachment."""
        parent = self.viewable_ticket(req, ticket).resource
        return attachments.get_attachment(self.env, req, parent, filename)

    @expose_rpc(None, str, int, str, str, Binary, readonly=False)
    @expose_rpc(None, str, int, str, str, Binary, bool)
    @checked_per('ticket', 'TICKET_APPEND')
    def putAttachment(self, req, ticket, filename, description, data,
                      replace=True):
        parent = self.viewable_ticket(req, ticket).resource
        return attachments.put_attachment(self.env, req, parent, filename,
                                          description, data, replace)
    putAttachment.__doc__ = attachments.PUT_HELP.format(noun='ticket')

    @expose_rpc(None, bool, int, str, readonly=False)
    @checked_per('ticket', 'TICKET_ADMIN')
    def deleteAttachment(self, req, ticket, filename):
        """Delete a ticket attachment (ATTACHMENT_DELETE). Returns true."""
        parent = self.viewable_ticket(req, ticket).resource
        attachments.delete_attachment(self.env, req, parent, filename)
        return True

    # Internal methods

    def viewable_ticket(self, req, id):
        """The ticket `id`, after checking TICKET_VIEW on it."""
        with self.env.db_query:  # one pooled connection for both
            self._require_view(req, id)
            try:
                return model.Ticket(self.env, int(id))
            except ResourceNotFound:
                raise _not_found(id)

    def _check_query(self, qstr):
        """Refuse a query naming a field (in a filter, `order`, `group`,
        `col`) that no ticket has, or an operator Trac does not know:
        Trac would silently drop the filter and return every ticket."""
        system = TicketSystem(self.env)
        fields = {field['name'] for field in system.get_ticket_fields()}
        fields.add('id')
        synonyms = system.get_field_synonyms()
        for clause in _QUERY_CLAUSE.split(qstr):
            name, sep, values = clause.partition('=')
            if not sep or clause == 'or':
                continue
            field = _QUERY_OPERATOR.sub('', name)
            if field in _QUERY_FIELD_LISTS:
                named = [value for value in values.split('|') if value]
            elif field in _QUERY_KEYWORDS:
                continue
            else:
                named = [field]
            unknown = [each for each in named
                       if synonyms.get(each, each) not in fields]
            if unknown:
                raise InvalidParams(
                    'the query names the unknown field "%s" (or an unknown '
                    'operator: %s); valid fields: %s'
                    % (unknown[0], ' '.join(_QUERY_OPERATORS),
                       ', '.join(sorted(fields))))

    def _require_view(self, req, id, may_view=None):
        """Refuse an invalid ticket id, or one `req` may not view;
        `may_view`: the `permission_checker` for TICKET_VIEW of a call
        that checks many tickets."""
        if not model.Ticket.id_is_valid(id):
            raise _not_found(id)
        resource = Resource('ticket', id)
        if not (may_view or permission_checker(req.perm, 'TICKET_VIEW'))(
                resource):
            raise PermissionError('TICKET_VIEW', resource, self.env)

    def _visible_changes(self, req, ticket, changes):
        """`changes` without what the ticket page hides: the changes of
        a version (comment number) the user may not view, and the
        attachments the user may not view, with their description
        (logged as the comment of the same change)."""
        hidden, hidden_attachments = set(), set()
        attachment_of = ticket.resource.child('attachment')
        for group in TicketModule(self.env).grouped_changelog_entries(ticket):
            key = (group['date'], group['permanent'])
            fields = group['fields']
            if 'TICKET_VIEW' not in req.perm(ticket.resource(
                    version=group.get('cnum'))):
                hidden.add(key)
            elif 'attachment' in fields and 'ATTACHMENT_VIEW' not in \
                    req.perm(attachment_of(id=fields['attachment']['new'])):
                (hidden if len(fields) == 1 else hidden_attachments).add(key)
        if not hidden and not hidden_attachments:
            return changes
        return [change for change in changes
                if (change[0], change[5]) not in hidden and
                not (change[2] == 'attachment' and
                     (change[0], change[5]) in hidden_attachments)]

    def _action_info(self, req, ticket, action):
        labels, hints, inputs = [], [], []
        for controller in _controllers(req, ticket, action):
            label, widget, hint = \
                controller.render_ticket_action_control(req, ticket, action)
            labels.append(plaintext(str(label), keeplinebreaks=False))
            if hint:
                hints.append(plaintext(str(hint), keeplinebreaks=False))
            inputs.extend(_form_inputs(str(widget)))
        return [action, labels[0] if labels else action, '. '.join(hints),
                inputs]

    def _populate(self, req, ticket, attributes, direct=False):
        """Set the fields named in `attributes`; `direct` lets `status`
        and `resolution` through (updates without a workflow action)."""
        protected = {'time', 'changetime'} if direct \
                    else set(model.Ticket.protected_fields)
        fields = {field['name']: field for field in ticket.fields}
        for name, value in attributes.items():
            if name in ('action', '_ts', 'id', 'replyto') or \
                    name.startswith(_CONTROL_PREFIX):
                continue
            if name not in fields or name in protected:
                self.log.info("ticket RPC: ignoring attribute '%s'", name)
                continue
            ticket[name] = self._field_value(req, fields[name], value)

    def _field_value(self, req, field, value):
        if isinstance(value, (list, dict, Binary)):
            raise InvalidParams('attribute "%s" must be a string, not %s'
                                % (field['name'], type(value).__name__))
        if field['type'] == 'time':
            if isinstance(value, datetime) or not value:
                return value or None
            return user_time(req, parse_date, str(value))
        if value is None:
            return ''
        if isinstance(value, bool):
            return '1' if value else '0'
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    def _apply_workflow(self, req, ticket, action, default_first):
        """Run the workflow `action` (for a new ticket: the first
        available one when none is given); return the action."""
        actions = TicketSystem(self.env).get_available_actions(req, ticket)
        if not action and default_first:
            action = actions[0] if actions else None
            if not action:
                return None
        if action not in actions:
            raise TracError('Action "%s" is not available. Valid actions: %s'
                            % (action, ', '.join(actions) or 'none'))
        changes, problems = workflow_changes(self.env, req, ticket, action)
        if problems:
            raise TracError('The workflow is misconfigured: %s'
                            % ' '.join(problems))
        for name, change in changes.items():
            ticket[name] = change['new']
        return action

    def _check_change_permissions(self, req, ticket, comment, direct):
        """The web UI's rules for who may change what."""
        perm = req.perm(ticket.resource)
        changed = changed_fields(ticket)
        if direct and changed & {'status', 'resolution'}:
            perm.require('TICKET_MODIFY')
        changed -= {'status', 'resolution'}
        if 'description' in changed:
            perm.require('TICKET_EDIT_DESCRIPTION')
        if 'reporter' in changed:
            perm.require('TICKET_ADMIN')
        if changed - {'description', 'reporter'}:
            perm.require('TICKET_CHGPROP')
        if comment:
            perm.require('TICKET_APPEND')

    def validate_change(self, req, ticket, comment):
        """Trac's field validation and the ticket manipulators; their
        messages become the error."""
        refuse_if_invalid('ticket', self._problems(req, ticket, comment))

    def _problems(self, req, ticket, comment):
        for manipulator in TicketModule(self.env).ticket_manipulators:
            if ticket.exists and hasattr(manipulator, 'validate_comment'):
                for message in manipulator.validate_comment(req, comment):
                    yield 'comment', message
            yield from manipulator.validate_ticket(req, ticket)

    def _save(self, ticket, token, author, comment, when, replyto=None):
        """Save the changes, if `token` (when given) still matches the
        ticket's change time; return the time of the change, or `None`
        when there was nothing to save. The comment replies to comment
        `replyto`, when given.

        Under `locked_ticket`, the check, the comment numbering and the
        save are one atomic step even across processes. The time is
        taken once the lock is held: Trac numbers a comment after the
        latest change by time."""
        if not changed_fields(ticket) and not (comment or '').strip():
            return None
        with locked_ticket(self.env, ticket.id, token):
            when = when or datetime_now(utc)
            ticket.save_changes(author, comment, when=when, replyto=replyto)
        return when

    def _when(self, req, when):
        return when if when and 'TICKET_ADMIN' in req.perm else None

    def _notify(self, event):
        try:
            NotificationSystem(self.env).notify(event)
        except Exception as e:
            self.log.error("Failure sending notification for ticket #%s: %s",
                           event.target.id,
                           exception_to_unicode(e, traceback=True))


@contextmanager
def _request_args(req, attributes):
    """Let workflow controllers read the attributes as form fields, as
    they do in the web UI, for the duration of one call (a multicall
    runs several on one request)."""
    saved = req.args
    req.args = arg_list_to_args([(name, value if isinstance(value, str)
                                  else str(value))
                                 for name, value in attributes.items()
                                 if value is not None])
    try:
        yield
    finally:
        req.args = saved


def _matching_ids(env, query, req):
    """The ids of the tickets `query` matches, in its order, on its page:
    Trac's SQL for the query (`Query.get_sql`) paged as `Query.execute`
    pages it, without the row `execute` makes of every ticket (a dict,
    its dates, a link: most of the time of a query of ids)."""
    sql, args = query.get_sql(req)
    if query.has_more_pages:
        # As Trac: counted first; paged only when there is more than a
        # page (one row more when grouped); a page past the last refused.
        total = env.db_query("SELECT COUNT(*) FROM (%s) AS x" % sql,
                             args)[0][0]
        if total > query.max:
            sql += ' LIMIT %d OFFSET %d' % (
                query.max + 1 if query.group else query.max, query.offset)
            if total and query.page > math.ceil(total / query.max):
                raise TracError('Page %s is beyond the number of pages in '
                                'the query' % query.page)
    with env.db_query as db:
        cursor = db.cursor()
        cursor.execute(sql, args)
        column = [each[0] for each in cursor.description].index('id')
        return [int(row[column]) for row in cursor]


def _controllers(req, ticket, action):
    """The workflow controllers that handle `action` on `ticket`."""
    return [controller for controller
            in TicketSystem(ticket.env).action_controllers
            if action in [name for weight, name
                          in controller.get_ticket_actions(req, ticket) or []]]


class _InputCollector(HTMLParser):
    """Collects `[name, value, [options]]` of the inputs and selects in
    an action control's HTML."""

    def __init__(self):
        super().__init__()
        self.inputs = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'input' and attrs.get('name') and \
                attrs.get('type') not in ('hidden', 'submit', 'button'):
            self.inputs.append([attrs['name'], attrs.get('value') or '', []])
        elif tag == 'select' and attrs.get('name'):
            self._select = [attrs['name'], '', []]
            self.inputs.append(self._select)
        elif tag == 'option' and self._select is not None:
            value = attrs.get('value', '')
            self._select[2].append(value)
            if 'selected' in attrs or not self._select[1]:
                self._select[1] = value

    def handle_endtag(self, tag):
        if tag == 'select':
            self._select = None


def _ticket_info(id, values, shield):
    """`ticket.get`'s answer for the ticket `id` with `values`, the
    addresses in its user fields passed through `shield`."""
    values = dict(values)
    for name in USER_FIELDS:
        if name in values:
            values[name] = shield(values[name])
    values['_ts'] = str(to_utimestamp(values['changetime']))
    return [id, values['time'], values['changetime'], values]


@contextmanager
def locked_ticket(env, id, token=None):
    """A transaction holding the lock of ticket `id`'s row, entered only
    when `token` (a `_ts` from `ticket.get`), if given, still matches the
    ticket's change time.

    The first statement locks the row (it changes the change time, so
    every backend counts the row), so a check and the change made in the
    transaction are one atomic step even across processes.

    :raise ConflictError: when the ticket changed since `token`
    :raise InvalidParams: when `token` is no change token
    """
    sql = "UPDATE ticket SET changetime=changetime+1 WHERE id=%s"
    args = [id]
    if token is not None:
        try:
            args.append(int(token))
        except ValueError:
            raise InvalidParams('"_ts" must be the token returned by '
                                'ticket.get')
        sql += " AND changetime=%s"
    with env.db_transaction as db:
        cursor = db.cursor()
        cursor.execute(sql, args)
        if cursor.rowcount != 1:
            raise ConflictError(_COLLISION % id)
        yield db


def comment_change(ticket, cnum):
    """The change of `ticket` that carries comment `cnum` (see
    `Ticket.get_change`).

    :raise InvalidParams: for a number that is no positive integer
    :raise ResourceNotFound: when the ticket has no such comment
    """
    if isinstance(cnum, bool) or not isinstance(cnum, int) or cnum < 1:
        raise InvalidParams('a comment number is a positive integer, not '
                            '%r' % (cnum,))
    change = ticket.get_change(cnum)
    if not change:
        raise ResourceNotFound('Ticket #%s has no comment %s.'
                               % (ticket.id, cnum), 'Invalid comment number')
    return change


def reply_target(ticket, replyto):
    """The comment number a reply in `attributes['replyto']` names,
    checked (as an int, or a string of digits); `None` for no reply."""
    if replyto in (None, ''):
        return None
    if isinstance(replyto, str) and replyto.strip().isdigit():
        replyto = int(replyto)
    comment_change(ticket, replyto)
    return replyto


def _not_found(id):
    return ResourceNotFound('Ticket %s does not exist.' % id,
                            'Invalid ticket number')


def _in_words(method, words):
    """`method` with its docstring and declared result filled in with
    `words` (the registry reads a method's help, signature and facts
    from what it is given)."""
    @functools.wraps(method)
    def call(*args, **kwargs):
        return method(*args, **kwargs)
    call.__doc__ = method.__doc__ % words
    if getattr(method, '_rpc_result', None):
        call._rpc_result = method._rpc_result % words
    return call


def _form_inputs(html):
    collector = _InputCollector()
    collector.feed(html)
    collector.close()
    return collector.inputs


# -- Ticket models -------------------------------------------------------

class _EntryRPC(AbstractRPCHandler):
    """Shared by the namespaces of named ticket entries (`namespace`):
    `model_class` is the Trac model. The methods' docstrings are
    templates: `%(entry)s` and `%(entries)s` become the namespace's own
    words (`words`), `%(struct)s` its struct; a declared result
    `%(schema)s` the name of its struct's schema."""

    abstract = True
    namespace = None
    model_class = None
    #: `entry`, `entries` (and, for structs, `struct` and `schema`) of
    #: the docstrings and results
    words = {}
    #: the action needed on each entry's own resource, besides the
    #: method's permission (in Trac 1.6 only milestones have one)
    view_action = None

    def xmlrpc_namespace(self):
        return self.namespace

    def xmlrpc_methods(self):
        for permission, signatures, method, name in super().xmlrpc_methods():
            yield (permission, signatures,
                   _in_words(method, self.words), name)

    @expose_rpc('TICKET_VIEW', list, readonly=True, result='string[]')
    def getAll(self, req):
        """Return the names of all %(entries)s, in their order."""
        return [entry.name for entry in self.model_class.select(self.env)
                if self.may_view(req, entry.name)]

    @expose_rpc('TICKET_ADMIN', int, str, readonly=False)
    def delete(self, req, name):
        """Delete the %(entry)s `name`. Returns 0."""
        self._entry(req, name).delete()
        return 0

    def may_view(self, req, name):
        """Tell whether the user of `req` may see the entry `name`."""
        return self.view_action is None or \
            self.view_action in req.perm(self.model_class.realm, name)

    def _require_view(self, req, name):
        """As in the web UI, a hidden entry is refused whether or not it
        exists."""
        if not self.may_view(req, name):
            req.perm(self.model_class.realm, name).require(self.view_action)

    def _entry(self, req, name):
        """The entry `name`, once the user may see it."""
        self._require_view(req, name)
        return self.model_class(self.env, name)


class _ModelRPC(_EntryRPC):
    """Shared by `ticket.component`, `ticket.version` and
    `ticket.milestone`: `fields` maps attribute names to kinds (`'text'`
    or `'time'`)."""

    abstract = True
    fields = {}

    @expose_rpc('TICKET_VIEW', dict, str, readonly=True, result='%(schema)s')
    def get(self, req, name):
        """Return the %(entry)s `name` as a struct %(struct)s."""
        entry = self._entry(req, name)
        info = {'name': entry.name}
        for attribute, kind in self.fields.items():
            value = getattr(entry, attribute)
            info[attribute] = (value or 0) if kind == 'time' \
                              else (value or '')
        return info

    @expose_rpc('TICKET_ADMIN', int, str, dict, readonly=False)
    def create(self, req, name, attributes):
        """Create the %(entry)s `name` from the struct `attributes`: the
        members of `get` but `name` (missing ones are left empty).
        Returns 0."""
        self._require_view(req, name)
        entry = self.model_class(self.env)
        entry.name = name
        self._set_attributes(entry, attributes)
        entry.insert()
        return 0

    @expose_rpc('TICKET_ADMIN', int, str, dict, readonly=False)
    def update(self, req, name, attributes):
        """Change the attributes of the %(entry)s `name` given in the
        struct `attributes` (see `get`); `attributes['name']` renames it.
        Returns 0."""
        entry = self._entry(req, name)
        if attributes.get('name'):
            entry.name = attributes['name']
        self._set_attributes(entry, attributes)
        entry.update()
        return 0

    def _set_attributes(self, entry, attributes):
        for attribute, kind in self.fields.items():
            if attribute not in attributes:
                continue
            value = attributes[attribute]
            if kind == 'time':
                if value and not isinstance(value, datetime):
                    raise InvalidParams('"%s" must be a date-time or 0'
                                        % attribute)
                value = value or None
            elif not isinstance(value, str):
                raise InvalidParams('"%s" must be a string' % attribute)
            setattr(entry, attribute, value)


class ComponentRPC(_ModelRPC):
    """Ticket components: `{name, owner, description}`."""

    namespace = 'ticket.component'
    model_class = model.Component
    words = {'entry': 'component', 'entries': 'components',
             'schema': 'Component',
             'struct': '`{name, owner, description}` (`owner`: the default '
                       'owner of its tickets)'}
    fields = {'owner': 'text', 'description': 'text'}


class VersionRPC(_ModelRPC):
    """Versions: `{name, time, description}`; `time` is the release date
    (`0` when unset)."""

    namespace = 'ticket.version'
    model_class = model.Version
    words = {'entry': 'version', 'entries': 'versions',
             'schema': 'Version',
             'struct': '`{name, time, description}` (`time`: the release '
                       'date, `0` when unset)'}
    fields = {'time': 'time', 'description': 'text'}


class MilestoneRPC(_ModelRPC):
    """Milestones: `{name, due, completed, description}`; unset dates are
    `0`. Milestones you may not view (MILESTONE_VIEW on that milestone)
    are left out or refused, as on the roadmap."""

    namespace = 'ticket.milestone'
    model_class = model.Milestone
    view_action = 'MILESTONE_VIEW'
    words = {'entry': 'milestone', 'entries': 'milestones you may view',
             'schema': 'Milestone',
             'struct': '`{name, due, completed, description}` (dates: '
                       '`0` when unset; needs MILESTONE_VIEW on it)'}

    @expose_rpc('ROADMAP_VIEW', dict, str, readonly=True,
                result='MilestoneStats')
    def getStats(self, req, name):
        """Return the progress of the %(entry)s `name` as `/roadmap`
        shows it: `{total, done, percent, unit, groups}`, `groups` one
        `{title, count, percent}` per status group of the roadmap's
        `[roadmap] stats_provider` (closed, active, ...). Only tickets
        you may view count."""
        self._require_view(req, name)
        milestone = self.model_class(self.env, name)
        tickets = apply_ticket_permissions(
            self.env, req, get_tickets_for_milestone(self.env,
                                                     milestone=milestone.name))
        stats = get_ticket_stats(RoadmapModule(self.env).stats_provider,
                                 tickets)
        return {'total': stats.count, 'done': stats.done_count,
                'percent': stats.done_percent, 'unit': stats.unit,
                'groups': [{'title': interval['title'],
                            'count': interval['count'],
                            'percent': interval['percent']}
                           for interval in stats.intervals]}
    fields = {'due': 'time', 'completed': 'time', 'description': 'text'}


class _EnumRPC(_EntryRPC):
    """Shared by the enum namespaces (type, priority, ...): each entry
    has a position, its `value`, a string of digits; lists show entries
    by position."""

    abstract = True

    @expose_rpc('TICKET_VIEW', str, str, readonly=True)
    def get(self, req, name):
        """Return the position of the %(entry)s `name` (its `value`, a
        string of digits)."""
        return self.model_class(self.env, name).value

    @expose_rpc('TICKET_ADMIN', int, str, str, readonly=False)
    def create(self, req, name, value):
        """Add the %(entry)s `name` at position `value` (a string of
        digits, e.g. `"7"`; lists show %(entries)s by position).
        Returns 0."""
        entry = self.model_class(self.env)
        entry.name = name
        entry.value = value
        entry.insert()
        return 0

    @expose_rpc('TICKET_ADMIN', int, str, str, readonly=False)
    def update(self, req, name, value):
        """Move the %(entry)s `name` to position `value` (a string of
        digits). Returns 0."""
        entry = self.model_class(self.env, name)
        entry.value = value
        entry.update()
        return 0


class TypeRPC(_EnumRPC):
    """Ticket types (defect, enhancement, task, ...)."""
    namespace = 'ticket.type'
    model_class = model.Type
    words = {'entry': 'ticket type', 'entries': 'ticket types'}


class ResolutionRPC(_EnumRPC):
    """Ticket resolutions (fixed, wontfix, ...)."""
    namespace = 'ticket.resolution'
    model_class = model.Resolution
    words = {'entry': 'resolution', 'entries': 'resolutions'}


class PriorityRPC(_EnumRPC):
    """Ticket priorities."""
    namespace = 'ticket.priority'
    model_class = model.Priority
    words = {'entry': 'priority', 'entries': 'priorities'}


class SeverityRPC(_EnumRPC):
    """Ticket severities."""
    namespace = 'ticket.severity'
    model_class = model.Severity
    words = {'entry': 'severity', 'entries': 'severities'}


class StatusRPC(AbstractRPCHandler):
    """Ticket statuses, as defined by the active workflow."""

    def xmlrpc_namespace(self):
        return 'ticket.status'

    @expose_rpc('TICKET_VIEW', list, readonly=True, result='string[]')
    def getAll(self, req):
        """Return every status the workflow knows."""
        return sorted(TicketSystem(self.env).get_all_status())

    @expose_rpc('TICKET_VIEW', int, str, readonly=True)
    def get(self, req, name):
        """Deprecated no-op (statuses come from the workflow). Returns 0."""
        return 0

    @expose_rpc('TICKET_ADMIN', int, str, str, readonly=False)
    def create(self, req, name, value):
        """Deprecated no-op: configure `[ticket-workflow]`. Returns 0."""
        return 0

    @expose_rpc('TICKET_ADMIN', int, str, str, readonly=False)
    def update(self, req, name, value):
        """Deprecated no-op: configure `[ticket-workflow]`. Returns 0."""
        return 0

    @expose_rpc('TICKET_ADMIN', int, str, readonly=False)
    def delete(self, req, name):
        """Deprecated no-op: configure `[ticket-workflow]`. Returns 0."""
        return 0


__getattr__ = compatibility_names(__name__)
