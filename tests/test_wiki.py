"""The wiki and search namespaces against a real tracd, in both
protocols."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from clients import CONFLICT_CODES, Binary, fault_of, unique, web_page


# -- Reading and writing ----------------------------------------------------

def test_page_lifecycle(user, admin):
    name = unique('Page')
    for number in (1, 2, 3):
        assert user.call('wiki.putPage', name, 'Text %d' % number,
                         {'comment': 'edit %d' % number}) is True
    for number in (1, 2, 3):
        assert user.call('wiki.getPage', name, number) == 'Text %d' % number
        assert user.call('wiki.getPageVersion', name, number) \
            == 'Text %d' % number
        info = user.call('wiki.getPageInfoVersion', name, number)
        assert (info['name'], info['version'], info['author'],
                info['comment']) == (name, number, 'user', 'edit %d' % number)
        assert isinstance(info['lastModified'], datetime)
        assert 'Text %d' % number in user.call('wiki.getPageHTML', name,
                                               number)
    assert user.call('wiki.getPage', name) == 'Text 3'
    assert user.call('wiki.getPageInfo', name)['version'] == 3
    assert user.call('wiki.getPageHTMLVersion', name, 2) \
        == '<html><body><p>\nText 2\n</p>\n</body></html>'

    assert admin.call('wiki.deletePage', name, 3) is True
    assert user.call('wiki.getPage', name) == 'Text 2'
    assert fault_of(user, 'wiki.getPage', name, 3).code == 404
    assert admin.call('wiki.deletePage', name) is True
    assert fault_of(user, 'wiki.getPage', name).code == 404
    assert name not in user.call('wiki.getAllPages')


def test_unchanged_text_is_no_new_version(user):
    name = unique('Page')
    user.call('wiki.putPage', name, 'Same', {})
    assert user.call('wiki.putPage', name, 'Same', {}) is True
    assert user.call('wiki.getPageInfo', name)['version'] == 1


def test_author_cannot_be_impersonated(user, admin):
    name = unique('Page')
    user.call('wiki.putPage', name, 'one', {'author': 'admin'})
    assert user.call('wiki.getPageInfo', name)['author'] == 'user'
    admin.call('wiki.putPage', name, 'two', {'author': 'robot'})
    assert user.call('wiki.getPageInfo', name)['author'] == 'robot'


def test_readonly_pages(user, admin):
    name = unique('Page')
    assert fault_of(user, 'wiki.putPage', name, 'x',
                    {'readonly': True}).code == 403
    admin.call('wiki.putPage', name, 'locked', {'readonly': True})
    assert fault_of(user, 'wiki.putPage', name, 'changed', {}).code == 403
    assert user.call('wiki.getPage', name) == 'locked'
    admin.call('wiki.putPage', name, 'changed by admin', {})
    assert user.call('wiki.getPage', name) == 'changed by admin'


def test_write_permissions(rpc):
    viewer = rpc('viewer')
    name = unique('Page')
    assert fault_of(viewer, 'wiki.putPage', name, 'x', {}).code == 403
    rpc('user').call('wiki.putPage', name, 'x', {})
    assert fault_of(viewer, 'wiki.putPage', name, 'y', {}).code == 403
    assert fault_of(rpc('user'), 'wiki.deletePage', name).code == 403
    assert rpc('user').call('wiki.getPage', name) == 'x'


def test_read_permissions(rpc):
    name = unique('Page')
    rpc('user').call('wiki.putPage', name, 'x', {})
    rpconly = rpc('rpconly')
    for method, args in [('wiki.getPage', (name,)),
                         ('wiki.getPageHTML', (name,)),
                         ('wiki.getPageInfo', (name,)),
                         ('wiki.listLinks', (name,)),
                         ('wiki.listAttachments', (name,)),
                         ('wiki.getAllPages', ()),
                         ('wiki.getRecentChanges', (datetime(2000, 1, 1),)),
                         ('wiki.wikiToHtml', ('x',)),
                         ('wiki.getRPCVersionSupported', ())]:
        assert fault_of(rpconly, method, *args).code == 403, method


def test_manipulator_rejects_page(user):
    name = unique('Page')
    fault = fault_of(user, 'wiki.putPage', name, 'REJECTME', {})
    assert 'REJECTME is not welcome in the wiki' in fault.message
    assert fault_of(user, 'wiki.getPage', name).code == 404


def test_max_size(user):
    fault = fault_of(user, 'wiki.putPage', unique('Page'), 'x' * 300000, {})
    assert 'too long' in fault.message and '262144' in fault.message


@pytest.mark.parametrize('method,args', [
    ('wiki.getPage', ('NoSuchPage',)), ('wiki.getPage', ('WikiStart', 99)),
    ('wiki.getPageHTML', ('NoSuchPage',)),
    ('wiki.getPageInfo', ('NoSuchPage',)),
    ('wiki.getPageInfoVersion', ('WikiStart', 99)),
    ('wiki.listLinks', ('NoSuchPage',)),
    ('wiki.listAttachments', ('NoSuchPage',)),
    ('wiki.getAttachment', ('NoSuchPage/file.txt',)),
    ('wiki.getAttachment', ('WikiStart/nosuch.txt',)),
    ('wiki.deleteAttachment', ('WikiStart/nosuch.txt',))])
def test_not_found(admin, method, args):
    fault = fault_of(admin, method, *args)
    assert fault.code == 404
    assert args[0].split('/')[0] in fault.message or 'nosuch' in fault.message


def test_not_found_names_page_and_version(user):
    fault = fault_of(user, 'wiki.getPage', 'WikiStart', 99)
    assert 'WikiStart' in fault.message and '99' in fault.message


def test_delete_not_found(admin):
    assert fault_of(admin, 'wiki.deletePage', 'NoSuchPage').code == 404


@pytest.mark.parametrize('method,args', [
    ('wiki.getPage', ('',)), ('wiki.getPage', ('/Bad',)),
    ('wiki.getPage', ('WikiStart', 'two')), ('wiki.getPage', ('WikiStart', 0)),
    ('wiki.getPage', ({},)), ('wiki.putPage', ('', 'x', {})),
    ('wiki.putPage', ('../Up', 'x', {})), ('wiki.putPage', ('P', 'x')),
    ('wiki.putPage', ('P', 'x', [])),
    ('wiki.putAttachment', ('WikiStart/a.txt', 'not binary')),
    ('wiki.putAttachment', ('nopath', Binary(b'x'))),
    ('wiki.getAttachment', ('WikiStart/',)),
    ('wiki.deletePage', ('WikiStart', 'x'))])
def test_bad_arguments(admin, method, args):
    assert fault_of(admin, method, *args).code == -32602


# -- Rendering and links ------------------------------------------------

def test_wiki_to_html_exact(user):
    assert user.call('wiki.wikiToHtml',
                     "'''bold''', ''italic'', `monospaced`") \
        == '<p>\n<strong>bold</strong>, <em>italic</em>, ' \
           '<code>monospaced</code>\n</p>\n'


def test_html_has_absolute_urls(server, user):
    name = unique('Page')
    user.call('wiki.putPage', name, 'See WikiStart', {})
    html = user.call('wiki.getPageHTML', name)
    assert html.startswith('<html><body>') and html.endswith('</body></html>')
    assert 'href="%s/wiki/WikiStart"' % server.url in html


def test_list_links(user):
    name = unique('Page')
    user.call('wiki.putPage', name, 'WikiStart, [wiki:Other/Page], '
              'http://example.org/x and WikiStart again', {})
    links = user.call('wiki.listLinks', name)
    assert [(link['page'], link['type']) for link in links] == [
        ('WikiStart', 'local'), ('Other/Page', 'local'),
        ('http://example.org/x', 'external')]


def test_recent_changes_and_all_pages(user):
    since = datetime.now(timezone.utc).replace(tzinfo=None) \
        - timedelta(seconds=5)
    name = unique('Page')
    user.call('wiki.putPage', name, 'x', {})
    user.call('wiki.putPage', name, 'y', {})
    recent = [info for info in user.call('wiki.getRecentChanges', since)
              if info['name'] == name]
    assert len(recent) == 1 and recent[0]['version'] == 2
    assert name in user.call('wiki.getAllPages')
    assert 'WikiStart' in user.call('wiki.getAllPages')
    assert user.call('wiki.getRPCVersionSupported') == 2


# -- Attachments ----------------------------------------------------------

def test_attachments_on_sub_page(user, admin):
    name = 'Sub%s/Page' % uuid.uuid4().hex[:8]
    user.call('wiki.putPage', name, 'x', {})
    assert user.call('wiki.putAttachment', name + '/file.txt',
                     Binary(b'one')) is True
    assert user.call('wiki.listAttachments', name) == [name + '/file.txt']
    assert user.call('wiki.getAttachment', name + '/file.txt') == b'one'
    assert user.call('wiki.putAttachment', name + '/file.txt',
                     Binary(b'two')) is True
    assert user.call('wiki.getAttachment', name + '/file.txt') == b'two'
    stored = user.call('wiki.putAttachmentEx', name, 'C:\\dir\\other.txt',
                       'described', Binary(b'three'))
    assert stored == 'other.txt'
    kept = user.call('wiki.putAttachmentEx', name, 'other.txt', '',
                     Binary(b'four'), False)
    assert kept != 'other.txt'
    assert sorted(user.call('wiki.listAttachments', name)) == sorted(
        [name + '/file.txt', name + '/other.txt', name + '/' + kept])
    assert user.call('wiki.deleteAttachment', name + '/file.txt') is True
    assert name + '/file.txt' not in user.call('wiki.listAttachments', name)
    admin.call('wiki.deletePage', name)
    assert fault_of(admin, 'wiki.getAttachment', name + '/other.txt').code \
        == 404


def test_attachment_rules(rpc):
    user = rpc('user')
    name = unique('Page')
    user.call('wiki.putPage', name, 'x', {})
    fault = fault_of(user, 'wiki.putAttachmentEx', name, 'big.bin', '',
                     Binary(b'x' * 100001))
    assert 'Maximum attachment size' in fault.message
    fault = fault_of(user, 'wiki.putAttachmentEx', name, 'tool.exe', '',
                     Binary(b'MZ'))
    assert 'executables are not accepted' in fault.message
    assert user.call('wiki.listAttachments', name) == []
    assert fault_of(rpc('viewer'), 'wiki.putAttachment', name + '/a.txt',
                    Binary(b'a')).code == 403
    rpc('admin').call('wiki.putAttachment', name + '/admin.txt', Binary(b'a'))
    assert fault_of(user, 'wiki.deleteAttachment',
                    name + '/admin.txt').code == 403


# -- Search ---------------------------------------------------------------

def test_search_filters(rpc):
    filters = dict(rpc('user').call('search.getSearchFilters'))
    assert filters['ticket'] == 'Tickets' and filters['wiki'] == 'Wiki'
    assert fault_of(rpc('rpconly'), 'search.getSearchFilters').code == 403


def test_search_finds_ticket_and_page(server, rpc):
    user = rpc('user')
    word = 'zq' + uuid.uuid4().hex[:8]
    tid = user.call('ticket.create', 'About %s' % word, 'text')
    page = unique('Page')
    user.call('wiki.putPage', page, 'Mentions %s here' % word, {})
    results = user.call('search.performSearch', word)
    hrefs = [result[0] for result in results]
    assert '%s/ticket/%d' % (server.url, tid) in hrefs
    assert '%s/wiki/%s' % (server.url, page) in hrefs
    for href, title, date, author, excerpt in results:
        assert isinstance(date, datetime) and author == 'user'
    titles = dict((result[0], result[1]) for result in results)
    title = titles['%s/ticket/%d' % (server.url, tid)]
    assert title == '<span class="new">#%d</span>: defect: About %s (new)' \
        % (tid, word)
    shown = web_page(server, 'user', '/search?q=%s&ticket=on' % word)
    assert title in shown.decode('utf-8')  # as Trac's search page shows it
    only_wiki = user.call('search.performSearch', word, ['wiki'])
    assert [r[0] for r in only_wiki] == ['%s/wiki/%s' % (server.url, page)]


def test_search_errors(rpc):
    user = rpc('user')
    assert 'at least 3 characters' in fault_of(
        user, 'search.performSearch', 'ab').message
    fault = fault_of(user, 'search.performSearch', 'abc', ['nosuch'])
    assert 'nosuch' in fault.message and 'ticket' in fault.message
    assert fault_of(user, 'search.performSearch', [5]).code == -32602
    assert fault_of(user, 'search.performSearch', 'abc', 'wiki').code \
        == -32602
    assert fault_of(rpc('rpconly'), 'search.performSearch', 'abc').code \
        == 403


def test_put_page_based_on_version(user):
    name = unique('Page')
    assert user.call('wiki.putPage', name, 'one', {'version': 0}) is True
    assert user.call('wiki.putPage', name, 'two', {'version': 1}) is True
    fault = fault_of(user, 'wiki.putPage', name, 'stale', {'version': 1})
    assert fault.code == CONFLICT_CODES[user.protocol]
    assert 'version 2' in fault.message
    assert user.call('wiki.getPage', name) == 'two'
