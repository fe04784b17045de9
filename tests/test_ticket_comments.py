"""Comment operations (`tracrpc.ticket_comments`): edit with history,
delete, history, threaded replies -- in both protocols, with Trac's
permission rules (the own-comment rule, a policy on `comment`
resources), `_ts`, read-only scopes and Trac's change listeners; and the
call sequences of the `tracrpc_comment` plugin's callers."""

import json
import os

import pytest

from clients import CONFLICT_CODES, fault_of, http_request, new_token, \
    unique



def ticket_with_comment(client, text='the question', **fields):
    """A new ticket of `client`'s user with one comment (and `fields`
    changed with it); its id."""
    tid = client.call('ticket.create', unique('Comments'), '')
    client.call('ticket.update', tid, text, fields)
    return tid


def comments(client, tid):
    """`{number as stored (e.g. "1.2"): text}` from the change log."""
    return {old: new for when, author, field, old, new, permanent
            in client.call('ticket.changeLog', tid) if field == 'comment'}


# -- editComment and getCommentHistory --------------------------------------

def test_edit_then_history(user):
    tid = ticket_with_comment(user, 'original text')
    assert user.call('ticket.editComment', tid, 1, 'corrected text') is True
    assert user.call('ticket.editComment', tid, 1, 'third text') is True
    history = user.call('ticket.getCommentHistory', tid, 1)
    assert [entry[0] for entry in history] == [0, 1, 2]
    assert [entry[3] for entry in history] == \
        ['original text', 'corrected text', 'third text']
    assert {entry[2] for entry in history} == {'user'}
    assert comments(user, tid) == {'1': 'third text'}


def test_history_of_an_unedited_comment_has_one_entry(user):
    tid = ticket_with_comment(user, 'only version')
    [[revision, date, author, text]] = user.call('ticket.getCommentHistory',
                                                 tid, 1)
    assert (revision, author, text) == (0, 'user', 'only version')


def test_own_comment_rule_and_permissions(rpc):
    user, admin = rpc('user'), rpc('admin')
    theirs = ticket_with_comment(admin, 'by admin')
    fault = fault_of(user, 'ticket.editComment', theirs, 1, 'mine now')
    assert fault.code == 403 and 'TICKET_EDIT_COMMENT' in fault.message
    assert admin.call('ticket.editComment', theirs, 1, 'admin may') is True
    viewer = rpc('viewer')
    assert fault_of(viewer, 'ticket.editComment', theirs, 1,
                    'no').code == 403
    assert len(viewer.call('ticket.getCommentHistory', theirs, 1)) == 2
    assert fault_of(rpc('rpconly'), 'ticket.getCommentHistory', theirs,
                    1).code == 403
    assert comments(admin, theirs) == {'1': 'admin may'}


def test_a_policy_on_comment_resources_is_honoured(rpc):
    user = rpc('user')
    tid = ticket_with_comment(user, 'cold', keywords='frozen')
    assert fault_of(user, 'ticket.editComment', tid, 1,
                    'warm').code == 403
    assert fault_of(rpc('admin'), 'ticket.editComment', tid, 1,
                    'warm').code == 403
    assert comments(user, tid) == {'1': 'cold'}


@pytest.mark.parametrize('method,args', [
    ('ticket.editComment', (99, 'x')), ('ticket.deleteComment', (99,)),
    ('ticket.getCommentHistory', (99,)),
    ('ticket.replyToComment', (99, 'x'))])
def test_unknown_comments_and_tickets_are_not_found(admin, method, args):
    tid = ticket_with_comment(admin)
    fault = fault_of(admin, method, tid, *args)
    assert fault.code == 404 and 'no comment 99' in fault.message
    assert fault_of(admin, method, 999999, *args).code == 404
    assert comments(admin, tid) == {'1': 'the question'}


@pytest.mark.parametrize('method,args', [
    ('ticket.editComment', (0, 'x')), ('ticket.editComment', (-1, 'x')),
    ('ticket.editComment', ('one', 'x')), ('ticket.editComment', (1, '')),
    ('ticket.editComment', (1, '  ')), ('ticket.editComment', (1, ['x'])),
    ('ticket.deleteComment', (-2,)), ('ticket.getCommentHistory', ({},)),
    ('ticket.replyToComment', (1, '')), ('ticket.replyToComment', (0, 'x'))])
def test_bad_arguments_change_nothing(admin, method, args):
    tid = ticket_with_comment(admin)
    assert fault_of(admin, method, tid, *args).code == -32602
    assert comments(admin, tid) == {'1': 'the question'}
    assert len(admin.call('ticket.getCommentHistory', tid, 1)) == 1


def test_edit_with_a_stale_change_token_is_a_conflict(user):
    tid = ticket_with_comment(user, 'first')
    token = user.call('ticket.get', tid)[3]['_ts']
    user.call('ticket.update', tid, 'someone else', {})
    fault = fault_of(user, 'ticket.editComment', tid, 1, 'late', token)
    assert fault.code == CONFLICT_CODES[user.protocol]
    assert 'modified since you started editing' in fault.message
    token = user.call('ticket.get', tid)[3]['_ts']
    assert user.call('ticket.editComment', tid, 1, 'in time', token) is True
    assert comments(user, tid)['1'] == 'in time'


# -- deleteComment ----------------------------------------------------------

def test_delete_refused_then_forced(admin):
    tid = ticket_with_comment(admin, 'opening words')
    admin.call('ticket.update', tid, 'closing this',
               {'status': 'closed', 'resolution': 'fixed'})
    fault = fault_of(admin, 'ticket.deleteComment', tid, 2)
    assert 'resolution, status' in fault.message and \
        'force=True' in fault.message
    assert admin.call('ticket.get', tid)[3]['status'] == 'closed'
    assert admin.call('ticket.deleteComment', tid, 2, True) is True
    attributes = admin.call('ticket.get', tid)[3]
    assert (attributes['status'], attributes['resolution']) == ('new', '')
    assert comments(admin, tid) == {'1': 'opening words'}


def test_deleting_a_plain_comment_and_the_only_change(admin, rpc):
    tid = ticket_with_comment(admin, 'one')
    admin.call('ticket.update', tid, 'two', {})
    assert fault_of(rpc('user'), 'ticket.deleteComment', tid,
                    2).code == 403
    assert admin.call('ticket.deleteComment', tid, 2) is True
    assert comments(admin, tid) == {'1': 'one'}
    fault = fault_of(admin, 'ticket.deleteComment', tid, 1)
    assert 'only change' in fault.message
    assert admin.call('ticket.deleteComment', tid, 1, True) is True
    assert admin.call('ticket.changeLog', tid) == []


def test_an_edited_comment_is_deleted_without_force(admin):
    tid = ticket_with_comment(admin, 'v0')
    admin.call('ticket.update', tid, 'later', {})
    admin.call('ticket.editComment', tid, 1, 'v1')
    assert admin.call('ticket.deleteComment', tid, 1) is True
    assert comments(admin, tid) == {'2': 'later'}


# -- replyToComment and ticket.update's replyto ----------------------------

def test_reply_with_quote(user):
    tid = ticket_with_comment(user, 'line one\nline two')
    assert user.call('ticket.replyToComment', tid, 1, 'my answer',
                     True) == 2
    stored = comments(user, tid)
    assert stored['1.2'] == ('Replying to [comment:1 user]:\n> line one\n'
                             '> line two\n\nmy answer')
    assert user.call('ticket.replyToComment', tid, 2, 'plain') == 3
    assert comments(user, tid)['2.3'] == 'plain'


def test_update_threads_a_reply_with_field_changes(user):
    tid = ticket_with_comment(user)
    answer = user.call('ticket.update', tid, 'the answer',
                       {'replyto': 1, 'keywords': 'answered'})
    assert answer[3]['keywords'] == 'answered'
    assert comments(user, tid)['1.2'] == 'the answer'
    assert fault_of(user, 'ticket.update', tid, 'to nothing',
                    {'replyto': 7}).code == 404
    assert user.call('ticket.update', tid, 'by text', {'replyto': '2'})
    assert comments(user, tid)['2.3'] == 'by text'


def test_reply_needs_ticket_append_and_a_fresh_token(rpc):
    user = rpc('user')
    tid = ticket_with_comment(user)
    assert fault_of(rpc('viewer'), 'ticket.replyToComment', tid, 1,
                    'no').code == 403
    token = user.call('ticket.get', tid)[3]['_ts']
    user.call('ticket.update', tid, 'meanwhile', {})
    assert fault_of(user, 'ticket.replyToComment', tid, 1, 'late', False,
                    token).code == CONFLICT_CODES[user.protocol]
    assert sorted(comments(user, tid)) == ['1', '2']


# -- Around them ------------------------------------------------------------

def test_named_parameters_in_json_rpc(server):
    client = server.client('jsonrpc', 'user')
    tid = ticket_with_comment(client, 'named')
    response = client.request({
        'jsonrpc': '2.0', 'id': 1, 'method': 'ticket.replyToComment',
        'params': {'id': tid, 'cnum': 1, 'comment': 'by name',
                   'quote': False}})
    assert response['result'] == 2
    response = client.request({
        'jsonrpc': '2.0', 'id': 2, 'method': 'ticket.editComment',
        'params': {'id': tid, 'cnum': 2, 'comment': 'renamed'}})
    assert response['result'] is True
    assert comments(client, tid)['1.2'] == 'renamed'


def test_read_only_token_reads_history_and_edits_nothing(server):
    client = server.client('jsonrpc', 'user')
    tid = ticket_with_comment(client, 'kept')
    token = new_token(server, 'user', 'reader', readonly=True)
    calls = [{'jsonrpc': '2.0', 'id': 1, 'method': 'ticket.getCommentHistory',
              'params': [tid, 1]},
             {'jsonrpc': '2.0', 'id': 2, 'method': 'ticket.editComment',
              'params': [tid, 1, 'changed']}]
    status, headers, body = http_request(
        server.url, 'POST', '/rpc', json.dumps(calls).encode(), None,
        {'Content-Type': 'application/json',
         'Authorization': 'Bearer ' + token})
    history, edit = json.loads(body)
    assert history['result'][0][3] == 'kept'
    assert edit['error']['code'] == 403
    assert comments(client, tid) == {'1': 'kept'}


def test_change_listeners_hear_edits_and_deletions(server, admin):
    log = os.path.join(server.env_path, 'files', 'change-events.log')
    tid = ticket_with_comment(admin, 'heard')
    admin.call('ticket.update', tid, 'second', {'keywords': 'k'})
    admin.call('ticket.editComment', tid, 1, 'edited %s' % tid)
    admin.call('ticket.deleteComment', tid, 2, True)
    with open(log, encoding='utf-8') as f:
        events = [line.split() for line in f if line.split()[1] == str(tid)]
    assert events[-2:] == [['comment_modified', str(tid), 'admin', 'edited',
                            str(tid)],
                           ['change_deleted', str(tid), 'keywords']]
