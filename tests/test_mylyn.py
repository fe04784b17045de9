"""What Mylyn's Trac connector (Apache XML-RPC 3.1 at /login/xmlrpc)
relies on: its mid-air collision rule, fault 403 for permission errors,
and the exact XML-RPC types it casts results to. The responses are read
as raw XML, the way a strict client sees them."""

import re
import xmlrpc.client
from datetime import datetime

import pytest

from clients import Binary, Fault, fault_of, unique

pytestmark = pytest.mark.parametrize('database', ['sqlite'], indirect=True)

#: Mylyn's test for a mid-air collision (besides faultCode == 1)
MYLYN_COLLISION = re.compile('Sorry, can not save your changes.*This ticket '
                             'has been modified by someone else since you '
                             'started')
DATE_TEXT = re.compile(rb'<dateTime\.iso8601>([^<]*)</dateTime\.iso8601>')


def raw_call(server, user, method, *params):
    """Call `method` at /login/xmlrpc; return the raw response body."""
    status, headers, body = server.post(
        xmlrpc.client.dumps(params, method).encode(), 'text/xml', user,
        '/login/xmlrpc')
    assert status == 200
    return body


def strict_result(body):
    """The result of a raw response, after checking what Apache XML-RPC
    3.1 without extensions accepts: no `<nil/>`, no `<i8>`, dates in
    the `YYYYMMDDTHH:MM:SS` form."""
    assert b'<nil' not in body and b'<i8>' not in body, body
    for text in DATE_TEXT.findall(body):
        assert re.fullmatch(rb'\d{8}T\d\d:\d\d:\d\d', text), text
    return xmlrpc.client.loads(body, use_builtin_types=True)[0][0]


def ts_of(client, tid):
    return client.call('ticket.get', tid)[3]['_ts']


@pytest.mark.parametrize('action', [None, 'leave'])
def test_collision_is_recognised_by_mylyn(server, action):
    client = server.client('xmlrpc', 'user', '/login/xmlrpc')
    tid = client.call('ticket.create', unique(), '')
    token = ts_of(client, tid)
    client.call('ticket.update', tid, 'first', {'_ts': token})
    attributes = {'_ts': token, 'keywords': 'late'}
    if action:
        attributes['action'] = action
    fault = fault_of(client, 'ticket.update', tid, 'second', attributes)
    assert fault.code == 1
    assert MYLYN_COLLISION.search(fault.message), fault.message
    assert client.call('ticket.get', tid)[3]['keywords'] == ''


def test_collision_message_in_jsonrpc(server):
    client = server.client('jsonrpc', 'user')
    tid = client.call('ticket.create', unique(), '')
    token = ts_of(client, tid)
    client.call('ticket.update', tid, 'first', {'_ts': token})
    fault = fault_of(client, 'ticket.update', tid, 'second', {'_ts': token})
    assert fault.code == 409
    assert MYLYN_COLLISION.search(fault.message), fault.message


def test_permission_error_is_fault_403(server):
    client = server.client('xmlrpc', 'viewer', '/login/xmlrpc')
    assert fault_of(client, 'ticket.create', unique(), '').code == 403
    with pytest.raises(Fault) as raised:
        server.client('xmlrpc', 'norpc', '/login/xmlrpc').call(
            'system.getAPIVersion')
    assert raised.value.code == 403


def test_ticket_types_as_mylyn_casts_them(server):
    admin = server.client('xmlrpc', 'admin')
    tid = admin.call('ticket.create', unique(), 'text', {'keywords': 'a'})
    admin.call('ticket.update', tid, 'comment', {'keywords': 'b'})
    admin.call('ticket.putAttachment', tid, 'm.txt', 'note', Binary(b'm'))

    ticket_id, created, changed, attributes = strict_result(
        raw_call(server, 'user', 'ticket.get', tid))
    assert type(ticket_id) is int and ticket_id == tid
    assert isinstance(created, datetime) and isinstance(changed, datetime)
    # strings, and dates for time fields (the custom field `due_on`)
    assert all(isinstance(value, (str, datetime))
               for value in attributes.values())

    for when, author, field, old, new, permanent in strict_result(
            raw_call(server, 'user', 'ticket.changeLog', tid)):
        assert isinstance(when, datetime) and isinstance(author, str)
        assert isinstance(old, str) and isinstance(new, str), field
        assert type(permanent) is int

    for action, label, hints, inputs in strict_result(
            raw_call(server, 'user', 'ticket.getActions', tid)):
        assert isinstance(label, str) and isinstance(hints, str)
        for name, default, options in inputs:
            assert isinstance(default, str)
            assert all(isinstance(option, str) for option in options)

    for filename, description, size, time, author in strict_result(
            raw_call(server, 'user', 'ticket.listAttachments', tid)):
        assert type(size) is int and isinstance(time, datetime)

    ids = strict_result(raw_call(server, 'user', 'ticket.query', 'max=0'))
    assert ids and all(type(i) is int for i in ids)


def test_model_types_as_mylyn_casts_them(server):
    priority = strict_result(raw_call(server, 'user', 'ticket.priority.get',
                                      'major'))
    assert isinstance(priority, str) and priority.isdigit()
    admin = server.client('xmlrpc', 'admin')
    name = unique('M')
    admin.call('ticket.milestone.create', name,
               {'due': datetime(2030, 1, 2, 3, 4, 5)})
    milestone = strict_result(raw_call(server, 'user',
                                       'ticket.milestone.get', name))
    assert milestone['due'] == datetime(2030, 1, 2, 3, 4, 5)
    assert milestone['completed'] == 0
    fields = strict_result(raw_call(server, 'user', 'ticket.getTicketFields'))
    assert all(isinstance(field['name'], str) for field in fields)


def test_wiki_writes_answer_booleans(server):
    page = unique('MylynPage')
    assert strict_result(raw_call(server, 'admin', 'wiki.putPage', page,
                                  'text', {})) is True
    info = strict_result(raw_call(server, 'admin', 'wiki.getPageInfo', page))
    assert type(info['version']) is int
    assert isinstance(info['lastModified'], datetime)
    assert strict_result(raw_call(server, 'admin', 'wiki.deletePage',
                                  page)) is True
