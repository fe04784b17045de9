# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""The `wiki` namespace: a superset of WikiRPC v2 on Trac's wiki, with the
web UI's permissions, manipulators and rendering."""

from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from trac.core import TracError
from trac.resource import Resource, ResourceNotFound
from trac.web.chrome import web_context
from trac.wiki.api import WikiSystem, validate_page_name
from trac.wiki.formatter import format_to_html
from trac.wiki.model import WikiPage
from trac.wiki.web_ui import WikiModule

from tracrpc import attachments
from tracrpc.render import WikiRenderer
from tracrpc.trac_private import permission_checker
from tracrpc.api import AbstractRPCHandler, Binary, ConflictError, \
                        InvalidParams, checked_per, expose_rpc
from tracrpc.util import email_shield, recorded_author, refuse_if_invalid, \
                         to_utimestamp

__all__ = ['WikiRPC']


class WikiRPC(AbstractRPCHandler):
    """The wiki: read pages (as wiki text, HTML or page info), write and
    delete them, their attachments and links. Compatible with WikiRPC v2
    (`wiki.getRPCVersionSupported()` is 2).

    Attachments are named `"PageName/filename"`; the page is everything
    before the last `/`, so `"Sub/Page/file.txt"` is `file.txt` on
    `Sub/Page`."""

    def xmlrpc_namespace(self):
        return 'wiki'

    # Reading

    @expose_rpc('WIKI_VIEW', list, datetime, readonly=True,
                result='PageInfo[]')
    def getRecentChanges(self, req, since):
        """Return the page info (see `wiki.getPageInfo`) of every page
        changed since the given date-time (UTC), latest version each;
        as on the timeline, a page whose latest version you may not view
        is left out."""
        rows = self.env.db_query("""
            SELECT name, MAX(version) FROM wiki WHERE time >= %s
            GROUP BY name ORDER BY name""", (to_utimestamp(since),))
        shield = email_shield(self.env, req)
        return [self._page_info(WikiPage(self.env, name, version), shield)
                for name, version in rows
                if 'WIKI_VIEW' in req.perm('wiki', name, version)]

    @expose_rpc('WIKI_VIEW', int, readonly=True)
    def getRPCVersionSupported(self, req):
        """Return 2: the WikiRPC API version this namespace implements."""
        return 2

    @expose_rpc(None, str, str, readonly=True)
    @expose_rpc(None, str, str, int)
    @checked_per('wiki', 'WIKI_VIEW')
    def getPage(self, req, pagename, version=None):
        """Return the wiki text of a page (latest version, or `version`)."""
        return self._page(req, pagename, version).text

    @expose_rpc(None, str, str, int, readonly=True)
    @checked_per('wiki', 'WIKI_VIEW')
    def getPageVersion(self, req, pagename, version):
        """Return the wiki text of a version of a page."""
        return self.getPage(req, pagename, version)

    @expose_rpc(None, str, str, readonly=True)
    @expose_rpc(None, str, str, int)
    @checked_per('wiki', 'WIKI_VIEW')
    def getPageHTML(self, req, pagename, version=None):
        """Return a page rendered to HTML as Trac shows it (links are
        absolute URLs), wrapped in `<html><body>...</body></html>`."""
        page = self._page(req, pagename, version)
        return '<html><body>%s</body></html>' % self._render(req, page)

    @expose_rpc(None, str, str, int, readonly=True)
    @checked_per('wiki', 'WIKI_VIEW')
    def getPageHTMLVersion(self, req, pagename, version):
        """Return a version of a page rendered to HTML."""
        return self.getPageHTML(req, pagename, version)

    @expose_rpc('WIKI_VIEW', list, readonly=True, result='string[]')
    def getAllPages(self, req):
        """Return the names of all pages you may see."""
        may_view = permission_checker(req.perm, 'WIKI_VIEW')
        return sorted(name for name in WikiSystem(self.env).get_pages()
                      if may_view(Resource('wiki', name)))

    @expose_rpc(None, dict, str, readonly=True, result='PageInfo')
    @expose_rpc(None, dict, str, int)
    @checked_per('wiki', 'WIKI_VIEW')
    def getPageInfo(self, req, pagename, version=None):
        """Return `{name, lastModified, author, version, comment}` of a
        page (latest version, or `version`)."""
        return self._page_info(self._page(req, pagename, version),
                               email_shield(self.env, req))

    @expose_rpc(None, dict, str, int, readonly=True, result='PageInfo')
    @checked_per('wiki', 'WIKI_VIEW')
    def getPageInfoVersion(self, req, pagename, version):
        """Return the page info of a version of a page."""
        return self.getPageInfo(req, pagename, version)

    @expose_rpc(None, list, str, readonly=True, result='WikiLink[]')
    @checked_per('wiki', 'WIKI_VIEW')
    def listLinks(self, req, pagename):
        """Return the links going out of a page, as structs
        `{page, type, href}`: `type` is `local` for a wiki page (`page` is
        its name) or `external` for any other URL (`page` is the URL)."""
        page = self._page(req, pagename, None)
        return _links(self._render(req, page), req.abs_href.wiki())

    @expose_rpc('WIKI_VIEW', str, str, readonly=True, heavy=True)
    def wikiToHtml(self, req, text):
        """Render wiki text to HTML (no `<html>` wrapper), with absolute
        links. The render may take at most `[rpc] render_timeout`
        seconds, the text be at most `[rpc] render_max_input` characters
        long and the HTML at most `[rpc] render_max_output` bytes; a text
        that needs more is refused. Not callable with HTTP GET."""
        return WikiRenderer(self.env).render(req, text)

    # Writing

    @expose_rpc(None, bool, str, str, dict, readonly=False, conflicts=True)
    @checked_per('wiki', 'WIKI_CREATE', 'WIKI_MODIFY')
    def putPage(self, req, pagename, content, attributes):
        """Write a page; return true.

        `attributes` may hold `comment`, `readonly` (a boolean; needs
        WIKI_CHANGE_READONLY, part of WIKI_ADMIN), `author` (honoured
        for anonymous callers and WIKI_ADMIN only) and `version`: the
        version your text is based on (0 for a new page); if the page
        has changed since, nothing is saved and the error (code 409) says
        so. Two writers saving at the same moment get the same error.
        Creating needs
        WIKI_CREATE, editing WIKI_MODIFY, editing a read-only page
        WIKI_ADMIN. `[wiki] max_size` and the page manipulators apply as
        in the web UI. Writing the current text again makes no new
        version."""
        page = self._writable_page(req, pagename)
        based_on = attributes.get('version')
        if based_on is not None and based_on != page.version:
            raise ConflictError('Wiki page "%s" is at version %d, not %s; '
                                'nothing was saved.' % (pagename,
                                                        page.version,
                                                        based_on))
        if len(content) > WikiModule(self.env).max_size:
            raise TracError('The wiki page is too long (must be less than '
                            '%d characters)' % WikiModule(self.env).max_size)
        page.text = content
        if 'readonly' in attributes:
            readonly = int(bool(attributes['readonly']))
            if readonly != page.readonly:
                req.perm(page.resource).require('WIKI_CHANGE_READONLY')
                page.readonly = readonly
        self._validate(req, page)
        if page.text == page.old_text and page.readonly == page.old_readonly:
            return True
        author = recorded_author(req, attributes.get('author'), 'WIKI_ADMIN',
                                 page.resource)
        try:
            with self.env.db_transaction:  # the change feed's record too
                page.save(author, attributes.get('comment') or '')
        except self.env.db_exc.IntegrityError:
            raise ConflictError('Wiki page "%s" was saved by someone else at '
                                'the same time; nothing was saved. Read it '
                                'again and retry.' % pagename)
        return True

    @expose_rpc(None, bool, str, readonly=False)
    @expose_rpc(None, bool, str, int)
    @checked_per('wiki', 'WIKI_DELETE')
    def deletePage(self, req, pagename, version=None):
        """Delete a page, or only one version of it (WIKI_DELETE); its
        attachments go with the last version. Returns true."""
        page = self._page(req, pagename, version, 'WIKI_DELETE')
        with self.env.db_transaction:  # the change feed's record too
            page.delete(version)
        return True

    # Attachments

    @expose_rpc(None, list, str, readonly=True, result='string[]')
    @checked_per('wiki', 'WIKI_VIEW')
    def listAttachments(self, req, pagename):
        """Return the attachments of a page as `["Page/file", ...]`."""
        parent = self._page(req, pagename, None).resource
        return ['%s/%s' % (pagename, attachment.filename) for attachment
                in attachments.list_attachments(self.env, req, parent)]

    @expose_rpc(None, Binary, str, readonly=True)
    @checked_per('wiki', 'WIKI_VIEW')
    def getAttachment(self, req, path):
        """Return the content of attachment `"Page/file"`."""
        parent, filename = self._attachment_path(req, path)
        return attachments.get_attachment(self.env, req, parent, filename)

    @expose_rpc(None, bool, str, Binary, readonly=False)
    @checked_per('wiki', 'WIKI_MODIFY')
    def putAttachment(self, req, path, data):
        """Store `data` as attachment `"Page/file"` (replacing one of that
        name); return true. See `wiki.putAttachmentEx`."""
        parent, filename = self._attachment_path(req, path)
        attachments.put_attachment(self.env, req, parent, filename, '', data,
                                   True)
        return True

    @expose_rpc(None, str, str, str, str, Binary, readonly=False)
    @expose_rpc(None, str, str, str, str, Binary, bool)
    @checked_per('wiki', 'WIKI_MODIFY')
    def putAttachmentEx(self, req, pagename, filename, description, data,
                        replace=True):
        parent = self._page(req, pagename, None).resource
        return attachments.put_attachment(self.env, req, parent, filename,
                                          description, data, replace)
    putAttachmentEx.__doc__ = attachments.PUT_HELP.format(noun='page')

    @expose_rpc(None, bool, str, readonly=False)
    @checked_per('wiki', 'WIKI_DELETE')
    def deleteAttachment(self, req, path):
        """Delete attachment `"Page/file"` (ATTACHMENT_DELETE). Returns
        true."""
        parent, filename = self._attachment_path(req, path)
        attachments.delete_attachment(self.env, req, parent, filename)
        return True

    # Internal methods

    def _page(self, req, pagename, version, action='WIKI_VIEW'):
        """The existing page (at `version`), after checking `action`."""
        _check_page_name(pagename)
        if version is not None and version < 1:
            raise InvalidParams('versions start at 1')
        page = WikiPage(self.env, pagename, version)
        req.perm(page.resource).require(action)
        if not page.exists:
            if version is None:
                raise ResourceNotFound('Wiki page "%s" does not exist'
                                       % pagename)
            raise ResourceNotFound('Wiki page "%s" has no version %d'
                                   % (pagename, version))
        return page

    def _writable_page(self, req, pagename):
        _check_page_name(pagename)
        page = WikiPage(self.env, pagename)
        req.perm(page.resource).require('WIKI_MODIFY' if page.exists
                                        else 'WIKI_CREATE')
        return page

    def _validate(self, req, page):
        refuse_if_invalid('wiki page', (
            problem for manipulator in WikiModule(self.env).page_manipulators
            for problem in manipulator.validate_wiki_page(req, page)))

    def _render(self, req, page):
        """The page's HTML, after the manipulators' `prepare_wiki_page`,
        as the web UI renders it."""
        fields = {'text': page.text}
        for manipulator in WikiModule(self.env).page_manipulators:
            manipulator.prepare_wiki_page(req, page, fields)
        context = web_context(req, page.resource, absurls=True)
        return str(format_to_html(self.env, context, fields.get('text', '')))

    def _page_info(self, page, shield):
        return {'name': page.name, 'lastModified': page.time,
                'author': shield(page.author or ''), 'version': page.version,
                'comment': page.comment or ''}

    def _attachment_path(self, req, path):
        """`"Page/file"` -> (the page's resource, `"file"`)."""
        pagename, sep, filename = path.rpartition('/')
        if not sep or not pagename or not filename:
            raise InvalidParams('attachment paths look like '
                                '"PageName/filename", not "%s"' % path)
        return self._page(req, pagename, None).resource, filename


def _check_page_name(pagename):
    if not validate_page_name(pagename):
        raise InvalidParams('"%s" is not a valid wiki page name'
                            % pagename)


class _LinkCollector(HTMLParser):
    """Collects the targets of the links in rendered wiki HTML."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'a' and attrs.get('href'):
            self.links.append((attrs['href'], attrs.get('class') or ''))


def _links(html, wiki_base):
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    links, seen = [], set()
    for href, css_class in collector.links:
        if 'wiki' in css_class.split() and href.startswith(wiki_base + '/'):
            path = urlsplit(href).path[len(urlsplit(wiki_base).path) + 1:]
            link = {'page': unquote(path), 'type': 'local', 'href': href}
        elif 'ext-link' in css_class.split():
            link = {'page': href, 'type': 'external', 'href': href}
        else:
            continue
        if link['page'] not in seen:
            seen.add(link['page'])
            links.append(link)
    return links
