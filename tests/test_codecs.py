"""The protocols' codecs, in-process: bytes in -> call, result or error
in -> bytes. Whatever the bytes, decoding answers a call or one of the
protocol errors; what is encoded decodes to what was meant."""

import json
import xmlrpc.client
from datetime import datetime

import pytest
from hypothesis import given, settings, strategies as st

from tracrpc import json_rpc, xml_rpc
from tracrpc.api import Binary, CallOutcome, InvalidParams, InvalidRequest, \
                        MethodNotFound, MulticallResult, ProtocolException, \
                        UndecodedCall
from tracrpc.util import utc

#: what a decoder may raise: anything else is a bug (an HTTP 500)
PROTOCOL_ERRORS = (ProtocolException, InvalidRequest, InvalidParams)
MANY = settings(max_examples=1000, deadline=None, database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() |
    st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15)


# -- XML-RPC ----------------------------------------------------------------

@MANY
@given(body=st.binary(max_size=300), cut=st.integers(0, 300))
def test_xml_decoding_answers_a_call_or_a_protocol_error(body, cut):
    valid = xmlrpc.client.dumps(([1, 'two', {'x': 3.5}],), 'a.b').encode()
    try:
        call = xml_rpc.decode_call(valid[:cut] + body, 64)
    except PROTOCOL_ERRORS:
        return
    assert isinstance(call['params'], list)


@MANY
@given(params=st.lists(st.integers(-2 ** 31, 2 ** 31 - 1) | st.booleans() |
                       st.floats(allow_nan=False, allow_infinity=False) |
                       st.text(st.characters(min_codepoint=0x20,
                                             max_codepoint=0xd7ff)),
                       max_size=5))
def test_xml_decodes_what_xmlrpc_client_sends(params):
    body = xmlrpc.client.dumps(tuple(params), 'ticket.get').encode()
    assert xml_rpc.decode_call(body, 64) == {'method': 'ticket.get',
                                             'params': params}


def test_xml_decoding_rules():
    body = xmlrpc.client.dumps((
        'a\nb', xmlrpc.client.DateTime('20090619T16:46:00'),
        xmlrpc.client.Binary(b'\x00\xff')), 'm').encode()
    text, date, data = xml_rpc.decode_call(body, 64)['params']
    assert text == 'a\r\nb'
    assert date == datetime(2009, 6, 19, 16, 46, tzinfo=utc)
    assert isinstance(data, Binary) and data.data == b'\x00\xff'
    nested = xmlrpc.client.dumps(([[[1]]],), 'm').encode()
    assert xml_rpc.decode_call(nested, 3)['params'] == [[[[1]]]]
    with pytest.raises(ProtocolException):
        xml_rpc.decode_call(nested, 2)
    with pytest.raises(ProtocolException):
        xml_rpc.decode_call(b'<!DOCTYPE x><methodCall/>', 64)


@pytest.mark.parametrize('size', [0, 1, 49151, 49152, 49153, 200003])
def test_xml_base64_streams_across_buffers(size):
    # Lines of 76 characters, pieces of the parser's 64 KiB buffer that
    # end inside a group of four, and text after the binary value.
    payload = bytes(range(256)) * (size // 256) + b'\x07' * (size % 256)
    body = xmlrpc.client.dumps(
        ('before', xmlrpc.client.Binary(payload), 'after\nend', [1]),
        'm').encode()
    before, data, after, array = xml_rpc.decode_call(body, 64)['params']
    assert (before, after, array) == ('before', 'after\r\nend', [1])
    assert isinstance(data, Binary) and data.data == payload


def test_xml_encoding_of_results_and_errors():
    body = b''.join(xml_rpc.encode_result({'when': datetime(2020, 1, 2,
                                                            tzinfo=utc)}))
    assert xmlrpc.client.loads(body)[0][0]['when'].value == \
        '20200102T00:00:00'
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(b''.join(xml_rpc.encode_error(
            MethodNotFound('RPC method "x" not found'))))
    assert raised.value.faultCode == -32601
    multicall = MulticallResult([
        CallOutcome({'methodName': 'a'}, 5, None),
        CallOutcome({'methodName': 'b'}, None, MethodNotFound('gone'))])
    assert xmlrpc.client.loads(b''.join(xml_rpc.encode_result(
        multicall)))[0][0] == [[5], {'faultCode': -32601,
                                     'faultString': 'gone'}]


# -- JSON-RPC ---------------------------------------------------------------

@MANY
@given(body=st.binary(max_size=300) |
       st.builds(json.dumps, json_values).map(str.encode))
def test_json_decoding_answers_calls_or_a_protocol_error(body):
    try:
        call = json_rpc.decode_request(body, 64)
    except PROTOCOL_ERRORS:
        return
    assert isinstance(call, dict) or (isinstance(call, list) and call)


@MANY
@given(result=json_values)
def test_json_encodes_what_json_decodes(result):
    body = json_rpc.encode_result({'id': 3}, result)
    assert json.loads(body) == {'id': 3, 'result': result, 'error': None}



@MANY
@given(data=st.lists(st.binary(max_size=300), max_size=4),
       texts=st.lists(st.text(), max_size=3))
def test_json_binary_results_round_trip_beside_any_text(data, texts):
    """Binary values (Binary, bytes, bytearray) come back as their class
    hints, in place, whatever strings stand beside them, NULs included."""
    kinds = [Binary, bytes, bytearray]
    result = {'texts': texts + ['\0binary-0\0'],
              'data': [kinds[i % 3](value) for i, value in enumerate(data)]}
    answer = json_rpc.decode_request(json_rpc.encode_result(
        {'id': 1}, result).replace(b'"result"', b'"params"', 1), 64)
    assert answer['params']['texts'] == result['texts']
    assert [value.data for value in answer['params']['data']] == data

def test_json_decoding_rules():
    call = json_rpc.decode_request(
        b'{"method": "m", "id": 1, "params": [{"__jsonclass__": '
        b'["datetime", "2009-06-19T16:46:00.5"]}, {"__jsonclass__": '
        b'["binary", "AP8="]}, "\\ud800"]}', 64)
    date, data, text = call['params']
    assert date == datetime(2009, 6, 19, 16, 46, 0, 500000, utc)
    assert data.data == b'\x00\xff' and text == '\ufffd'
    with pytest.raises(ProtocolException):
        json_rpc.decode_request(b'{"params": [[[1]]]}', 2)
    with pytest.raises(InvalidRequest):
        json_rpc.decode_request(b'[]', 64)


@pytest.mark.parametrize('text, data', [
    ('', b''), ('AA==', b'\x00'), ('AAE=', b'\x00\x01'),
    ('AAEC', b'\x00\x01\x02'), ('+/+/', b'\xfb\xff\xbf'),
    ('AA', None), ('AA===', None), ('A=A=', None), ('AA\nAA', None),
    ('AA AA', None), ('AA-_', None), ('\u00e9AAA', None), ('====', None),
    ('=', None), ('AAAA====', None), ('AA==AA==', None)])
@pytest.mark.parametrize('strict_mode', [
    False, pytest.param(True, marks=pytest.mark.skipif(
        not json_rpc._A2B_STRICT, reason='a2b_base64 strict mode: 3.11+'))])
def test_json_binary_is_strict_base64(text, data, strict_mode, monkeypatch):
    monkeypatch.setattr(json_rpc, '_A2B_STRICT', strict_mode)
    body = json.dumps({'method': 'm', 'id': 1, 'params': [
        {'__jsonclass__': ['binary', text]}]}).encode()
    if data is None:
        with pytest.raises(InvalidParams):
            json_rpc.decode_request(body, 64)
    else:
        assert json_rpc.decode_request(body, 64)['params'][0].data == data


def test_json_undecodable_params_carry_the_request_for_its_id():
    with pytest.raises(InvalidParams) as raised:
        json_rpc.decode_request(b'{"method": "m", "id": 9, "params": '
                                b'[{"__jsonclass__": ["bogus", "x"]}]}', 64)
    answer = json.loads(json_rpc.encode_error(raised.value.request,
                                              raised.value))
    assert answer['id'] == 9 and answer['error']['code'] == -32602


def test_json_batch_is_a_list_of_calls_whose_bad_calls_fail_alone():
    calls = json_rpc.decode_request(
        b'[{"jsonrpc": "2.0", "method": "a", "id": 1}, {"jsonrpc": "2.0", '
        b'"method": "b", "params": [{"__jsonclass__": 5}], "id": 2}]', 64)
    good, bad = calls
    assert good['method'] == 'a' and isinstance(bad, UndecodedCall)
    outcomes = MulticallResult([CallOutcome(good, 'ok', None),
                                CallOutcome(bad, None, bad.error)])
    assert json.loads(json_rpc.encode_result({'calls': calls},
                                             outcomes)) == [
        {'jsonrpc': '2.0', 'id': 1, 'result': 'ok'},
        {'jsonrpc': '2.0', 'id': 2, 'error': {
            'code': -32602,
            'message': 'Invalid params: malformed __jsonclass__ hint 5'}}]


def test_json_notifications_get_no_answer():
    assert json_rpc.encode_result({'jsonrpc': '2.0', 'method': 'm'}, 1) \
        is None
