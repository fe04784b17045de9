# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The change feed: every change to tickets, wiki pages, attachments,
milestones, components, versions and ticket enums, in the order it was
committed, read with a resumable cursor (`changes.get`) and pushed to
webhooks (`tracrpc.webhooks`).

Changes come from Trac's change listeners, so changes made in the web
UI and with `trac-admin` are recorded as well as those made over RPC.
Components, versions and enums have no listeners in Trac: their tables
are compared with the last snapshot whenever Trac's ticket field cache
says they may have changed, each time the feed is read.

Exactly once, in commit order: each change gets its sequence number
from one counter row, updated in the transaction that records the
change. The update locks the row until that transaction commits, so
the numbers are handed out in commit order: a reader that sees number
*n* sees every number below it, and never skips a change committed
late. Changes made over RPC are recorded in the transaction of the
change itself; Trac calls its listeners after its own commit for the
web UI and `trac-admin`, so a process killed in between loses that
one change from the feed.
"""

import contextvars
from datetime import datetime, timedelta

from trac.attachment import IAttachmentChangeListener
from trac.cache import key_to_id
from trac.config import IntOption
from trac.core import implements
from trac.db.schema import Column, Index, Table
from trac.perm import PermissionError
from trac.resource import Resource
from trac.ticket.api import IMilestoneChangeListener, ITicketChangeListener, \
    TicketSystem
from trac.util.datefmt import from_utimestamp, to_utimestamp, utc
from trac.web.api import IRequestFilter
from trac.wiki.api import IWikiChangeListener

from tracrpc.api import AbstractRPCHandler, InvalidParams, ServiceException, \
    expose_rpc
from tracrpc.schema import PluginTables

__all__ = ['ChangeFeed', 'ChangesRPC', 'CURSOR_EXPIRED']

SCHEMA_NAME = 'tracrpc_feed_version'
SCHEMA_VERSION = 1
SCHEMA = [
    Table('rpc_change', key='seq')[
        Column('seq', type='int64'),
        Column('time', type='int64'),
        Column('realm'),
        Column('resource'),
        Column('kind'),
        Column('author'),
        Column('version', type='int'),
        Column('fields'),
        Column('old_resource'),
        Index(['time'])],
    # counters: `seq` (the last number handed out), `pruned` (the last
    # number retention removed), `fields` (the generation of Trac's
    # ticket field cache the snapshot was taken at)
    Table('rpc_feed_state', key='name')[
        Column('name'),
        Column('value', type='int64')],
    # what components, versions and enums looked like when last compared
    Table('rpc_feed_snapshot', key=('realm', 'name'))[
        Column('realm'),
        Column('name'),
        Column('value')],
]

#: fault code of a cursor older than what the feed retains
CURSOR_EXPIRED = 410

#: the realms without change listeners, and the query of each: the name,
#: then what a change changes
_SNAPSHOT_QUERIES = {
    'component': "SELECT name, owner, description FROM component",
    'version': "SELECT name, time, description FROM version",
    'enum': "SELECT type, name, value, description FROM enum",
}
_ENUM_REALMS = ('priority', 'resolution', 'severity', 'ticket_type')

#: the permission to view a change of each realm (enums: the realm of
#: the ticket fields they are values of)
_VIEW_ACTIONS = {'ticket': 'TICKET_VIEW', 'wiki': 'WIKI_VIEW',
                 'milestone': 'MILESTONE_VIEW', 'component': 'TICKET_VIEW',
                 'version': 'TICKET_VIEW'}

#: who made the change being recorded, where Trac's listener does not say
#: (a deletion): the user of the request being served
_acting_user = contextvars.ContextVar('tracrpc_acting_user', default='')

#: Trac's cache id of the ticket fields (reset when a component, version,
#: milestone or enum value is added, renamed or removed)
_FIELDS_CACHE = key_to_id(TicketSystem.__dict__['fields'].make_key(
    TicketSystem))

#: how many rows one read looks at, at most, for hidden changes
_SCAN_FACTOR = 10


def _now():
    return to_utimestamp(datetime.now(utc))


class ChangeFeed(PluginTables):
    """Records every change in `rpc_change` and reads it back with
    cursors. Other components record changes Trac has no listener for
    with `record()`."""

    implements(IRequestFilter,
               ITicketChangeListener, IWikiChangeListener,
               IAttachmentChangeListener, IMilestoneChangeListener)

    schema_name, schema_version, schema = SCHEMA_NAME, SCHEMA_VERSION, SCHEMA

    retention_days = IntOption('rpc', 'feed_retention_days', 30,
        """How many days the change feed (`changes.get`, webhooks) keeps
        a change. A client whose cursor is older must resynchronise;
        webhooks deliver nothing older. 0 keeps every change.""")

    def __init__(self):
        self._next_prune = 0
        self._installed = False

    # PluginTables

    def tables_created(self, db):
        db.executemany("INSERT INTO rpc_feed_state (name, value) "
                       "VALUES (%s, %s)",
                       [('seq', 0), ('pruned', 0), ('fields', -1)])
        # what is there now is where the feed starts, not a change
        self._snapshot_changes(db, self._reserve(db, 0), quietly=True)

    # IRequestFilter: who deletes, for the listeners that do not say

    def pre_process_request(self, req, handler):
        _acting_user.set(req.authname or '')
        return handler

    def post_process_request(self, req, template, data, metadata):
        _acting_user.set('')
        return template, data, metadata

    # ITicketChangeListener

    def ticket_created(self, ticket):
        fields = sorted(name for name, value in ticket.values.items()
                        if value not in (None, '') and
                        name not in ('time', 'changetime'))
        self.record('ticket', ticket.id, 'created', ticket['time'],
                    ticket['reporter'], fields=fields)

    def ticket_changed(self, ticket, comment, author, old_values):
        fields = set(old_values)
        if comment and comment.strip():
            fields.add('comment')
        self.record('ticket', ticket.id, 'changed', ticket['changetime'],
                    author, fields=sorted(fields),
                    version=self._comment_number(ticket))

    def ticket_deleted(self, ticket):
        self.record('ticket', ticket.id, 'deleted')

    def ticket_comment_modified(self, ticket, cdate, author, comment,
                                old_comment):
        self.record('ticket', ticket.id, 'comment_edited', author=author,
                    fields=['comment'],
                    version=self._comment_number(ticket, cdate))

    def ticket_change_deleted(self, ticket, cdate, changes):
        self.record('ticket', ticket.id, 'change_deleted',
                    fields=sorted(changes))

    # IWikiChangeListener

    def wiki_page_added(self, page):
        self.record('wiki', page.name, 'created', page.time, page.author,
                    fields=['text'], version=page.version)

    def wiki_page_changed(self, page, version, t, comment, author):
        self.record('wiki', page.name, 'changed', t, author,
                    fields=['text'], version=version)

    def wiki_page_deleted(self, page):
        self.record('wiki', page.name, 'deleted')

    def wiki_page_version_deleted(self, page):
        self.record('wiki', page.name, 'version_deleted',
                    version=page.version + 1)

    def wiki_page_renamed(self, page, old_name):
        self.record('wiki', page.name, 'renamed', version=page.version,
                    old_resource=old_name)

    def wiki_page_comment_modified(self, page, old_comment):
        self.record('wiki', page.name, 'comment_edited', fields=['comment'],
                    version=page.version)

    # IAttachmentChangeListener

    def attachment_added(self, attachment):
        self.record('attachment', _attachment_id(attachment), 'created',
                    attachment.date, attachment.author)

    def attachment_deleted(self, attachment):
        self.record('attachment', _attachment_id(attachment), 'deleted')

    def attachment_moved(self, attachment, old_parent_realm, old_parent_id,
                         old_filename):
        self.record('attachment', _attachment_id(attachment), 'renamed',
                    old_resource='%s:%s:%s' % (old_parent_realm,
                                               old_parent_id, old_filename))

    # IMilestoneChangeListener

    def milestone_created(self, milestone):
        self.record('milestone', milestone.name, 'created')

    def milestone_changed(self, milestone, old_values):
        old_name = old_values.get('name')
        if old_name is not None and old_name != milestone.name:
            self.record('milestone', milestone.name, 'renamed',
                        fields=sorted(old_values), old_resource=old_name)
        else:
            self.record('milestone', milestone.name, 'changed',
                        fields=sorted(old_values))

    def milestone_deleted(self, milestone):
        self.record('milestone', milestone.name, 'deleted')

    # Recording

    def record(self, realm, id, kind, time=None, author=None, fields=(),
               version=0, old_resource=''):
        """Add one change to the feed, in the current transaction if one
        is open (then it commits or rolls back with the change)."""
        self.record_many([(realm, str(id), kind,
                           to_utimestamp(time) if time else _now(),
                           author if author is not None else
                           _acting_user.get(),
                           version or 0, ','.join(fields), old_resource)])

    def record_many(self, rows, compare=False):
        """Add changes, each a tuple `(realm, resource, kind, time
        (microseconds), author, version, fields (comma-joined),
        old_resource)`, in one transaction; changes to components,
        versions and enums not yet recorded go first (those Trac's
        ticket field cache tells of; all of them with `compare`)."""
        if not self.installed():
            self.log.warning("The change feed's tables are missing: run "
                             "trac-admin ENV upgrade. Not recorded: %r",
                             rows)
            return
        rows = list(rows)
        with self.env.db_transaction as db:
            state = self._reserve(db, len(rows))
            earlier = self._snapshot_changes(db, state, compare)
            if earlier:
                db("UPDATE rpc_feed_state SET value=value+%s "
                   "WHERE name='seq'", (len(earlier),))
            rows = earlier + rows
            first = state['seq'] - len(rows) + len(earlier) + 1
            db.executemany("""
                INSERT INTO rpc_change (seq, realm, resource, kind, time,
                                        author, version, fields,
                                        old_resource)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [(first + i,) + tuple(row) for i, row in enumerate(rows)])
        self._prune_now_and_then()

    def _reserve(self, db, count):
        """Take `count` numbers; return the feed's state (`seq`: the last
        number taken, `fields`: the field cache generation of the last
        snapshot, `cache`: the generation now). The counter row stays
        locked until this transaction ends, so numbers are taken in
        commit order. Updating the row locks it (in sqlite, the whole
        database) and lets this transaction read its new value; with
        nothing to take, a locking read does the same (sqlite has no
        `FOR UPDATE` and needs none)."""
        sqlite = self.env.config.get('trac', 'database').startswith(
            'sqlite:')
        if count or sqlite:
            db("UPDATE rpc_feed_state SET value=value+%s WHERE name='seq'",
               (count,))
            state = dict(db("SELECT name, value FROM rpc_feed_state"))
        else:
            state = dict(db("SELECT name, value FROM rpc_feed_state "
                            "FOR UPDATE"))
        state['cache'] = self._fields_generation(db)
        return state

    def installed(self):
        """Whether `trac-admin ENV upgrade` made the feed's tables (a
        process asks until they are there)."""
        if not self._installed:
            self._installed = self.tables_installed()
        return self._installed

    def _comment_number(self, ticket, cdate=None):
        """The number of the ticket's comment made at `cdate` (default:
        its last change), as Trac stores it (`2`, or `1.2` for a reply
        to 1: the last part)."""
        when = to_utimestamp(cdate or ticket['changetime'])
        for cnum, in self.env.db_query("""
                SELECT oldvalue FROM ticket_change
                WHERE ticket=%s AND time=%s AND field='comment'""",
                (ticket.id, when)):
            number = (cnum or '').rsplit('.', 1)[-1]
            return int(number) if number.isdigit() else 0
        return 0

    # Components, versions and enums: compared with a snapshot

    def sync(self):
        """Record the changes to components, versions and enums since the
        last comparison (when there are none, nothing is locked)."""
        with self.env.db_query as db:
            unchanged = self._snapshot(db) == self._stored_snapshot(db)
        if not unchanged:
            self.record_many([], compare=True)

    def _snapshot_changes(self, db, state, compare=False, quietly=False):
        """The changes to components, versions and enums since the last
        snapshot, as rows for `record_many`, if Trac's ticket field cache
        was reset since (a name added, renamed or removed) or `compare`;
        the snapshot is taken anew. `quietly`: return no changes."""
        generation = state['cache']
        if not (compare or quietly) and generation == state['fields']:
            return []
        old = self._stored_snapshot(db)
        new = self._snapshot(db)
        now, author = _now(), _acting_user.get()
        rows = [(realm, name, 'created' if (realm, name) not in old
                 else 'changed', now, author, 0, '', '')
                for (realm, name), value in sorted(new.items())
                if old.get((realm, name)) != value]
        rows += [(realm, name, 'deleted', now, author, 0, '', '')
                 for (realm, name) in sorted(old) if (realm, name) not in new]
        db("DELETE FROM rpc_feed_snapshot")
        db.executemany("INSERT INTO rpc_feed_snapshot (realm, name, value) "
                       "VALUES (%s, %s, %s)",
                       [key + (value,) for key, value in new.items()])
        db("UPDATE rpc_feed_state SET value=%s WHERE name='fields'",
           (generation,))
        return [] if quietly else rows

    def _stored_snapshot(self, db):
        return {(realm, name): value for realm, name, value in db(
            "SELECT realm, name, value FROM rpc_feed_snapshot")}

    def _snapshot(self, db):
        """`{(realm, name): what a change changes, as text}`."""
        snapshot = {}
        for realm in ('component', 'version'):
            for row in db(_SNAPSHOT_QUERIES[realm]):
                snapshot[realm, row[0]] = _as_text(row[1:])
        for row in db(_SNAPSHOT_QUERIES['enum']):
            if row[0] in _ENUM_REALMS:
                snapshot[row[0], row[1]] = _as_text(row[2:])
        return snapshot

    def _fields_generation(self, db):
        for generation, in db("SELECT generation FROM cache WHERE id=%s",
                              (_FIELDS_CACHE,)):
            return generation
        return -1

    def _state(self, name):
        return self.env.db_query("SELECT value FROM rpc_feed_state "
                                 "WHERE name=%s", (name,))[0][0]

    # Retention

    def _prune_now_and_then(self):
        """Drop what is older than the retention, at most once a minute
        per process."""
        now = _now()
        if now < self._next_prune or self.retention_days <= 0:
            return
        self._next_prune = now + 60 * 1000000
        self.prune(datetime.now(utc) - timedelta(days=self.retention_days))

    def prune(self, before):
        """Drop the changes made before `before`; cursors older than
        the newest change dropped then expire. Changes go in feed order:
        one dated in the past (a ticket made with `when`) takes none
        recorded before it along."""
        with self.env.db_transaction as db:
            first_kept = db("SELECT MIN(seq) FROM rpc_change WHERE time>=%s",
                            (to_utimestamp(before),))[0][0]
            last = first_kept - 1 if first_kept is not None else \
                db("SELECT MAX(seq) FROM rpc_change")[0][0]
            if not last or last <= self._state('pruned'):
                return
            db("DELETE FROM rpc_change WHERE seq<=%s", (last,))
            db("UPDATE rpc_feed_state SET value=%s WHERE name='pruned' "
               "AND value<%s", (last, last))
        self.log.info("Change feed: dropped the changes up to %d", last)

    # Reading

    def last_number(self):
        """The number of the newest change recorded."""
        return self._state('seq')

    def read(self, after, limit, visible=None):
        """The changes after number `after` (`None`: the oldest kept), at
        most `limit` of those `visible(change)` accepts, as `(changes,
        last number looked at, more)`. Hidden changes are passed over
        (at most `limit` x 10 of them per read, then `more` says to come
        back). Raises `CursorExpired` for a number retention dropped."""
        self.sync()
        pruned = self._state('pruned')
        if after is None:
            after = pruned
        elif after < pruned:
            raise CursorExpired(after, pruned)
        changes, scanned = [], 0
        budget = limit * _SCAN_FACTOR
        while len(changes) < limit and scanned < budget:
            rows = self.env.db_query("""
                SELECT seq, realm, resource, kind, time, author, version,
                       fields, old_resource
                FROM rpc_change WHERE seq>%s ORDER BY seq LIMIT %s""",
                (after, min(budget - scanned, 500)))
            for row in rows:
                change = _change(row)
                scanned += 1
                after = change['seq']
                if visible is None or visible(change):
                    changes.append(change)
                    if len(changes) == limit:
                        break
            if not rows:
                break
        more = bool(self.env.db_query(
            "SELECT seq FROM rpc_change WHERE seq>%s ORDER BY seq LIMIT 1",
            (after,)))
        return changes, after, more


class CursorExpired(ServiceException):
    """The changes after the cursor are no longer kept."""
    code = CURSOR_EXPIRED

    def __init__(self, number, pruned):
        super().__init__(
            'The cursor is too old: the changes after it are no longer '
            'kept ([rpc] feed_retention_days). Read again what you keep '
            'of Trac, then go on from changes.cursor().')
        self.number, self.pruned = number, pruned


def _as_text(values):
    return '|'.join('' if value is None else str(value) for value in values)


def _attachment_id(attachment):
    return '%s:%s:%s' % (attachment.parent_realm, attachment.parent_id,
                         attachment.filename)


def _change(row):
    (seq, realm, resource, kind, time, author, version, fields,
     old_resource) = row
    change = {'seq': seq, 'realm': realm, 'id': resource, 'kind': kind,
              'time': from_utimestamp(time), 'author': author or '',
              'version': version or 0,
              'fields': fields.split(',') if fields else []}
    if old_resource:
        change['old_id'] = old_resource
    return change


def resource_of(change):
    """The Trac resource a change is about (for permission checks)."""
    if change['realm'] == 'attachment':
        realm, id, filename = change['id'].split(':', 2)
        return Resource(realm, id).child('attachment', filename)
    if change['realm'] in _VIEW_ACTIONS:
        return Resource(change['realm'], change['id'])
    return Resource('ticket')


def may_view(perm, change):
    """Whether `perm` (a permission cache) may see `change`: the checks
    of the methods that read the resource."""
    resource = resource_of(change)
    action = 'ATTACHMENT_VIEW' if resource.realm == 'attachment' else \
        _VIEW_ACTIONS.get(change['realm'], 'TICKET_VIEW')
    try:
        return action in perm(resource)
    except PermissionError:
        return False


def parse_cursor(cursor):
    """The change number a cursor stands for (`None` for `''`)."""
    if cursor == '':
        return None
    if isinstance(cursor, str) and cursor.isdigit() and len(cursor) < 19:
        return int(cursor)
    raise InvalidParams('%r is no cursor of this feed: pass what '
                        'changes.cursor() or changes.get() returned, or '
                        '"" for the oldest change kept' % (cursor,))


class ChangesRPC(AbstractRPCHandler):
    """The change feed: what changed in Trac, oldest first, from a cursor
    you keep. Store the cursor each call returns and pass it to the next:
    after any interruption you see every change exactly once, and only
    changes to what you may view."""

    def xmlrpc_namespace(self):
        return 'changes'

    @expose_rpc('XML_RPC', str, readonly=True)
    def cursor(self, req):
        """Return the cursor at the end of the feed now: pass it to
        `changes.get` to see what changes from now on. Treat it as an
        opaque string."""
        feed = ChangeFeed(self.env)
        feed.sync()
        return str(feed.last_number())

    @expose_rpc('XML_RPC', dict, str, readonly=True, result='ChangePage')
    @expose_rpc('XML_RPC', dict, str, int)
    def get(self, req, cursor, max=100):
        """Return the next changes after `cursor`, oldest first, as
        `{changes, cursor, more}`: store `cursor` and pass it to the next
        call; `more` is true while there is more to read. `""` starts at
        the oldest change kept. `max` (1-1000) bounds the number of
        changes.

        Each change is a struct with `realm`, `id`, `kind`, `time`,
        `author`, `version` and `fields`. `realm` is `ticket`, `wiki`,
        `attachment`, `milestone`, `component`, `version` or an enum
        (`priority`, `resolution`, `severity`, `ticket_type`); `id` the
        resource's id (an attachment's is `realm:id:filename` of its
        parent); `kind` one of `created`, `changed`, `deleted`,
        `renamed` (with `old_id`), `comment_edited`, `change_deleted`,
        `version_deleted`; `version` the wiki version or ticket comment
        number (0 where there is none); `fields` the names of the
        changed fields; `author` empty where Trac does not say. Changes
        to resources you may not view are left out. A cursor older than
        the changes kept (`[rpc] feed_retention_days`) fails with code
        410: read afresh what you keep, then go on from
        `changes.cursor()`."""
        if not 1 <= max <= 1000:
            raise InvalidParams('max must be 1-1000, not %d' % max)
        feed = ChangeFeed(self.env)
        after = parse_cursor(cursor)
        if after is not None and after > feed.last_number():
            raise InvalidParams('the cursor %s is past the end of this '
                                'feed: it is from another Trac' % cursor)
        changes, last, more = feed.read(
            after, max, lambda change: may_view(req.perm, change))
        for change in changes:
            del change['seq']
        return {'changes': changes, 'cursor': str(last), 'more': more}
