"""The ticket namespaces against a real tracd, in both protocols."""

from datetime import datetime, timedelta, timezone

import pytest
from trac.ticket.model import Ticket

from clients import CONFLICT_CODES, Binary, fault_of, unique


def utcnow():
    """Now in UTC, naive, as the clients send dates."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def new_ticket(user):
    """Create a ticket as `user`; return its id."""
    def create(summary=None, **attributes):
        return user.call('ticket.create', summary or unique(), 'text',
                         attributes)
    return create


# -- ticket.get / create ----------------------------------------------------

def test_create_and_get(user, new_ticket):
    summary = unique()
    tid = new_ticket(summary, type='enhancement', estimate='3d',
                     level='high', nosuch='ignored')
    ticket_id, created, changed, values = user.call('ticket.get', tid)
    assert ticket_id == tid
    assert isinstance(created, datetime) and created == changed
    assert values['summary'] == summary and values['status'] == 'new'
    assert values['type'] == 'enhancement'
    assert (values['estimate'], values['level']) == ('3d', 'high')
    assert values['reporter'] == 'user' and 'nosuch' not in values
    assert values['_ts'].isdigit()


def test_create_cannot_impersonate(user, admin):
    tid = user.call('ticket.create', unique(), '', {'reporter': 'admin'})
    assert user.call('ticket.get', tid)[3]['reporter'] == 'user'
    tid = admin.call('ticket.create', unique(), '', {'reporter': 'someone'})
    assert admin.call('ticket.get', tid)[3]['reporter'] == 'someone'


def test_create_when_only_for_admin(user, admin):
    when = datetime(2001, 2, 3, 4, 5, 6)
    tid = admin.call('ticket.create', unique(), '', {}, False, when)
    assert admin.call('ticket.get', tid)[1] == when
    tid = user.call('ticket.create', unique(), '', {}, False, when)
    assert user.call('ticket.get', tid)[1] > datetime(2020, 1, 1)


@pytest.mark.parametrize('summary,attributes,message', [
    ('', {}, 'Tickets must contain a summary'),
    ('x' * 201, {}, 'Must be less than or equal to 200 characters'),
    ('ok', {'priority': 'bogus'}, '"bogus" is not a valid value'),
    ('ok', {'level': 'extreme'}, '"extreme" is not a valid value'),
    ('REJECTME please', {}, 'REJECTME is not welcome here')])
def test_create_validation(user, summary, attributes, message):
    before = user.call('ticket.query', 'max=0&order=id&desc=1')[:1]
    fault = fault_of(user, 'ticket.create', summary, '', attributes)
    assert message in fault.message
    assert user.call('ticket.query', 'max=0&order=id&desc=1')[:1] == before


def test_create_permission_denied(rpc):
    fault = fault_of(rpc('rpconly'), 'ticket.create', unique(), '')
    assert fault.code == 403


@pytest.mark.parametrize('args', [(), ('only summary',), ([1], 'x'),
                                  ('s', 'd', ['not', 'a', 'dict']),
                                  ('s', 'd', {'summary': ['x']})])
def test_create_bad_arguments(user, args):
    assert fault_of(user, 'ticket.create', *args).code == -32602


def test_create_with_notification(user, mail_sink):
    summary = unique('Mail')
    tid = user.call('ticket.create', summary, 'body', {}, True)
    received = [(to, message) for to, message in mail_sink.messages
                if summary in message['Subject']]
    assert len(received) == 1
    recipients, message = received[0]
    assert 'watcher@example.org' in recipients
    assert '#%d' % tid in message['Subject']


def test_get_not_found(user):
    assert fault_of(user, 'ticket.get', 999999).code == 404
    assert fault_of(user, 'ticket.get', 0).code == 404
    assert fault_of(user, 'ticket.get', -1).code == 404


def test_get_permission_denied(rpc, new_ticket):
    tid = new_ticket()
    assert fault_of(rpc('rpconly'), 'ticket.get', tid).code == 403


@pytest.mark.parametrize('args', [('1x',), (), (1, 2), ([1],), ({'id': 1},)])
def test_get_bad_arguments(user, args):
    fault = fault_of(user, 'ticket.get', *args)
    assert fault.code == -32602 and 'ticket.get(int id)' in fault.message


# -- ticket.get in a multicall (read together) ----------------------------

def codes(outcomes):
    """Fault codes of multicall outcomes, None for results."""
    return [getattr(outcome, 'code', None) for outcome in outcomes]


def test_multicall_get_answers_as_single_gets(server, user, new_ticket):
    due = datetime(2030, 5, 6, 7, 8, 9)
    full = new_ticket(estimate='2h', level='high', due_on=due,
                      keywords='a b')
    plain = new_ticket()
    bare = new_ticket(level='medium')
    # no stored custom values (the level default applies) and a NULL
    # standard field, as tickets from older Trac versions have
    env = server.env()
    with env.db_transaction as db:
        db("DELETE FROM ticket_custom WHERE ticket=%s", (bare,))
        db("UPDATE ticket SET milestone=NULL WHERE id=%s", (bare,))
    ids = [full, plain, bare, full]
    together = user.multicall_outcomes([('ticket.get', [tid])
                                        for tid in ids])
    assert together == [user.call('ticket.get', tid) for tid in ids]
    assert together[0][3]['due_on'] == due
    assert together[2][3]['level'] == 'low'
    assert together[2][3]['milestone'] == ''
    for tid, (_, _, _, values) in zip(ids, together):
        # what Trac's own model loads (dates differ only in precision)
        expected = {name: value for name, value
                    in Ticket(env, tid).values.items()
                    if not isinstance(value, datetime)}
        assert {name: values[name] for name in expected} == expected
    env.shutdown()


def test_multicall_get_failures_in_their_slots(user, admin, new_ticket):
    secret = admin.call('ticket.create', unique('Secret'), '',
                        {'keywords': 'secret'})
    tid = new_ticket()
    outcomes = user.multicall_outcomes([
        ('ticket.get', [tid]), ('ticket.get', [999999]),
        ('ticket.get', [0]), ('ticket.get', [secret]),
        ('ticket.get', ['x']), ('ticket.get', []), ('ticket.get', [tid])])
    assert codes(outcomes) == [None, 404, 404, 403, -32602, -32602, None]
    assert outcomes[0][0] == outcomes[-1][0] == tid
    assert admin.multicall_outcomes([('ticket.get', [secret])])[0][0] \
        == secret


def test_multicall_get_sees_earlier_changes(user, new_ticket):
    tid = new_ticket()
    before, _, after = user.multicall_outcomes([
        ('ticket.get', [tid]),
        ('ticket.update', [tid, 'a comment', {'keywords': 'changed'}]),
        ('ticket.get', [tid])])
    assert before[3]['keywords'] == '' and after[3]['keywords'] == 'changed'
    assert after == user.call('ticket.get', tid)
    assert after[3]['_ts'] != before[3]['_ts']


def test_jsonrpc_batch_of_gets(server):
    client = server.client('jsonrpc')
    tid = client.call('ticket.create', unique(), '', {})
    responses = client.request([
        {'jsonrpc': '2.0', 'method': 'ticket.get', 'params': [tid], 'id': 1},
        {'jsonrpc': '2.0', 'method': 'ticket.get', 'params': {'id': 999999},
         'id': 2},
        {'jsonrpc': '2.0', 'method': 'ticket.get', 'params': {'id': tid},
         'id': 3}])
    assert [response['id'] for response in responses] == [1, 2, 3]
    assert responses[0]['result'][0] == responses[2]['result'][0] == tid
    assert responses[1]['error']['code'] == 404


def test_multicall_get_many(user, new_ticket):
    ids = [new_ticket() for _ in range(7)]
    calls = [('ticket.get', [ids[number % 7]]) for number in range(1000)]
    outcomes = user.multicall_outcomes(calls)
    assert [outcome[0] for outcome in outcomes] == \
        [ids[number % 7] for number in range(1000)]


# -- Fine-grained permissions --------------------------------------------

def test_policy_hides_secret_ticket(user, admin):
    since = utcnow() - timedelta(seconds=5)
    tid = admin.call('ticket.create', unique('Secret'), '',
                     {'keywords': 'secret'})
    visible = user.call('ticket.create', unique(), '')
    assert fault_of(user, 'ticket.get', tid).code == 403
    assert tid not in user.call('ticket.query', 'max=0')
    assert visible in user.call('ticket.query', 'max=0')
    assert tid in admin.call('ticket.query', 'max=0')
    assert tid not in user.call('ticket.getRecentChanges', since)
    assert tid in admin.call('ticket.getRecentChanges', since)
    assert fault_of(user, 'ticket.changeLog', tid).code == 403
    assert fault_of(user, 'ticket.getActions', tid).code == 403


# -- ticket.query ---------------------------------------------------------

def test_query(user, new_ticket):
    marker = unique('kw')
    ids = [new_ticket(keywords=marker, level=level)
           for level in ('low', 'high', 'high')]
    assert user.call('ticket.query', 'keywords~=%s&order=id' % marker) == ids
    assert user.call('ticket.query',
                     'keywords~=%s&order=id&desc=1' % marker) == ids[::-1]
    assert user.call('ticket.query',
                     'keywords~=%s&level=high&order=id' % marker) == ids[1:]
    assert user.call('ticket.query',
                     'keywords~=%s&order=id&max=2&page=2' % marker) \
        == ids[2:]
    assert sorted(user.call('ticket.query', 'keywords~=%s&max=0' % marker)) \
        == ids


def test_query_default_excludes_closed(user, new_ticket):
    tid = new_ticket()
    ts = user.call('ticket.get', tid)[3]['_ts']
    user.call('ticket.update', tid, '', {'status': 'closed',
                                         'resolution': 'fixed', '_ts': ts})
    assert tid not in user.call('ticket.query')
    assert tid in user.call('ticket.query', 'status=closed&max=0')


def test_query_paging_default_and_max_zero(admin):
    """Pages of `[query] items_per_page` (100) by default, as the web
    UI's query; `max=0` is everything."""
    admin.multicall([('ticket.create', [unique(), ''])] * 101)
    everything = admin.call('ticket.query', 'max=0&status!=nosuch&order=id')
    assert len(everything) > 100
    first = admin.call('ticket.query', 'status!=nosuch&order=id')
    second = admin.call('ticket.query', 'status!=nosuch&order=id&page=2')
    assert first == everything[:100]
    assert second == everything[100:200]
    assert admin.call('ticket.query', 'status!=nosuch&order=id&max=2') == \
        everything[:2]


def test_query_page_past_the_last_is_refused_as_trac_refuses_it(user,
                                                                 new_ticket):
    marker = unique('kw')
    ids = [new_ticket(keywords=marker) for _ in range(3)]
    qstr = 'keywords~=%s&order=id&max=2&page=%d'
    assert user.call('ticket.query', qstr % (marker, 2)) == ids[2:]
    fault = fault_of(user, 'ticket.query', qstr % (marker, 3))
    assert 'Page 3 is beyond the number of pages' in fault.message
    # a page of a query that fits on one page is that page, as in Trac
    assert user.call('ticket.query', 'keywords~=%s&order=id&max=5&page=2'
                     % marker) == ids


def test_query_permission_filtered(rpc, new_ticket):
    new_ticket()
    assert rpc('rpconly').call('ticket.query', 'max=0') == []


@pytest.mark.parametrize('args,code', [(([5],), -32602), (('a', 'b'), -32602)])
def test_query_bad_arguments(user, args, code):
    assert fault_of(user, 'ticket.query', *args).code == code


def test_query_syntax_error(user):
    fault = fault_of(user, 'ticket.query', 'this is no query')
    assert fault.code == -32602
    assert 'Query filter requires field and constraints' in fault.message


@pytest.mark.parametrize('qstr,unknown', [
    ('stauts=new', 'stauts'), ('status=new&ownr=joe', 'ownr'),
    ('status%=new', 'status%'), ('order=nosuch', 'nosuch'),
    ('status=new&or&levl=low', 'levl'), ('col=summary|bogus', 'bogus')])
def test_query_refuses_unknown_fields_and_operators(user, qstr, unknown):
    fault = fault_of(user, 'ticket.query', qstr)
    assert fault.code == -32602
    assert 'unknown field "%s"' % unknown in fault.message
    assert 'status' in fault.message and 'estimate' in fault.message
    assert '!~=' in fault.message


def test_query_takes_every_known_field_and_operator(user, new_ticket):
    tid = new_ticket(unique('Known'), level='high', keywords='kw1')
    for qstr in ('level=high', 'keywords~=kw1', 'summary^=Known',
                 'keywords!~=nothing&level=high',
                 'order=priority&desc=1&level=high',
                 'col=summary|level&level=high', 'max=0&page=1&level=high',
                 'component!=nosuch&level=high', 'id=%d' % tid):
        assert tid in user.call('ticket.query', qstr), qstr


def test_recent_changes(user, new_ticket):
    since = utcnow() - timedelta(seconds=5)
    tid = new_ticket()
    assert tid in user.call('ticket.getRecentChanges', since)
    assert tid not in user.call('ticket.getRecentChanges',
                                utcnow() + timedelta(hours=1))
    assert fault_of(user, 'ticket.getRecentChanges', 'yesterday').code \
        == -32602


# -- Workflow -------------------------------------------------------------

def ts_of(client, tid):
    return client.call('ticket.get', tid)[3]['_ts']


def test_workflow_cycle(user, new_ticket):
    tid = new_ticket()
    actions = {action[0]: action for action
               in user.call('ticket.getActions', tid)}
    assert {'leave', 'resolve', 'reassign', 'accept'} <= set(actions)
    resolve = actions['resolve']
    assert resolve[3][0][0] == 'action_resolve_resolve_resolution'
    assert 'fixed' in resolve[3][0][2]
    assert 'closed' in resolve[2]

    user.call('ticket.update', tid, 'mine', {'action': 'accept',
                                             '_ts': ts_of(user, tid)})
    result = user.call('ticket.update', tid, 'done', {
        'action': 'resolve', 'action_resolve_resolve_resolution': 'fixed',
        '_ts': ts_of(user, tid)})
    assert (result[3]['status'], result[3]['resolution']) \
        == ('closed', 'fixed')
    assert [a[0] for a in user.call('ticket.getActions', tid)] \
        == ['leave', 'reopen']
    user.call('ticket.update', tid, 'again', {'action': 'reopen',
                                              '_ts': ts_of(user, tid)})
    values = user.call('ticket.get', tid)[3]
    assert (values['status'], values['resolution']) == ('reopened', '')
    log = [(field, old, new) for when, author, field, old, new, permanent
           in user.call('ticket.changeLog', tid) if field != 'comment']
    assert log == [('owner', '', 'user'), ('status', 'new', 'accepted'),
                   ('resolution', '', 'fixed'),
                   ('status', 'accepted', 'closed'),
                   ('resolution', 'fixed', ''),
                   ('status', 'closed', 'reopened')]
    comments = [new for when, author, field, old, new, permanent
                in user.call('ticket.changeLog', tid) if field == 'comment']
    assert comments == ['mine', 'done', 'again']


def test_get_available_actions(user, new_ticket):
    tid = new_ticket()
    assert 'resolve' in user.call('ticket.getAvailableActions', tid)


def test_invalid_action_lists_valid_ones(user, new_ticket):
    tid = new_ticket()
    fault = fault_of(user, 'ticket.update', tid, '', {'action': 'reopen'})
    assert 'Action "reopen" is not available' in fault.message
    assert 'resolve' in fault.message and 'accept' in fault.message


def test_actions_not_found_and_denied(rpc, new_ticket):
    tid = new_ticket()
    assert fault_of(rpc('user'), 'ticket.getActions', 999999).code == 404
    assert fault_of(rpc('rpconly'), 'ticket.getActions', tid).code == 403
    assert fault_of(rpc('user'), 'ticket.getActions', 'x').code == -32602


def test_viewer_gets_no_modifying_actions(rpc, new_ticket):
    tid = new_ticket()
    assert [a[0] for a in rpc('viewer').call('ticket.getActions', tid)] \
        == ['leave']


# -- ticket.update ------------------------------------------------------

def test_collision(rpc, new_ticket):
    first, second = rpc('user'), rpc('user')
    tid = new_ticket()
    token = ts_of(first, tid)
    first.call('ticket.update', tid, 'first', {'_ts': token,
                                               'keywords': 'one'})
    fault = fault_of(second, 'ticket.update', tid, 'second',
                     {'_ts': token, 'keywords': 'two'})
    assert fault.code == CONFLICT_CODES[second.protocol]
    assert 'modified' in fault.message
    changes = first.call('ticket.changeLog', tid)
    assert [c[4] for c in changes if c[2] == 'comment'] == ['first']
    assert first.call('ticket.get', tid)[3]['keywords'] == 'one'


def test_collision_with_action(user, new_ticket):
    tid = new_ticket()
    token = ts_of(user, tid)
    user.call('ticket.update', tid, 'x', {'_ts': token})
    fault = fault_of(user, 'ticket.update', tid, '',
                     {'_ts': token, 'action': 'accept'})
    assert fault.code == CONFLICT_CODES[user.protocol]
    assert user.call('ticket.get', tid)[3]['status'] == 'new'


def test_update_without_action_sets_fields_directly(user, new_ticket):
    tid = new_ticket()
    result = user.call('ticket.update', tid, 'closing', {
        'status': 'closed', 'resolution': 'wontfix', 'level': 'medium',
        'time': '2000-01-01', 'changetime': 'never', '_ts': ts_of(user, tid)})
    values = result[3]
    assert (values['status'], values['resolution'], values['level']) \
        == ('closed', 'wontfix', 'medium')
    assert result[1] > datetime(2020, 1, 1)
    assert result == user.call('ticket.get', tid)


def test_update_without_token_still_works(user, new_ticket):
    tid = new_ticket()
    assert user.call('ticket.update', tid, 'no token')[0] == tid


def test_update_author_and_when_only_for_admin(user, admin, new_ticket):
    tid = new_ticket()
    when = utcnow().replace(microsecond=0) + timedelta(days=1)
    user.call('ticket.update', tid, 'by user', {}, False, 'admin', when)
    admin.call('ticket.update', tid, 'by admin', {}, False, 'robot', when)
    log = [(c[0], c[1]) for c in user.call('ticket.changeLog', tid)
           if c[2] == 'comment']
    assert log[0][1] == 'user' and log[0][0] < when
    assert log[1] == (when, 'robot')


@pytest.mark.parametrize('attributes,message', [
    ({'priority': 'bogus'}, '"bogus" is not a valid value'),
    ({'summary': 'REJECTME now'}, 'REJECTME is not welcome here'),
    ({'summary': ''}, 'Tickets must contain a summary')])
def test_update_validation(user, new_ticket, attributes, message):
    tid = new_ticket()
    before = user.call('ticket.get', tid)
    fault = fault_of(user, 'ticket.update', tid, '', attributes)
    assert message in fault.message
    assert user.call('ticket.get', tid) == before


def test_update_comment_size_limit(user, new_ticket):
    tid = new_ticket()
    fault = fault_of(user, 'ticket.update', tid, 'x' * 1001)
    assert 'Must be less than or equal to 1000 characters' in fault.message
    assert user.call('ticket.changeLog', tid) == []


def test_update_permission_denied(rpc, new_ticket):
    tid = new_ticket()
    assert fault_of(rpc('viewer'), 'ticket.update', tid, 'hi').code == 403
    assert fault_of(rpc('viewer'), 'ticket.update', tid, '',
                    {'status': 'closed'}).code == 403
    assert fault_of(rpc('user'), 'ticket.update', tid, '',
                    {'reporter': 'someone'}).code == 403
    assert rpc('user').call('ticket.changeLog', tid) == []


@pytest.mark.parametrize('args', [('x', 'c'), (1,), (1, 'c', ['a']),
                                  (1, 'c', {'_ts': 'abc'})])
def test_update_bad_arguments(user, new_ticket, args):
    if args[0] == 1:
        args = (new_ticket(),) + args[1:]
    assert fault_of(user, 'ticket.update', *args).code == -32602


def test_update_not_found(user):
    assert fault_of(user, 'ticket.update', 999999, 'x').code == 404


# -- ticket.delete, changeLog, getTicketFields -----------------------------

def test_delete(rpc, new_ticket):
    tid = new_ticket()
    assert fault_of(rpc('user'), 'ticket.delete', tid).code == 403
    assert rpc('admin').call('ticket.delete', tid) == 0
    assert fault_of(rpc('admin'), 'ticket.get', tid).code == 404
    assert fault_of(rpc('admin'), 'ticket.delete', tid).code == 404
    assert fault_of(rpc('admin'), 'ticket.delete', 'x').code == -32602


def test_change_log_with_when(user, admin, new_ticket):
    tid = new_ticket()
    first = utcnow().replace(microsecond=0) + timedelta(days=1)
    admin.call('ticket.update', tid, 'one', {}, False, '', first)
    admin.call('ticket.update', tid, 'two', {}, False, '',
               first + timedelta(seconds=1))
    assert [c[4] for c in user.call('ticket.changeLog', tid, first)] \
        == ['one']
    assert fault_of(user, 'ticket.changeLog', 999999).code == 404
    assert fault_of(user, 'ticket.changeLog', tid, 'x').code == -32602


def test_change_log_when_zero_means_all(user, new_ticket):
    """Mylyn calls changeLog(id, 0), the original plugin's default."""
    tid = new_ticket()
    user.call('ticket.update', tid, 'a comment')
    changes = user.call('ticket.changeLog', tid)
    assert [change[2] for change in changes] == ['comment']
    assert user.call('ticket.changeLog', tid, 0) == changes
    fault = fault_of(user, 'ticket.changeLog', tid, 5)
    assert fault.code == -32602 and 'or 0 for all changes' in fault.message


def test_ticket_fields(rpc):
    fields = {f['name']: f for f in rpc('user').call('ticket.getTicketFields')}
    assert {'summary', 'status', 'priority', 'estimate', 'level',
            'due_on'} <= set(fields)
    assert fields['level']['options'] == ['low', 'medium', 'high']
    assert fields['level']['custom'] is True
    assert fault_of(rpc('rpconly'), 'ticket.getTicketFields').code == 403
    assert fault_of(rpc('user'), 'ticket.getTicketFields', 1).code == -32602


def test_custom_time_field(user, new_ticket):
    due = datetime(2030, 5, 6, 7, 8, 9)
    tid = user.call('ticket.create', unique(), '', {'due_on': due})
    assert user.call('ticket.get', tid)[3]['due_on'] == due


# -- Attachments ----------------------------------------------------------

def test_attachments(rpc, new_ticket):
    user = rpc('user')
    tid = new_ticket()
    name = user.call('ticket.putAttachment', tid, '../../etc/passwd',
                     'first', Binary(b'one'))
    assert name == 'passwd'
    assert user.call('ticket.getAttachment', tid, 'passwd') == b'one'
    user.call('ticket.putAttachment', tid, 'passwd', '', Binary(b'two'))
    listing = user.call('ticket.listAttachments', tid)
    assert [(a[0], a[1], a[2], a[4]) for a in listing] \
        == [('passwd', 'first', 3, 'user')]
    assert user.call('ticket.getAttachment', tid, 'passwd') == b'two'
    other = user.call('ticket.putAttachment', tid, 'passwd', 'kept',
                      Binary(b'three'), False)
    assert other != 'passwd'
    assert len(user.call('ticket.listAttachments', tid)) == 2
    assert user.call('ticket.deleteAttachment', tid, 'passwd') is True
    assert [a[0] for a in user.call('ticket.listAttachments', tid)] \
        == [other]
    rpc('admin').call('ticket.putAttachment', tid, 'admin.txt', '',
                      Binary(b'admin'))
    assert fault_of(user, 'ticket.deleteAttachment', tid, 'admin.txt').code \
        == 403
    assert rpc('admin').call('ticket.deleteAttachment', tid, 'admin.txt') \
        is True
    assert fault_of(user, 'ticket.deleteAttachment', tid, 'admin.txt').code \
        == 404


def test_attachment_size_limit(user, new_ticket):
    tid = new_ticket()
    fault = fault_of(user, 'ticket.putAttachment', tid, 'big.bin', '',
                     Binary(b'x' * 100001))
    assert 'Maximum attachment size' in fault.message
    assert '100000 bytes' in fault.message
    assert user.call('ticket.listAttachments', tid) == []


def test_attachment_manipulator(user, new_ticket):
    tid = new_ticket()
    fault = fault_of(user, 'ticket.putAttachment', tid, 'tool.exe', '',
                     Binary(b'MZ'))
    assert 'executables are not accepted' in fault.message
    assert user.call('ticket.listAttachments', tid) == []


def test_attachment_errors(rpc, new_ticket):
    user = rpc('user')
    tid = new_ticket()
    assert fault_of(user, 'ticket.getAttachment', tid, 'nosuch').code == 404
    assert fault_of(user, 'ticket.listAttachments', 999999).code == 404
    assert fault_of(user, 'ticket.putAttachment', 999999, 'a', '',
                    Binary(b'a')).code == 404
    assert fault_of(user, 'ticket.putAttachment', tid, 'a', '',
                    'not binary').code == -32602
    assert 'Invalid attachment file name' in fault_of(
        user, 'ticket.putAttachment', tid, '..', '', Binary(b'a')).message
    assert fault_of(rpc('viewer'), 'ticket.putAttachment', tid, 'a.txt', '',
                    Binary(b'a')).code == 403
    assert fault_of(rpc('rpconly'), 'ticket.listAttachments', tid).code \
        == 403


# -- Components, versions, milestones -------------------------------------

MODELS = {
    'ticket.component': ({'owner': 'user', 'description': 'A part'},
                         {'name': None, 'owner': 'user',
                          'description': 'A part'}),
    'ticket.version': ({'time': datetime(2030, 1, 2, 3, 4, 5),
                        'description': 'Next'},
                       {'name': None, 'time': datetime(2030, 1, 2, 3, 4, 5),
                        'description': 'Next'}),
    'ticket.milestone': ({'due': datetime(2031, 1, 1), 'description': 'M'},
                         {'name': None, 'due': datetime(2031, 1, 1),
                          'completed': 0, 'description': 'M'}),
}


@pytest.mark.parametrize('namespace', sorted(MODELS))
def test_model_crud(rpc, namespace):
    admin, user = rpc('admin'), rpc('user')
    attributes, expected = MODELS[namespace]
    name = unique('m')
    assert admin.call(namespace + '.create', name, attributes) == 0
    assert name in user.call(namespace + '.getAll')
    assert user.call(namespace + '.get', name) == dict(expected, name=name)
    assert admin.call(namespace + '.update', name,
                      {'description': 'changed'}) == 0
    assert user.call(namespace + '.get', name)['description'] == 'changed'
    assert admin.call(namespace + '.delete', name) == 0
    assert name not in user.call(namespace + '.getAll')


@pytest.mark.parametrize('namespace', sorted(MODELS))
def test_model_errors(rpc, namespace):
    admin, user = rpc('admin'), rpc('user')
    name = unique('m')
    assert fault_of(user, namespace + '.create', name, {}).code == 403
    assert fault_of(rpc('rpconly'), namespace + '.getAll').code == 403
    assert fault_of(user, namespace + '.get', 'nosuch-x').code == 404
    assert fault_of(admin, namespace + '.update', 'nosuch-x', {}).code == 404
    assert fault_of(admin, namespace + '.delete', 'nosuch-x').code == 404
    assert fault_of(admin, namespace + '.create', name, []).code == -32602
    admin.call(namespace + '.create', name, {})
    assert 'already exists' in fault_of(admin, namespace + '.create', name,
                                        {}).message
    assert fault_of(user, namespace + '.delete', name).code == 403


def test_model_unset_dates_are_zero(rpc):
    name = unique('v')
    rpc('admin').call('ticket.version.create', name, {})
    assert rpc('user').call('ticket.version.get', name)['time'] == 0


# -- Enums and statuses ---------------------------------------------------

ENUMS = ['ticket.type', 'ticket.priority', 'ticket.severity',
         'ticket.resolution']


@pytest.mark.parametrize('namespace', ENUMS)
def test_enum_crud(rpc, namespace):
    admin, user = rpc('admin'), rpc('user')
    name = unique('e')
    assert admin.call(namespace + '.create', name, '42') == 0
    assert name in user.call(namespace + '.getAll')
    assert user.call(namespace + '.get', name) == '42'
    assert admin.call(namespace + '.update', name, '43') == 0
    assert user.call(namespace + '.get', name) == '43'
    assert admin.call(namespace + '.delete', name) == 0
    assert name not in user.call(namespace + '.getAll')


@pytest.mark.parametrize('namespace', ENUMS)
def test_enum_errors(rpc, namespace):
    admin, user = rpc('admin'), rpc('user')
    name = unique('e')
    assert fault_of(user, namespace + '.create', name, '1').code == 403
    assert fault_of(rpc('rpconly'), namespace + '.getAll').code == 403
    assert fault_of(user, namespace + '.get', 'nosuch-x').code == 404
    assert fault_of(admin, namespace + '.delete', 'nosuch-x').code == 404
    assert fault_of(admin, namespace + '.create', name, {}).code == -32602
    admin.call(namespace + '.create', name, '77')
    assert 'already exists' in fault_of(admin, namespace + '.create', name,
                                        '78').message


def test_status(rpc):
    user = rpc('user')
    assert user.call('ticket.status.getAll') \
        == ['accepted', 'assigned', 'closed', 'new', 'reopened']
    assert user.call('ticket.status.get', 'new') == 0
    assert fault_of(user, 'ticket.status.create', 'x', 'y').code == 403
    assert fault_of(rpc('rpconly'), 'ticket.status.getAll').code == 403
    assert fault_of(user, 'ticket.status.getAll', 1).code == -32602
