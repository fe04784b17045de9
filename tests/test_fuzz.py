"""Fuzzing both protocol parsers and the dispatcher through a real
tracd: whatever the body, the answer is a well-formed protocol response
(or a transport status), never an HTTP 500 or a traceback."""

import json
import xmlrpc.client

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytestmark = pytest.mark.parametrize('database', ['sqlite'], indirect=True)

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

#: methods a fuzzed call may name: every real one that cannot destroy
#: what other tests rely on (the fuzzing user cannot delete anyway)
METHODS = ['system.getAPIVersion', 'system.listMethods', 'system.methodHelp',
           'system.methodSignature', 'system.multicall', 'ticket.query',
           'ticket.get', 'ticket.getActions', 'ticket.changeLog',
           'ticket.getRecentChanges', 'ticket.listAttachments',
           'ticket.getAttachment', 'ticket.getTicketFields',
           'ticket.milestone.get', 'ticket.component.getAll',
           'ticket.priority.get', 'ticket.status.getAll', 'wiki.getPage',
           'wiki.getPageHTML', 'wiki.getPageInfo', 'wiki.listLinks',
           'wiki.wikiToHtml', 'wiki.getAttachment', 'search.performSearch',
           'search.getSearchFilters', 'testing.echo', 'testing.optional',
           'no.such.method']

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)

hinted = st.fixed_dictionaries({'__jsonclass__': st.lists(
    st.sampled_from(['datetime', 'binary', 'other']) | st.text(max_size=20),
    max_size=3)})

json_calls = st.fixed_dictionaries(
    {'method': st.sampled_from(METHODS) | st.text(max_size=20)},
    optional={'params': st.lists(json_values | hinted, max_size=4) |
              st.dictionaries(st.text(max_size=8), json_values,
                              max_size=3) | json_values,
              'id': json_values, 'jsonrpc': st.sampled_from(['2.0', '1.0'])})

xml_values = st.recursive(
    st.booleans() | st.integers(-2 ** 31, 2 ** 31 - 1) |
    st.floats(allow_nan=False, allow_infinity=False) |
    st.text().map(lambda text: ''.join(
        c for c in text if c in '\t\n\r' or ' ' <= c < '\ud800' or
        '\ue000' <= c < '\ufffe')) |
    st.binary(max_size=32).map(xmlrpc.client.Binary) |
    st.datetimes().map(xmlrpc.client.DateTime),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.text('abcdef', max_size=6), children, max_size=3),
    max_leaves=12)


def assert_json_answer(server, body):
    status, headers, answer = server.post(body, 'application/json', 'user')
    assert status in (200, 204, 400), (status, answer[:300])
    assert b'Traceback' not in answer
    if status == 200:
        response = json.loads(answer)
        responses = response if isinstance(response, list) else [response]
        for item in responses:
            assert 'result' in item or 'error' in item
            if item.get('error'):
                assert isinstance(item['error']['code'], int)


def assert_xml_answer(server, body):
    status, headers, answer = server.post(body, 'text/xml', 'user')
    assert status in (200, 400), (status, answer[:300])
    assert b'Traceback' not in answer
    if status == 200:
        try:
            xmlrpc.client.loads(answer)
        except xmlrpc.client.Fault as fault:
            assert isinstance(fault.faultCode, int)


@FUZZ
@given(call=json_calls)
def test_fuzz_json_calls(server, call):
    assert_json_answer(server, json.dumps(call).encode())


@FUZZ
@given(batch=st.lists(json_calls | json_values, max_size=5))
def test_fuzz_json_batches(server, batch):
    assert_json_answer(server, json.dumps(batch).encode())


@FUZZ
@given(body=st.binary(max_size=200) |
       st.text(max_size=200).map(lambda text: text.encode('utf-8')))
def test_fuzz_json_bytes(server, body):
    assert_json_answer(server, body)


@FUZZ
@given(method=st.sampled_from(METHODS), params=st.lists(xml_values,
                                                         max_size=4))
def test_fuzz_xml_calls(server, method, params):
    assert_xml_answer(server, xmlrpc.client.dumps(tuple(params), method,
                                                  allow_none=True).encode())


@FUZZ
@given(body=st.binary(max_size=200), cut=st.integers(0, 400))
def test_fuzz_xml_bytes(server, body, cut):
    valid = xmlrpc.client.dumps(([1, 'two', {'x': 3.5}],), 'testing.echo')
    assert_xml_answer(server, valid.encode()[:cut] + body)
