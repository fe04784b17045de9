"""Fine-grained permission policies: Trac's `AuthzPolicy` with
per-ticket, per-version, per-page, per-milestone and per-attachment rules,
and a "private tickets" policy plugin. Secrets are seeded with markers;
for `user` and anonymous every read method, in both protocols, called
directly, in an XML-RPC multicall, a JSON multicall and a JSON-RPC 2.0
batch, shows none of them, and writes on hidden resources are refused
with nothing changed. The admin sees every marker (so the test can fail),
and Trac's own pages hide from the same users what the RPC calls hide."""

import os
import re
from datetime import datetime

import pytest

from clients import PROTOCOLS, Binary, Fault, http_request
from conftest import serving

#: every marker starts with this: no result for user or anonymous may
#: contain it
SECRET = 'SECRET'
MARKERS = ['SECRETTICKET', 'SECRETPRIVATE', 'SECRETCOMMENT',
           'SECRETATTACHMENT', 'SECRETPAGE', 'SECRETOLDVERSION',
           'SECRETWIKIATTACHMENT', 'SECRETMILESTONE']
SINCE = datetime(2000, 1, 1)
POLICIES = ('AuthzPolicy, PrivateTicketPolicy, DefaultWikiPolicy, '
            'DefaultTicketPolicy, DefaultPermissionPolicy, '
            'LegacyAttachmentPolicy')
ANONYMOUS = ['XML_RPC', 'TICKET_VIEW', 'WIKI_VIEW', 'MILESTONE_VIEW',
             'SEARCH_VIEW', 'ROADMAP_VIEW', 'TIMELINE_VIEW']
#: AuthzPolicy rules: the admin keeps everything, everyone else loses
#: every action on the resources named
AUTHZ = """\
[*:*@*/attachment:private-*]
admin = TRAC_ADMIN
* =

[ticket:{hidden}]
admin = TRAC_ADMIN
* =

[ticket:{open}@2]
admin = TRAC_ADMIN
* =

[wiki:HiddenPage]
admin = TRAC_ADMIN
* =

[wiki:VersionedPage@1]
admin = TRAC_ADMIN
* =

[milestone:SECRETMILESTONE]
admin = TRAC_ADMIN
* =
"""


class Secrets(object):
    """What the admin seeded: ticket ids, pages and milestones."""

    def __init__(self, admin):
        self.open = admin.call('ticket.create', 'open ticket', 'public')
        for comment in ('first comment', 'SECRETCOMMENT of version 2',
                        'third comment'):
            admin.call('ticket.update', self.open, comment, {})
        admin.call('ticket.putAttachment', self.open, 'private-notes.txt',
                   'SECRETATTACHMENT notes', Binary(b'SECRETATTACHMENT'))
        admin.call('ticket.putAttachment', self.open, 'public.txt',
                   'public notes', Binary(b'public'))
        self.hidden = admin.call('ticket.create', 'SECRETTICKET summary',
                                 'SECRETTICKET description')
        self.private = admin.call('ticket.create', 'SECRETPRIVATE summary',
                                  'SECRETPRIVATE', {'keywords': 'private'})
        admin.call('wiki.putPage', 'HiddenPage', 'SECRETPAGE text', {})
        admin.call('wiki.putPage', 'VersionedPage', 'SECRETOLDVERSION', {})
        admin.call('wiki.putPage', 'VersionedPage', 'public now', {})
        admin.call('wiki.putPage', 'OpenPage', 'public [wiki:HiddenPage]',
                   {})
        admin.call('wiki.putAttachmentEx', 'OpenPage', 'private-page.txt',
                   'SECRETWIKIATTACHMENT', Binary(b'SECRETWIKIATTACHMENT'))
        for name in ('SECRETMILESTONE', 'OpenMilestone'):
            admin.call('ticket.milestone.create', name,
                       {'description': name + ' description'})
        self.tickets = [self.open, self.hidden, self.private]
        self.pages = ['HiddenPage', 'VersionedPage', 'OpenPage']
        self.milestones = ['SECRETMILESTONE', 'OpenMilestone']


@pytest.fixture(scope='module')
def authz(tmp_path_factory, mail_sink):
    """tracd with AuthzPolicy first; the seeded `Secrets`."""
    root = tmp_path_factory.mktemp('trac-authz')
    authz_file = root / 'authz.conf'
    authz_file.write_text('')
    config = [('components', 'tracopt.perm.authz_policy.*', 'enabled'),
              ('authz_policy', 'authz_file', str(authz_file)),
              ('trac', 'permission_policies', POLICIES)]
    grants = [('anonymous', action) for action in ANONYMOUS]
    with serving(root, 'sqlite:db/trac.db', mail_sink.port, config,
                 grants) as server:
        secrets = Secrets(server.client('jsonrpc', 'admin'))
        authz_file.write_text(AUTHZ.format(hidden=secrets.hidden,
                                           open=secrets.open))
        # AuthzPolicy rereads the file when its mtime changes
        mtime = os.path.getmtime(str(authz_file)) + 10
        os.utime(str(authz_file), (mtime, mtime))
        yield server, secrets


def read_calls(s):
    """Every read method, on every seeded resource."""
    calls = [('system.listMethods', []), ('ticket.query', ['max=0']),
             ('ticket.query', ['keywords~=private&max=0']),
             ('ticket.getRecentChanges', [SINCE]),
             ('ticket.getTicketFields', []), ('ticket.milestone.getAll', []),
             ('ticket.status.getAll', []), ('ticket.component.getAll', []),
             ('wiki.getRecentChanges', [SINCE]), ('wiki.getAllPages', []),
             ('wiki.wikiToHtml', ['#%d #%d #%d [wiki:HiddenPage] '
                                  '[[TicketQuery(max=0,format=table)]] '
                                  '[[TitleIndex]]' % tuple(s.tickets)]),
             ('search.getSearchFilters', []),
             ('search.performSearch', [SECRET])]
    for tid in s.tickets:
        calls += [(method, [tid]) for method in
                  ('ticket.get', 'ticket.getActions',
                   'ticket.getAvailableActions', 'ticket.changeLog',
                   'ticket.listAttachments')]
        calls += [('ticket.getAttachment', [tid, name])
                  for name in ('private-notes.txt', 'public.txt')]
    for page in s.pages:
        calls += [(method, [page]) for method in
                  ('wiki.getPage', 'wiki.getPageHTML', 'wiki.getPageInfo',
                   'wiki.listLinks', 'wiki.listAttachments')]
        calls += [(method, [page, 1]) for method in
                  ('wiki.getPageVersion', 'wiki.getPageHTMLVersion',
                   'wiki.getPageInfoVersion')]
    calls.append(('wiki.getAttachment', ['OpenPage/private-page.txt']))
    calls += [('ticket.milestone.get', [name]) for name in s.milestones]
    return calls


def write_calls(s):
    """Writes on hidden resources, each refused."""
    return [('ticket.update', [s.hidden, 'x', {'summary': 'changed'}]),
            ('ticket.update', [s.private, 'x', {'summary': 'changed'}]),
            ('ticket.putAttachment', [s.hidden, 'w.txt', '', Binary(b'w')]),
            ('ticket.putAttachment', [s.open, 'private-notes.txt', 'x',
                                      Binary(b'x')]),
            ('ticket.deleteAttachment', [s.open, 'private-notes.txt']),
            ('wiki.putPage', ['HiddenPage', 'overwritten', {}]),
            ('wiki.putAttachmentEx', ['HiddenPage', 'w.txt', '',
                                      Binary(b'w')]),
            ('wiki.deleteAttachment', ['OpenPage/private-page.txt'])]


def as_text(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    return repr(value)


def check_hidden(calls, outcomes):
    """Each outcome is a result without any marker, or a refusal (403)
    or a not-found (404), whose message may name what was asked for."""
    assert len(outcomes) == len(calls)
    for (method, args), outcome in zip(calls, outcomes):
        if isinstance(outcome, Fault):
            assert outcome.code in (403, 404), (method, args, outcome)
        else:
            assert SECRET not in as_text(outcome), (method, args, outcome)


def direct(client, calls):
    outcomes = []
    for method, args in calls:
        try:
            outcomes.append(client.call(method, *args))
        except Fault as fault:
            outcomes.append(fault)
    return outcomes


def jsonrpc2_batch(client, calls):
    from clients import encode, result_of
    responses = client.request([{'jsonrpc': '2.0', 'id': index,
                                 'method': method, 'params': encode(args)}
                                for index, (method, args)
                                in enumerate(calls)])
    outcomes = []
    for response in sorted(responses, key=lambda r: r['id']):
        response.setdefault('result', None)
        response.setdefault('error', None)
        try:
            outcomes.append(result_of(response))
        except Fault as fault:
            outcomes.append(fault)
    return outcomes


USERS = [('user', '/login/rpc'), (None, '/rpc')]


@pytest.mark.parametrize('user,path', USERS, ids=['user', 'anonymous'])
@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_direct_reads_hide_secrets(authz, protocol, user, path):
    server, secrets = authz
    calls = read_calls(secrets)
    check_hidden(calls, direct(server.client(protocol, user, path), calls))


@pytest.mark.parametrize('user,path', USERS, ids=['user', 'anonymous'])
@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_multicall_reads_hide_secrets(authz, protocol, user, path):
    server, secrets = authz
    calls = read_calls(secrets)
    client = server.client(protocol, user, path)
    check_hidden(calls, client.multicall_outcomes(calls))


@pytest.mark.parametrize('user,path', USERS, ids=['user', 'anonymous'])
def test_jsonrpc2_batch_reads_hide_secrets(authz, user, path):
    server, secrets = authz
    calls = read_calls(secrets)
    check_hidden(calls, jsonrpc2_batch(server.client('jsonrpc', user, path),
                                       calls))


def test_admin_sees_every_secret(authz):
    server, secrets = authz
    calls = read_calls(secrets)
    for protocol in PROTOCOLS:
        client = server.client(protocol, 'admin')
        for outcomes in (direct(client, calls),
                         client.multicall_outcomes(calls)):
            text = ' '.join(as_text(outcome) for outcome in outcomes)
            for marker in MARKERS:
                assert marker in text, (protocol, marker)


def state(server, secrets):
    """What the refused writes must leave unchanged, read as admin."""
    admin = server.client('jsonrpc', 'admin')
    return ([admin.call('ticket.get', tid)[3] for tid in secrets.tickets],
            [admin.call('ticket.changeLog', tid) for tid in secrets.tickets],
            [admin.call('ticket.listAttachments', tid)
             for tid in secrets.tickets],
            [admin.call('wiki.getPageInfo', page) for page in secrets.pages],
            [admin.call('wiki.listAttachments', page)
             for page in secrets.pages])


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_writes_on_hidden_resources_are_refused(authz, protocol):
    server, secrets = authz
    before = state(server, secrets)
    calls = write_calls(secrets)
    client = server.client(protocol, 'user')
    for outcomes in (direct(client, calls), client.multicall_outcomes(calls)):
        assert [outcome.code if isinstance(outcome, Fault) else outcome
                for outcome in outcomes] == [403] * len(calls)
    assert state(server, secrets) == before


def web_session(server, user):
    """Log `user` in to the web UI; return a page getter
    `get(path) -> (status, text)` for that user."""
    status, headers, body = http_request(server.url, 'GET', '/login', None,
                                         user, {})
    cookie = re.search(r'trac_auth=[^;]+', headers['Set-Cookie']).group(0)

    def get(path):
        status, headers, body = http_request(server.url, 'GET', path, None,
                                             None, {'Cookie': cookie})
        return status, body.decode('utf-8')
    return get


@pytest.mark.parametrize('user', ['user', 'admin'])
def test_trac_pages_hide_the_same(authz, user):
    """The web UI, for the same users, hides what the RPC calls hide."""
    server, secrets = authz
    shown = user == 'admin'
    get = web_session(server, user)
    status, ticket_page = get('/ticket/%d' % secrets.open)
    assert status == 200
    for marker in ('SECRETCOMMENT', 'SECRETATTACHMENT'):
        assert (marker in ticket_page) is shown, marker
    for path in ('/roadmap', '/wiki/OpenPage', '/newticket'):
        status, page = get(path)
        assert status == 200 and (SECRET in page) is shown, path
    for path in ('/ticket/%d' % secrets.hidden, '/ticket/%d' % secrets.private,
                 '/wiki/HiddenPage', '/wiki/VersionedPage?version=1',
                 '/milestone/SECRETMILESTONE'):
        status, page = get(path)
        assert (status == 200) is shown, path
