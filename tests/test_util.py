"""The public helpers of tracrpc.util and tracrpc.api that third-party
plugins (TracRpcProtocols) import."""

from datetime import datetime, timedelta, timezone

import pytest
from trac.util.datefmt import utc
from trac.web.api import Request

import tracrpc.api
import tracrpc.util
from tracrpc.util import accepts_mimetype, cleandoc_, parse_iso_datetime, \
    prepare_docs, replace_surrogates, replace_xml_illegal, to_b, utc_fields


def test_public_names_exist():
    for name in ('cleandoc_', 'gettext', 'to_b', 'to_unicode',
                 'accepts_mimetype', 'prepare_docs', 'exception_to_unicode',
                 'to_utimestamp', 'from_utimestamp'):
        assert callable(getattr(tracrpc.util, name)), name
    for name in ('IRPCProtocol', 'IXMLRPCHandler', 'AbstractRPCHandler',
                 'expose_rpc', 'Method', 'XMLRPCSystem', 'Binary', 'RPCError',
                 'MethodNotFound', 'ProtocolException', 'ServiceException'):
        assert hasattr(tracrpc.api, name), name


def test_cleandoc_and_prepare_docs():
    assert cleandoc_(None) == ''
    assert cleandoc_('Title\n    body\n      indented') \
        == 'Title\nbody\n  indented'
    assert prepare_docs('    a\n      b\n  c', 4) == 'a\n  b\nc'
    assert prepare_docs(None) == ''


def test_to_b():
    assert to_b('\u00e9') == b'\xc3\xa9'
    assert to_b(b'x') == b'x'
    assert to_b(5) == b'5'


def test_accepts_mimetype():
    req = Request({'REQUEST_METHOD': 'GET', 'SERVER_NAME': 'localhost',
                   'SERVER_PORT': '80', 'SCRIPT_NAME': '', 'PATH_INFO': '/',
                   'wsgi.url_scheme': 'http',
                   'HTTP_ACCEPT': 'text/html,application/json;q=0.9'},
                  lambda status, headers: None)
    assert accepts_mimetype(req, 'application/json')
    assert accepts_mimetype(req, 'text/html')
    assert not accepts_mimetype(req, 'text/xml')


@pytest.mark.parametrize('text,expected', [
    ('20090619T16:46:00', datetime(2009, 6, 19, 16, 46)),
    ('2009-06-19T16:46:00Z', datetime(2009, 6, 19, 16, 46)),
    ('2009-06-19T16:46:00.5', datetime(2009, 6, 19, 16, 46, 0, 500000)),
    ('2009-06-19T16:46:00.000001+00:00',
     datetime(2009, 6, 19, 16, 46, 0, 1)),
    # the trunk's JSON forms: a date alone, t / space / _ separators,
    # z, any offset (converted to UTC)
    ('2009-06-19', datetime(2009, 6, 19)),
    ('2009-06-19t16:46:00z', datetime(2009, 6, 19, 16, 46)),
    ('2009-06-19 16:46:00', datetime(2009, 6, 19, 16, 46)),
    ('2009-06-19_16:46:00', datetime(2009, 6, 19, 16, 46)),
    ('2009-06-19T16:46:00+02:00', datetime(2009, 6, 19, 14, 46)),
    ('2009-06-19T23:46:00-01:30', datetime(2009, 6, 20, 1, 16))])
def test_parse_iso_datetime(text, expected):
    assert parse_iso_datetime(text) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize('text', ['', 'yesterday', '2009-06-19T16',
                                  '2009-13-19T16:46:00', '2009-06-19X16:46:00',
                                  '2009-06-19T16:46:00+2'])
def test_parse_iso_datetime_refuses(text):
    with pytest.raises(ValueError):
        parse_iso_datetime(text)


def test_utc_fields():
    aware = datetime(2020, 1, 1, 1, 2, 3, 4,
                     tzinfo=timezone(timedelta(hours=2)))
    assert utc_fields(aware) == (2019, 12, 31, 23, 2, 3, 4)
    assert utc_fields(datetime(999, 1, 2, 3, 4, 5, tzinfo=utc)) == \
        (999, 1, 2, 3, 4, 5, 0)
    assert utc_fields(datetime(2020, 1, 1)) == (2020, 1, 1, 0, 0, 0, 0)


def test_text_replacements():
    assert replace_xml_illegal('a\x00b\tc\n\ufffe') == 'a\ufffdb\tc\n\ufffd'
    assert replace_surrogates('a\ud800b') == 'a\ufffdb'
