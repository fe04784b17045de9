"""The plugin's message catalogs (tracrpc/locale): the template is what
the code and templates mark, the Japanese catalog translates all of it,
the compiled catalog is the current one, and Trac's language negotiation
picks it for the API page and the token panel (Trac's own words around
them stay Trac's)."""

import gettext
import json
import os
import subprocess
import sys

from babel.messages.pofile import read_po

from clients import http_request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCALE = os.path.join(ROOT, 'tracrpc', 'locale')
JA_PO = os.path.join(LOCALE, 'ja', 'LC_MESSAGES', 'tracrpc.po')
JA_MO = os.path.join(LOCALE, 'ja', 'LC_MESSAGES', 'tracrpc.mo')


def message_ids(path, locale=None):
    with open(path, 'rb') as f:
        messages = [message for message in read_po(f, locale=locale)
                    if message.id]
    assert not [message.id for message in messages if message.fuzzy]
    return {message.id: message.string for message in messages}


def test_template_holds_what_the_code_marks(tmp_path):
    extracted = str(tmp_path / 'messages.pot')
    subprocess.check_call([sys.executable, 'setup.py', '-q',
                           'extract_messages', '--output-file', extracted],
                          cwd=ROOT, stderr=subprocess.DEVNULL)
    assert set(message_ids(extracted)) == \
        set(message_ids(os.path.join(LOCALE, 'messages.pot')))


def test_japanese_catalog_translates_everything_and_is_compiled():
    template = message_ids(os.path.join(LOCALE, 'messages.pot'))
    japanese = message_ids(JA_PO, 'ja')
    assert set(japanese) == set(template)
    assert all(japanese.values()), [msgid for msgid, text
                                    in japanese.items() if not text]
    with open(JA_MO, 'rb') as f:
        compiled = gettext.GNUTranslations(f)
    for msgid, text in japanese.items():
        assert compiled.gettext(msgid) == text


def page(server, path, language, user='user'):
    status, headers, body = http_request(server.url, 'GET', path, None, user,
                                         {'Accept-Language': language})
    assert status == 200
    return body.decode('utf-8')


def test_api_page_follows_the_browser_language(server):
    japanese = page(server, '/login/rpc', 'ja')
    assert 'リモート API' in japanese and 'プロトコル' in japanese
    # the console's words, as Trac writes script data (JSON, \\u escapes)
    assert '"tryIt":%s' % json.dumps('試す') in japanese
    assert 'ログアウト' in japanese  # Trac's own words, from Trac's catalog
    english = page(server, '/login/rpc', 'en-US')
    assert 'Remote API' in english and 'リモート' not in english


def test_token_panel_in_japanese(server):
    status, headers, body = http_request(server.url, 'GET', '/login', None,
                                         'user', {})
    cookie = headers['Set-Cookie'].split(';', 1)[0]
    status, headers, body = http_request(
        server.url, 'GET', '/prefs/rpctokens', None, None,
        {'Cookie': cookie, 'Accept-Language': 'ja'})
    text = body.decode('utf-8')
    assert 'トークンを作成' in text and '個人設定' in text


def labels(server, user, language):
    status, headers, body = http_request(
        server.url, 'POST', '/login/rpc',
        json.dumps({'method': 'ticket.getTicketFields', 'id': 1}).encode(),
        user, {'Content-Type': 'application/json',
               'Accept-Language': language})
    return {field['name']: field['label']
            for field in json.loads(body)['result']}


def test_rpc_answers_follow_trac_language_negotiation(server):
    """The locale Trac negotiates (remembered by `LocaleCache`): the
    browser's language, the session's preference first."""
    assert labels(server, 'user', 'ja')['summary'] == '概要'
    assert labels(server, 'user', 'en-US')['summary'] == 'Summary'
    assert labels(server, 'user', 'ja')['summary'] == '概要'  # remembered
    env = server.env()
    try:
        with env.db_transaction as db:
            if not db("SELECT 1 FROM session WHERE sid='viewer' "
                      "AND authenticated=1"):
                db("INSERT INTO session VALUES ('viewer', 1, 0)")
            db("DELETE FROM session_attribute WHERE sid='viewer' "
               "AND name='language'")
            db("INSERT INTO session_attribute VALUES "
               "('viewer', 1, 'language', 'de')")
        assert labels(server, 'viewer', 'ja')['summary'] == \
            'Zusammenfassung'
    finally:
        env.db_transaction("DELETE FROM session_attribute WHERE "
                           "sid='viewer' AND name='language'")
        env.shutdown()
