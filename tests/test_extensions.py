"""Third-party protocols written for TracXMLRPC 1.1, for real:
TracRpcProtocols 2.0.1 (Hessian and AMF) installed beside the plugin,
served by tracd, called with python-hessian's `HessianProxy` and
Py3AMF's `RemotingService`.

TracRpcProtocols' AMF module only imports on Python 3.13 and newer (its
own f-string syntax): the AMF tests skip elsewhere, saying so."""

import base64
import sys
from datetime import datetime, timezone

import pytest

from clients import http_request, unique

from tracrpc.api import API_VERSION

hessian_client = pytest.importorskip('pyhessian.client')
hessian_protocol = pytest.importorskip('pyhessian.protocol')
pytest.importorskip('tracrpcext')

needs_amf = pytest.mark.skipif(
    sys.version_info < (3, 13),
    reason="TracRpcProtocols' AMF module needs Python 3.13 or newer")


@pytest.fixture(scope='module')
def ext_server(sqlite_serving):
    """tracd with TracRpcProtocols' components enabled, on sqlite."""
    with sqlite_serving('extensions',
                        [('components', 'tracrpcext.*', 'enabled')]) as server:
        yield server


def hessian(server, user='user'):
    return hessian_client.HessianProxy(server.url + '/login/rpc',
                                       credentials=(user, user), timeout=60)


def call(proxy, method, *args):
    return getattr(proxy, method)(*args)


def hessian_fault(proxy, method, *args):
    with pytest.raises(hessian_protocol.Fault) as raised:
        call(proxy, method, *args)
    return raised.value


# -- Hessian ----------------------------------------------------------------

def test_hessian_version(ext_server):
    assert list(call(hessian(ext_server), 'system.getAPIVersion')) == \
        API_VERSION


def test_hessian_ticket_create_and_get_with_dates(ext_server):
    when = datetime(2020, 5, 17, 8, 30, tzinfo=timezone.utc)
    admin = hessian(ext_server, 'admin')
    tid = call(admin, 'ticket.create', 'Hessian ticket', 'made by Hessian',
               {'due_on': when}, False, when)
    ticket_id, created, changed, attributes = call(admin, 'ticket.get', tid)
    assert ticket_id == tid
    assert created.replace(tzinfo=timezone.utc) == when
    assert attributes['summary'] == 'Hessian ticket'
    assert attributes['due_on'].replace(tzinfo=timezone.utc) == when


def test_hessian_wiki_page(ext_server):
    assert 'Welcome to Trac' in call(hessian(ext_server), 'wiki.getPage',
                                     'WikiStart')


def test_hessian_unknown_method(ext_server):
    fault = hessian_fault(hessian(ext_server), 'ticket.nosuch')
    assert fault.code == 'NoSuchMethodException'
    assert 'ticket.nosuch' in fault.message


def test_hessian_permission_error(ext_server):
    tid = call(hessian(ext_server), 'ticket.create', 'Not yours', '')
    fault = hessian_fault(hessian(ext_server), 'ticket.delete', tid)
    assert fault.code == 'RequireHeaderException'
    assert 'TICKET_ADMIN' in fault.message


def test_hessian_binary_in_and_out(ext_server):
    proxy = hessian(ext_server)
    tid = call(proxy, 'ticket.create', 'With attachment', '')
    content = bytes(range(256)) * 3
    assert call(proxy, 'ticket.putAttachment', tid, 'data.bin', 'binary',
                hessian_protocol.Binary(content)) == 'data.bin'
    assert call(proxy, 'ticket.getAttachment', tid, 'data.bin').value == \
        content
    page = unique('HessianPage')
    call(proxy, 'wiki.putPage', page, 'text', {})
    assert call(proxy, 'wiki.putAttachment', page + '/w.bin',
                hessian_protocol.Binary(b'\x00wiki')) is True


def test_hessian_multicall_has_the_original_shape(ext_server):
    """Per call `(result,)` or a fault object, as in TracXMLRPC 1.1."""
    outcomes = call(hessian(ext_server), 'system.multicall', [
        {'methodName': 'system.getAPIVersion', 'params': []},
        {'methodName': 'ticket.nosuch', 'params': []},
        {'methodName': 'wiki.getPage', 'params': ['WikiStart']}])
    assert [list(value) for value in outcomes[0]] == [API_VERSION]
    assert type(outcomes[1]).__name__ == 'NoSuchMethodException'
    assert 'ticket.nosuch' in outcomes[1].message
    assert 'Welcome to Trac' in outcomes[2][0]


def test_hessian_malformed_request(ext_server):
    """A parse error reaches the protocol's own error path, which reads
    `req.rpc`: the answer is a Hessian fault, not Trac's error page."""
    status, headers, body = http_request(
        ext_server.url, 'POST', '/login/rpc', b'garbage', 'user',
        {'Content-Type': 'application/x-hessian'})
    assert status == 200
    assert headers['Content-Type'].startswith('application/x-hessian')
    assert b'ProtocolException' in body
    assert call(hessian(ext_server), 'system.getAPIVersion')


# -- AMF --------------------------------------------------------------------

def amf_client(server, user='user'):
    import pyamf
    from pyamf.remoting.client import RemotingService
    client = RemotingService(server.url + '/login/rpc',
                             amf_version=pyamf.AMF3)
    credentials = base64.b64encode(('%s:%s' % (user, user)).encode())
    client.addHTTPHeader('Authorization', 'Basic ' + credentials.decode())
    return client


@needs_amf
def test_amf_version(ext_server):
    assert amf_client(ext_server).getService('system').getAPIVersion() == \
        API_VERSION


@needs_amf
def test_amf_ticket_create_and_get_with_dates(ext_server):
    when = datetime(2021, 3, 4, 5, 6, 7)
    tickets = amf_client(ext_server, 'admin').getService('ticket')
    tid = tickets.create('AMF ticket', 'made by AMF', {}, False, when)
    ticket_id, created, changed, attributes = tickets.get(tid)
    assert ticket_id == tid and created.replace(tzinfo=None) == when
    assert attributes['summary'] == 'AMF ticket'


@needs_amf
def test_amf_wiki_page(ext_server):
    assert 'Welcome to Trac' in \
        amf_client(ext_server).getService('wiki').getPage('WikiStart')


@needs_amf
def test_amf_unknown_method_and_permission_error(ext_server):
    from pyamf.remoting import RemotingError
    tickets = amf_client(ext_server).getService('ticket')
    with pytest.raises(RemotingError) as raised:
        tickets.nosuch()
    assert 'ticket.nosuch' in str(raised.value)
    tid = tickets.create('Not yours', '')
    with pytest.raises(RemotingError) as raised:
        tickets.delete(tid)
    assert 'TICKET_ADMIN' in str(raised.value)


@needs_amf
def test_amf_binary_in_and_out(ext_server):
    from pyamf.amf3 import ByteArray
    tickets = amf_client(ext_server).getService('ticket')
    tid = tickets.create('AMF attachment', '')
    content = bytes(range(256)) * 2
    assert tickets.putAttachment(tid, 'amf.bin', 'binary',
                                 ByteArray(content)) == 'amf.bin'
    assert tickets.getAttachment(tid, 'amf.bin').getvalue() == content


@needs_amf
def test_amf_messages_of_one_request_are_a_multicall(ext_server):
    """Several AMF messages in one request: each answered in its own
    message, a failure as an error message (the multicall shape of
    TracXMLRPC 1.1, which AMF builds on)."""
    from pyamf import remoting
    client = amf_client(ext_server)
    system = client.getService('system', auto_execute=False)
    version = system.getAPIVersion()
    missing = system.nosuch()
    signature = system.methodSignature('system.getAPIVersion')
    response = client.execute()
    assert response[version.id].status == remoting.STATUS_OK
    assert response[version.id].body == API_VERSION
    assert response[missing.id].status == remoting.STATUS_ERROR
    assert response[signature.id].body == ['array']


@needs_amf
def test_amf_malformed_request_is_plain_500(ext_server):
    """TracRpcProtocols' AMF error path fails on a request it could not
    parse: the client gets a short plain-text 500, no Trac error page."""
    status, headers, body = http_request(
        ext_server.url, 'POST', '/login/rpc', b'garbage', 'user',
        {'Content-Type': 'application/x-amf'})
    assert status == 500
    assert headers['Content-Type'].startswith('text/plain')
    assert b'Action Message Format' in body and b'<html' not in body
    assert amf_client(ext_server).getService('system').getAPIVersion()
