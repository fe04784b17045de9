"""The permission matrix: for every exposed method, a user holding only
XML_RPC, and one holding XML_RPC plus exactly what the method needs
(users provisioned by environment.MATRIX_GRANTS). Without it every
call is refused with 403 (or, for queries, the hidden resource is left
out) and changes nothing — called directly at each URL variant and
inside system.multicall, in both protocols. listMethods and the API page
list exactly what the user may call."""

import re
import uuid
from datetime import datetime, timedelta

import pytest

from clients import PROTOCOLS, Binary, Fault
from environment import MATRIX_GRANTS, matrix_user

pytestmark = pytest.mark.parametrize('database', ['sqlite'], indirect=True)

PATHS = {'xmlrpc': ['/login/rpc', '/login/xmlrpc'],
         'jsonrpc': ['/login/rpc', '/login/jsonrpc']}


def name(prefix='M'):
    return prefix + uuid.uuid4().hex[:10]


class Fixtures(object):
    """Resources the matrix calls work on, made by admin."""

    def __init__(self, server):
        self.server = server
        self.admin = server.client('xmlrpc', 'admin')
        self.delivered_webhook = self.webhook()
        self.ticket = self.new_ticket()
        self.admin.call('ticket.putAttachment', self.ticket, 'a.txt', '',
                        Binary(b'a'))
        self.page = self.new_page()
        self.known_user = known_user(server)
        self.admin.call('wiki.putAttachment', self.page + '/a.txt',
                        Binary(b'a'))

    def webhook(self):
        return self.admin.call('webhook.create', PUBLIC_URL, {})['id']

    def delivery(self):
        """A delivery log entry (as a worker writes one) to redeliver."""
        env = self.server.env()
        try:
            with env.db_transaction as db:
                cursor = db.cursor()
                cursor.execute("""
                    INSERT INTO rpc_webhook_delivery (webhook, seq,
                        message_id, status, attempts, first_attempt,
                        last_attempt, response_code, response_body,
                        duration_ms, error)
                    VALUES (%s, 1, 'msg', 'failed', 1, 0, 0, 0, '', 0,
                            'unreachable')""", (self.delivered_webhook,))
                return db.get_last_id(cursor, 'rpc_webhook_delivery')
        finally:
            env.shutdown()

    def new_report(self):
        return self.admin.call('report.create', name('Report'), '',
                               'SELECT 1')

    def granted(self, action):
        """A fresh subject holding `action`; the arguments to revoke it."""
        subject = name('subject')
        self.admin.call('permission.grant', subject, action)
        return subject, action

    def new_ticket(self):
        return self.admin.call('ticket.create', name('T'), '')

    def new_page(self):
        page = name('Page')
        self.admin.call('wiki.putPage', page, 'x', {})
        return page

    def new_entry(self, namespace):
        entry = name()
        if namespace in ENUM_NAMESPACES:
            self.admin.call(namespace + '.create', entry, '99')
        else:
            self.admin.call(namespace + '.create', entry, {})
        return entry

    def commented_ticket(self, comments=2):
        """A new ticket with `comments` comments by admin."""
        tid = self.new_ticket()
        for number in range(comments):
            self.admin.call('ticket.update', tid, 'comment %d' % number)
        return tid

    def ticket_attachment(self):
        tid = self.new_ticket()
        self.admin.call('ticket.putAttachment', tid, 'b.txt', '',
                        Binary(b'b'))
        return tid

    def page_attachment(self):
        page = self.new_page()
        self.admin.call('wiki.putAttachment', page + '/b.txt', Binary(b'b'))
        return page


def known_user(server):
    """A user Trac knows (one with a session), with name and email."""
    username = name('known')
    env = server.env()
    with env.db_transaction as db:
        db("INSERT INTO session VALUES (%s, 1, 0)", (username,))
        db.executemany("INSERT INTO session_attribute VALUES (%s, 1, %s, %s)",
                       [(username, 'name', 'Known ' + username),
                        (username, 'email', username + '@example.org')])
    env.invalidate_known_users_cache()
    env.shutdown()
    return username


MODEL_NAMESPACES = ['ticket.component', 'ticket.version', 'ticket.milestone']
ENUM_NAMESPACES = ['ticket.type', 'ticket.priority', 'ticket.severity',
                   'ticket.resolution']
SINCE = datetime(2000, 1, 1)
#: a webhook target that is no private address (and never contacted)
PUBLIC_URL = 'http://192.0.32.10/hook'


def rows():
    """(method, declared permission, granted permissions, arguments,
    state) — `arguments(fx)` makes the call's arguments, `state(fx,
    args)` what a refused call must not change, `'filtered'` for calls
    that leave hidden resources out instead of failing."""
    t = lambda fx: (fx.ticket,)  # noqa: E731
    p = lambda fx: (fx.page,)  # noqa: E731
    none = lambda fx: ()  # noqa: E731
    table = [
        ('system.getAPIVersion', 'XML_RPC', [], none, None),
        ('system.listMethods', 'XML_RPC', [], none, None),
        ('system.methodHelp', 'XML_RPC', [],
         lambda fx: ('ticket.get',), None),
        ('system.methodSignature', 'XML_RPC', [],
         lambda fx: ('ticket.get',), None),
        ('system.multicall', 'XML_RPC', [], lambda fx: ([],), None),
        ('rpc.discover', 'XML_RPC', [], none, None),
        ('ticket.query', None, ['TICKET_VIEW'],
         lambda fx: ('id=%d' % fx.ticket,), 'filtered'),
        ('ticket.getRecentChanges', None, ['TICKET_VIEW'],
         lambda fx: (SINCE,), 'filtered'),
        ('ticket.get', None, ['TICKET_VIEW'], t, None),
        ('ticket.getActions', None, ['TICKET_VIEW'], t, None),
        ('ticket.getAvailableActions', None, ['TICKET_VIEW'], t, None),
        ('ticket.changeLog', None, ['TICKET_VIEW'], t, None),
        ('ticket.getTicketFields', 'TICKET_VIEW', ['TICKET_VIEW'], none,
         None),
        ('ticket.create', 'TICKET_CREATE', ['TICKET_CREATE'],
         lambda fx: (name('New'), 'd'),
         lambda fx, args: fx.admin.call('ticket.query',
                                        'max=1&order=id&desc=1')),
        ('ticket.update', None, ['TICKET_VIEW', 'TICKET_MODIFY'],
         lambda fx: (fx.ticket, 'comment', {'keywords': name()}),
         lambda fx, args: fx.admin.call('ticket.get', args[0])),
        ('ticket.delete', None, ['TICKET_ADMIN'],
         lambda fx: (fx.new_ticket(),),
         lambda fx, args: fx.admin.call('ticket.get', args[0])),
        ('ticket.listAttachments', None, ['TICKET_VIEW'], t, None),
        ('ticket.getAttachment', None, ['TICKET_VIEW'],
         lambda fx: (fx.ticket, 'a.txt'), None),
        ('ticket.putAttachment', None, ['TICKET_VIEW', 'TICKET_APPEND'],
         lambda fx: (fx.ticket, name() + '.txt', '', Binary(b'x')),
         lambda fx, args: fx.admin.call('ticket.listAttachments', args[0])),
        ('ticket.deleteAttachment', None, ['TICKET_VIEW', 'TICKET_ADMIN'],
         lambda fx: (fx.ticket_attachment(), 'b.txt'),
         lambda fx, args: fx.admin.call('ticket.listAttachments', args[0])),
        ('ticket.editComment', None, ['TICKET_VIEW', 'TICKET_EDIT_COMMENT'],
         lambda fx: (fx.commented_ticket(1), 1, name('edited')),
         lambda fx, args: fx.admin.call('ticket.getCommentHistory',
                                        args[0], 1)),
        ('ticket.deleteComment', None, ['TICKET_VIEW', 'TICKET_ADMIN'],
         lambda fx: (fx.commented_ticket(), 2),
         lambda fx, args: fx.admin.call('ticket.changeLog', args[0])),
        ('ticket.getCommentHistory', None, ['TICKET_VIEW'],
         lambda fx: (fx.commented_ticket(1), 1), None),
        ('ticket.replyToComment', None, ['TICKET_VIEW', 'TICKET_APPEND'],
         lambda fx: (fx.commented_ticket(1), 1, 'reply'),
         lambda fx, args: fx.admin.call('ticket.changeLog', args[0])),
        ('ticket.status.getAll', 'TICKET_VIEW', ['TICKET_VIEW'], none, None),
        ('ticket.status.get', 'TICKET_VIEW', ['TICKET_VIEW'],
         lambda fx: ('new',), None),
        ('wiki.getRecentChanges', 'WIKI_VIEW', ['WIKI_VIEW'],
         lambda fx: (SINCE,), None),
        ('wiki.getRPCVersionSupported', 'WIKI_VIEW', ['WIKI_VIEW'], none,
         None),
        ('wiki.getAllPages', 'WIKI_VIEW', ['WIKI_VIEW'], none, None),
        ('wiki.wikiToHtml', 'WIKI_VIEW', ['WIKI_VIEW'],
         lambda fx: ('x',), None),
        ('wiki.getPage', None, ['WIKI_VIEW'], p, None),
        ('wiki.getPageVersion', None, ['WIKI_VIEW'],
         lambda fx: (fx.page, 1), None),
        ('wiki.getPageHTML', None, ['WIKI_VIEW'], p, None),
        ('wiki.getPageHTMLVersion', None, ['WIKI_VIEW'],
         lambda fx: (fx.page, 1), None),
        ('wiki.getPageInfo', None, ['WIKI_VIEW'], p, None),
        ('wiki.getPageInfoVersion', None, ['WIKI_VIEW'],
         lambda fx: (fx.page, 1), None),
        ('wiki.listLinks', None, ['WIKI_VIEW'], p, None),
        ('wiki.listAttachments', None, ['WIKI_VIEW'], p, None),
        ('wiki.getAttachment', None, ['WIKI_VIEW'],
         lambda fx: (fx.page + '/a.txt',), None),
        ('wiki.putPage', None, ['WIKI_CREATE'],
         lambda fx: (name('NewPage'), 'text', {}),
         lambda fx, args: args[0] in fx.admin.call('wiki.getAllPages')),
        ('wiki.deletePage', None, ['WIKI_DELETE'],
         lambda fx: (fx.new_page(),),
         lambda fx, args: fx.admin.call('wiki.getPage', args[0])),
        ('wiki.putAttachment', None, ['WIKI_VIEW', 'WIKI_MODIFY'],
         lambda fx: (fx.page + '/' + name() + '.txt', Binary(b'x')),
         lambda fx, args: fx.admin.call('wiki.listAttachments', fx.page)),
        ('wiki.putAttachmentEx', None, ['WIKI_VIEW', 'WIKI_MODIFY'],
         lambda fx: (fx.page, name() + '.txt', '', Binary(b'x')),
         lambda fx, args: fx.admin.call('wiki.listAttachments', args[0])),
        ('wiki.deleteAttachment', None, ['WIKI_VIEW', 'WIKI_DELETE'],
         lambda fx: (fx.page_attachment() + '/b.txt',),
         lambda fx, args: fx.admin.call('wiki.getAttachment', args[0])),
        ('search.getSearchFilters', 'SEARCH_VIEW', ['SEARCH_VIEW'], none,
         None),
        ('search.performSearch', 'SEARCH_VIEW', ['SEARCH_VIEW'],
         lambda fx: ('anything',), None),
        ('timeline.getEventFilters', 'TIMELINE_VIEW', ['TIMELINE_VIEW'],
         none, None),
        ('timeline.getEvents', 'TIMELINE_VIEW', ['TIMELINE_VIEW'],
         lambda fx: (SINCE, SINCE + timedelta(days=1)), None),
        ('user.getAll', 'TICKET_VIEW', ['TICKET_VIEW'], none, None),
        ('user.get', 'TICKET_VIEW', ['TICKET_VIEW'],
         lambda fx: (fx.known_user,), None),
        ('user.getOwners', None, ['TICKET_VIEW'], t, None),
        ('permission.getActions', 'XML_RPC', [], none, None),
        ('permission.getUserPermissions', 'XML_RPC', [], none, None),
        ('permission.check', 'XML_RPC', [], lambda fx: ('TICKET_VIEW',),
         None),
        ('permission.getGrants', 'PERMISSION_ADMIN', ['PERMISSION_ADMIN'],
         none, None),
        ('permission.grant', 'PERMISSION_GRANT', ['PERMISSION_GRANT'],
         lambda fx: (name('subject'), 'PERMISSION_GRANT'),
         lambda fx, args: fx.admin.call('permission.getGrants', args[0])),
        ('permission.revoke', 'PERMISSION_REVOKE', ['PERMISSION_REVOKE'],
         lambda fx: fx.granted('PERMISSION_REVOKE'),
         lambda fx, args: fx.admin.call('permission.getGrants', args[0])),
        ('report.getAll', 'REPORT_VIEW', ['REPORT_VIEW'], none, None),
        ('report.get', None, ['REPORT_VIEW'], lambda fx: (1,), None),
        ('report.execute', None, ['REPORT_VIEW'], lambda fx: (1,), None),
        ('report.create', 'REPORT_CREATE', ['REPORT_CREATE'],
         lambda fx: (name('Report'), '', 'SELECT 1'),
         lambda fx, args: fx.admin.call('report.getAll')),
        ('report.update', None, ['REPORT_MODIFY'],
         lambda fx: (fx.new_report(), {'title': name()}),
         lambda fx, args: fx.admin.call('report.get', args[0])),
        ('report.delete', None, ['REPORT_DELETE'],
         lambda fx: (fx.new_report(),),
         lambda fx, args: fx.admin.call('report.getAll')),
        ('changes.cursor', 'XML_RPC', [], none, None),
        ('changes.get', 'XML_RPC', [], lambda fx: ('',), None),
        ('webhook.getAll', 'TRAC_ADMIN', ['TRAC_ADMIN'], none, None),
        ('webhook.get', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (fx.webhook(),), None),
        ('webhook.getDeliveries', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (fx.webhook(),), None),
        ('webhook.create', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (PUBLIC_URL, {'description': name()}),
         lambda fx, args: fx.admin.call('webhook.getAll')),
        ('webhook.update', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (fx.webhook(), {'description': name()}),
         lambda fx, args: fx.admin.call('webhook.get', args[0])),
        ('webhook.delete', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (fx.webhook(),),
         lambda fx, args: fx.admin.call('webhook.getAll')),
        ('webhook.redeliver', 'TRAC_ADMIN', ['TRAC_ADMIN'],
         lambda fx: (fx.delivery(),),
         lambda fx, args: fx.admin.call('webhook.getDeliveries',
                                        fx.delivered_webhook)),
        ('ticket.milestone.getStats', 'ROADMAP_VIEW',
         ['ROADMAP_VIEW', 'MILESTONE_VIEW'],
         lambda fx: (fx.new_entry('ticket.milestone'),), None),
    ]
    for namespace in ['ticket.status']:
        for method in ('create', 'update'):
            table.append(('%s.%s' % (namespace, method), 'TICKET_ADMIN',
                          ['TICKET_ADMIN'], lambda fx: ('x', 'y'), None))
        table.append((namespace + '.delete', 'TICKET_ADMIN', ['TICKET_ADMIN'],
                      lambda fx: ('x',), None))
    for namespace in MODEL_NAMESPACES + ENUM_NAMESPACES:
        table.extend(entry_rows(namespace))
    return table


def entry_rows(namespace):
    """Milestones also need MILESTONE_VIEW on the milestone itself."""
    extra = ['MILESTONE_VIEW'] if namespace == 'ticket.milestone' else []
    enum = namespace in ENUM_NAMESPACES
    value = '5' if enum else {'description': 'changed'}
    listing = lambda fx, args: fx.admin.call(  # noqa: E731
        namespace + '.getAll')
    fetch = lambda fx, args: fx.admin.call(  # noqa: E731
        namespace + '.get', args[0])
    return [
        (namespace + '.getAll', 'TICKET_VIEW', ['TICKET_VIEW'],
         lambda fx: (), None),
        (namespace + '.get', 'TICKET_VIEW', ['TICKET_VIEW'] + extra,
         lambda fx: (fx.new_entry(namespace),), None),
        (namespace + '.create', 'TICKET_ADMIN', ['TICKET_ADMIN'] + extra,
         lambda fx: (name(), '7' if enum else {}), listing),
        (namespace + '.update', 'TICKET_ADMIN', ['TICKET_ADMIN'] + extra,
         lambda fx: (fx.new_entry(namespace), value), fetch),
        (namespace + '.delete', 'TICKET_ADMIN', ['TICKET_ADMIN'] + extra,
         lambda fx: (fx.new_entry(namespace),), listing),
    ]


ROWS = rows()
PLUGIN_NAMESPACES = ('testing.', 'bare.')


@pytest.fixture(scope='module')
def fixtures(server):
    return Fixtures(server)


def slot_code(protocol, slot):
    """The fault code in a multicall slot, or None for a result."""
    if protocol == 'xmlrpc':
        return slot.get('faultCode') if isinstance(slot, dict) else None
    return slot['error']['code'] if slot['error'] else None


def test_matrix_covers_every_method(server):
    exposed = {method for method in server.client('xmlrpc', 'admin').call(
        'system.listMethods') if not method.startswith(PLUGIN_NAMESPACES)}
    assert exposed == {row[0] for row in ROWS}
    assert {tuple(sorted(row[2])) for row in ROWS} <= \
        {tuple(sorted(actions)) for actions in MATRIX_GRANTS}


@pytest.mark.parametrize('row', ROWS, ids=[row[0] for row in ROWS])
def test_refused_without_permission(server, fixtures, row):
    method, declared, needed, arguments, state = row
    user = 'norpc' if declared == 'XML_RPC' else matrix_user([])
    args = arguments(fixtures)
    before = state(fixtures, args) if callable(state) else None
    for protocol in PROTOCOLS:
        for path in PATHS[protocol]:
            client = server.client(protocol, user, path)
            if state == 'filtered':
                assert args[0] and fixtures.ticket not in client.call(
                    method, *args)
                continue
            with pytest.raises(Fault) as raised:
                client.call(method, *args)
            assert raised.value.code == 403, (protocol, path)
        if declared != 'XML_RPC' and state != 'filtered':
            client = server.client(protocol, user)
            [slot] = client.multicall([(method, args)])
            assert slot_code(protocol, slot) == 403, protocol
    if callable(state):
        assert state(fixtures, args) == before


@pytest.mark.parametrize('row', ROWS, ids=[row[0] for row in ROWS])
def test_allowed_with_permission(server, fixtures, row):
    method, declared, needed, arguments, state = row
    for protocol in PROTOCOLS:
        client = server.client(protocol, matrix_user(needed),
                               PATHS[protocol][1])
        result = client.call(method, *arguments(fixtures))
        if state == 'filtered':
            assert fixtures.ticket in result
        [slot] = client.multicall([(method, arguments(fixtures))]) \
            if method != 'system.multicall' else [None]
        assert slot is None or slot_code(protocol, slot) is None


def listed_methods(server, user):
    return {method for method
            in server.client('jsonrpc', user).call('system.listMethods')
            if not method.startswith(PLUGIN_NAMESPACES)}


def page_methods(server, user):
    status, headers, body = server.get('/login/rpc', user)
    assert status == 200
    return {method for method in re.findall(
        r'<div class="rpc-method" id="([^"]+)"', body.decode('utf-8'))
        if not method.startswith(PLUGIN_NAMESPACES)}


#: what lists a method that checks per resource: any of these actions on
#: its realm (as Trac's navigation decides what to show)
LISTED_BY = {'ticket.update': {'TICKET_APPEND', 'TICKET_CHGPROP'},
             'ticket.delete': {'TICKET_ADMIN'},
             'ticket.putAttachment': {'TICKET_APPEND'},
             'ticket.deleteAttachment': {'TICKET_ADMIN'},
             'ticket.editComment': {'TICKET_EDIT_COMMENT', 'TICKET_APPEND'},
             'ticket.deleteComment': {'TICKET_ADMIN'},
             'ticket.replyToComment': {'TICKET_APPEND'},
             'wiki.putPage': {'WIKI_CREATE', 'WIKI_MODIFY'},
             'wiki.deletePage': {'WIKI_DELETE'},
             'wiki.putAttachment': {'WIKI_MODIFY'},
             'wiki.putAttachmentEx': {'WIKI_MODIFY'},
             'wiki.deleteAttachment': {'WIKI_DELETE'},
             'user.getOwners': {'TICKET_VIEW'},
             'report.get': {'REPORT_VIEW'},
             'report.execute': {'REPORT_VIEW'},
             'report.update': {'REPORT_MODIFY'},
             'report.delete': {'REPORT_DELETE'}}
#: Trac's meta permissions among the matrix grants
IMPLIED = {'TICKET_ADMIN': {'TICKET_VIEW', 'TICKET_CREATE', 'TICKET_MODIFY',
                            'TICKET_APPEND', 'TICKET_CHGPROP',
                            'TICKET_EDIT_COMMENT'},
           'TICKET_MODIFY': {'TICKET_APPEND', 'TICKET_CHGPROP'},
           'PERMISSION_ADMIN': {'PERMISSION_GRANT', 'PERMISSION_REVOKE'}}
#: TRAC_ADMIN holds every action
IMPLIED['TRAC_ADMIN'] = {row[1] for row in ROWS if row[1]}.union(
    *LISTED_BY.values(), {'TICKET_VIEW', 'WIKI_VIEW'})


def listed_by(method, declared):
    """The actions any of which lists `method`."""
    if declared is not None:
        return {declared}
    if method in LISTED_BY:
        return LISTED_BY[method]
    return {'TICKET_VIEW' if method.startswith('ticket.') else 'WIKI_VIEW'}


@pytest.mark.parametrize('actions', MATRIX_GRANTS,
                         ids=[matrix_user(a) for a in MATRIX_GRANTS])
def test_listing_shows_what_the_user_may_call(server, actions):
    held = {'XML_RPC'}.union(actions, *[IMPLIED.get(action, ())
                                        for action in actions])
    expected = {row[0] for row in ROWS if listed_by(row[0], row[1]) & held}
    user = matrix_user(actions)
    assert listed_methods(server, user) == expected
    assert page_methods(server, user) == expected
