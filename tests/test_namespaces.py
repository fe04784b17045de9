"""The `timeline`, `report`, `user` and `permission` namespaces and
`ticket.milestone.getStats`: success, permission denied (fine-grained
rules included), not found and bad arguments in both protocols; the
timeline and the reports compared with what Trac's own RSS feed and CSV
export give the same user."""

import csv
import io
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta, timezone

from clients import fault_of, unique, web_page
from test_permissions import known_user


def now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def day_window():
    """The window `/timeline?daysback=1` covers: the day after today
    back to two days before (in UTC, the server's time zone)."""
    stop = now().replace(hour=23, minute=59, second=59, microsecond=0)
    return stop - timedelta(days=2), stop


# -- timeline -------------------------------------------------------------

def test_event_filters(user):
    filters = dict(user.call('timeline.getEventFilters'))
    assert filters['ticket'] == 'Tickets opened and closed'
    assert 'wiki' in filters and 'milestone' in filters


def test_events_as_the_rss_feed_shows_them(user, admin, server):
    summary = unique('Timeline')
    tid = user.call('ticket.create', summary, 'text')
    page = unique('TimelinePage')
    user.call('wiki.putPage', page, 'text', {})
    secret = admin.call('ticket.create', unique('Hidden'), '',
                        {'keywords': 'secret'})
    start, stop = day_window()
    events = user.call('timeline.getEvents', start, stop)
    urls = {event['url'] for event in events}
    created = [event for event in events
               if event['realm'] == 'ticket' and event['id'] == str(tid)][0]
    assert created['kind'] == 'newticket' and created['author'] == 'user'
    assert summary in created['title']
    assert created['url'] == server.url + '/ticket/%d' % tid
    assert any(event['realm'] == 'wiki' and event['id'] == page
               for event in events)
    assert not any(event['id'] == str(secret) for event in events)
    assert any(event['id'] == str(secret) for event in
               admin.call('timeline.getEvents', start, stop))
    feed = rss_items(server, 'user', 'daysback=1&max=0')
    assert urls == {link for link, title in feed}
    assert {event['title'] for event in events} == \
        {title for link, title in feed}


def rss_items(server, user, query):
    body = web_page(server, user, '/timeline?format=rss&' + query)
    return [(item.findtext('link'), item.findtext('title'))
            for item in ElementTree.fromstring(body).iter('item')]


def test_events_filtered_and_bounded(user):
    start, stop = day_window()
    tid = user.call('ticket.create', unique('Filtered'), '')
    wiki_only = user.call('timeline.getEvents', start, stop, ['wiki'])
    # wiki changes (and attachments of pages), never ticket events
    assert all('ticket' not in event['kind'] for event in wiki_only)
    assert str(tid) not in [event['id'] for event in wiki_only]
    assert fault_of(user, 'timeline.getEvents', start, stop,
                    ['nosuch']).code == -32602
    assert fault_of(user, 'timeline.getEvents', stop, start).code == -32602
    assert fault_of(user, 'timeline.getEvents', stop - timedelta(days=400),
                    stop).code == -32602
    assert fault_of(user, 'timeline.getEvents', 'yesterday',
                    stop).code == -32602


def test_timeline_needs_timeline_view(rpc):
    start, stop = day_window()
    assert fault_of(rpc('rpconly'), 'timeline.getEvents', start,
                    stop).code == 403


# -- user -------------------------------------------------------------------

def test_known_users_and_their_emails(rpc, server):
    username = known_user(server)
    user = rpc('user')
    entry = [found for found in user.call('user.getAll')
             if found[0] == username][0]
    assert entry == [username, 'Known ' + username, '']  # no EMAIL_VIEW
    assert rpc('admin').call('user.get', username) == \
        [username, 'Known ' + username, username + '@example.org']
    assert user.call('user.get', username)[2] == ''


def test_user_not_found_denied_and_bad_arguments(rpc):
    assert fault_of(rpc('user'), 'user.get', 'nobody-at-all').code == 404
    assert fault_of(rpc('rpconly'), 'user.getAll').code == 403
    assert fault_of(rpc('user'), 'user.get', [5]).code == -32602


def test_owners_of_a_ticket(rpc, server):
    username = known_user(server)
    user = rpc('user')
    tid = user.call('ticket.create', unique('Owners'), '')
    assert username in user.call('user.getOwners', tid)
    assert fault_of(user, 'user.getOwners', 999999).code == 404
    assert fault_of(rpc('rpconly'), 'user.getOwners', tid).code == 403
    secret = rpc('admin').call('ticket.create', unique('Secret'), '',
                               {'keywords': 'secret'})
    assert fault_of(user, 'user.getOwners', secret).code == 403
    assert fault_of(user, 'user.getOwners', 'x').code == -32602


# -- permission -----------------------------------------------------------

def test_actions_and_own_permissions(rpc):
    user = rpc('user')
    assert {'TICKET_VIEW', 'XML_RPC', 'TRAC_ADMIN'} <= \
        set(user.call('permission.getActions'))
    mine = user.call('permission.getUserPermissions')
    assert 'TICKET_VIEW' in mine and 'TRAC_ADMIN' not in mine
    assert fault_of(user, 'permission.getUserPermissions',
                    'admin').code == 403
    assert 'TRAC_ADMIN' in rpc('admin').call('permission.getUserPermissions',
                                             'admin')


def test_check_through_every_policy(rpc):
    user, admin = rpc('user'), rpc('admin')
    secret = admin.call('ticket.create', unique('Secret'), '',
                        {'keywords': 'secret'})
    assert user.call('permission.check', 'TICKET_VIEW') is True
    assert user.call('permission.check', 'TICKET_ADMIN') is False
    assert user.call('permission.check', 'TICKET_VIEW', 'ticket',
                     str(secret)) is False
    assert admin.call('permission.check', 'TICKET_VIEW', 'ticket',
                      str(secret)) is True
    assert fault_of(user, 'permission.check', 'NO_SUCH_ACTION').code == \
        -32602


def test_grant_and_revoke(rpc):
    admin, granter = rpc('admin'), rpc('granter')
    subject = unique('subject')
    assert granter.call('permission.grant', subject, 'WIKI_VIEW') is True
    assert admin.call('permission.getGrants', subject) == \
        [[subject, 'WIKI_VIEW']]
    assert fault_of(granter, 'permission.grant', subject,
                    'TICKET_ADMIN').code == 403  # not held: not handed out
    assert fault_of(granter, 'permission.grant', subject,
                    'WIKI_VIEW').code == -32602  # already held
    assert fault_of(granter, 'permission.revoke', subject,
                    'WIKI_VIEW').code == 403  # no PERMISSION_REVOKE
    assert admin.call('permission.revoke', subject, 'WIKI_VIEW') is True
    assert admin.call('permission.getGrants', subject) == []
    assert fault_of(admin, 'permission.revoke', subject,
                    'WIKI_VIEW').code == 404
    assert fault_of(rpc('user'), 'permission.getGrants').code == 403
    assert fault_of(admin, 'permission.grant', subject, 'NO_SUCH').code \
        == -32602


# -- ticket.milestone.getStats ---------------------------------------------

def test_milestone_stats_as_the_roadmap_counts(rpc, server):
    admin, user = rpc('admin'), rpc('user')
    name = unique('Stats')
    admin.call('ticket.milestone.create', name, {})
    for status in ('new', 'closed', 'closed'):
        tid = admin.call('ticket.create', unique(), '', {'milestone': name})
        if status == 'closed':
            admin.call('ticket.update', tid, '', {'status': 'closed',
                                                  'resolution': 'fixed'})
    admin.call('ticket.create', unique(), '', {'milestone': name,
                                               'keywords': 'secret'})
    stats = user.call('ticket.milestone.getStats', name)
    assert (stats['total'], stats['done'], stats['percent']) == (3, 2, 67)
    roadmap = web_page(server, 'user', '/roadmap').decode('utf-8')
    section = roadmap[roadmap.index(name):]
    assert '67%' in section[:section.index('</li>')]
    assert {group['title']: group['count'] for group in stats['groups']} \
        == {'closed': 2, 'active': 1}
    assert admin.call('ticket.milestone.getStats', name)['total'] == 4
    assert fault_of(user, 'ticket.milestone.getStats', 'NoSuch').code == 404
    assert fault_of(rpc('rpconly'), 'ticket.milestone.getStats',
                    name).code == 403
    assert fault_of(user, 'ticket.milestone.getStats', {}).code == -32602


# -- report -----------------------------------------------------------------

def csv_rows(server, user, path):
    """The rows of a report's CSV as `user` gets it."""
    text = web_page(server, user, path).decode('utf-8-sig')
    return list(csv.reader(io.StringIO(text)))


def test_report_listing_and_reading(rpc):
    user, admin = rpc('user'), rpc('admin')
    assert [1, 'Active Tickets'] in user.call('report.getAll')
    report = user.call('report.get', 1)
    assert report['title'] == 'Active Tickets' and report['query'] == ''
    assert admin.call('report.get', 1)['query'].lstrip().startswith(
        'SELECT')  # REPORT_SQL_VIEW


def test_report_execute_as_the_csv_export(rpc, server):
    user, admin = rpc('user'), rpc('admin')
    mine = user.call('ticket.create', unique('Mine'), '')
    secret = admin.call('ticket.create', unique('Secret'), '',
                        {'keywords': 'secret'})
    result = user.call('report.execute', 1, {'max': 0})
    assert result['columns'][:2] == ['ticket', 'summary']
    ids = [row[0] for row in result['rows']]
    assert mine in ids and secret not in ids
    assert isinstance(result['rows'][0][result['columns'].index('created')],
                      datetime)
    exported = csv_rows(server, 'user', '/report/1?format=csv&max=0')
    assert exported[0] == result['columns']
    assert [int(row[0]) for row in exported[1:]] == ids
    assert secret in [row[0] for row in admin.call(
        'report.execute', 1, {'max': 0})['rows']]
    page = user.call('report.execute', 1, {'max': 2, 'page': 1})
    assert len(page['rows']) <= 2 and page['total'] >= len(ids)


def test_report_variables(rpc):
    user, admin = rpc('user'), rpc('admin')
    tid = admin.call('ticket.create', unique('Owned'), '', {'owner': 'user'})
    mine = user.call('report.execute', 7, {'max': 0})  # My Tickets
    column = mine['columns'].index('ticket')
    assert tid in [row[column] for row in mine['rows']]
    report = admin.call('report.create', unique('Needs'), '',
                        "SELECT id AS ticket FROM ticket "
                        "WHERE summary=$WANTED")
    assert fault_of(admin, 'report.execute', report).code == -32602
    wanted = admin.call('ticket.get', tid)[3]['summary']
    assert admin.call('report.execute', report,
                      {'WANTED': wanted})['rows'] == [[tid]]


def test_report_writes(rpc):
    user, admin = rpc('user'), rpc('admin')
    title = unique('Report')
    report = admin.call('report.create', title, 'about', 'SELECT 1')
    assert [report, title] in user.call('report.getAll')
    assert admin.call('report.update', report, {'title': title + '!'}) is True
    assert admin.call('report.get', report)['title'] == title + '!'
    assert fault_of(user, 'report.create', 'x', '', 'SELECT 1').code == 403
    assert fault_of(user, 'report.delete', report).code == 403
    assert admin.call('report.delete', report) is True
    assert fault_of(admin, 'report.get', report).code == 404


def test_report_not_found_denied_and_bad_arguments(rpc):
    user = rpc('user')
    assert fault_of(user, 'report.get', 99999).code == 404
    assert fault_of(user, 'report.execute', 99999).code == 404
    assert fault_of(rpc('rpconly'), 'report.getAll').code == 403
    assert fault_of(user, 'report.get', 'one').code == -32602
    assert fault_of(user, 'report.execute', 1, {'max': -1}).code == -32602
