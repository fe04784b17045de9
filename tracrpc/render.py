# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""Rendering wiki text that callers send (`wiki.wikiToHtml`) without
letting it stall the server.

Trac's wiki formatter is quadratic on some markup (a long line of `[`,
many `[[PageOutline]]`), inside single regular-expression calls that
hold the GIL: a render in the server's own process stops every other
request until it ends, and a watchdog thread cannot interrupt it. So the
text is rendered in a child process (forked: it starts at once, with
the request and the environment as they are), which is killed when it
runs over `[rpc] render_timeout`; the server's thread waits for it
without holding the GIL.
"""

import os
import select
import signal
import time

from trac.config import IntOption
from trac.core import Component
from trac.db.api import DatabaseManager
from trac.util.text import exception_to_unicode
from trac.web.chrome import web_context
from trac.wiki.formatter import format_to_html

from tracrpc.api import InvalidParams, ServiceException

__all__ = ['WikiRenderer']

_OK, _FAILED = b'O', b'E'


class WikiRenderer(Component):
    """Renders wiki text to HTML with bounded time, input and output."""

    render_timeout = IntOption('rpc', 'render_timeout', 5,
        """Seconds a render of wiki text sent by a caller
        (`wiki.wikiToHtml`) may take; a render that runs over is stopped
        and the call fails. It runs in a process of its own, so that it
        never stalls other requests.""")

    render_max_input = IntOption('rpc', 'render_max_input', 256 * 1024,
        """Longest wiki text, in characters, `wiki.wikiToHtml` renders.""")

    render_max_output = IntOption('rpc', 'render_max_output',
                                  4 * 1024 * 1024,
        """Largest HTML, in bytes, `wiki.wikiToHtml` returns.""")

    def render(self, req, text):
        """`text` as HTML (absolute links), as the user of `req` sees it.

        :raise InvalidParams: for a text longer than `render_max_input`
        :raise ServiceException: for a render that fails, runs over
                                 `render_timeout` or gives more than
                                 `render_max_output` bytes
        """
        if len(text) > self.render_max_input:
            raise InvalidParams('the text is %d characters long; at most %d '
                                'are rendered ([rpc] render_max_input)'
                                % (len(text), self.render_max_input))
        if not hasattr(os, 'fork'):  # no processes to spare: render here
            html = self._html(req, text)
            if isinstance(html, Exception):
                raise html
            return html
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            self._child(req, text, writer)
        os.close(writer)
        try:
            answer = self._collect(reader, pid)
        finally:
            os.close(reader)
        if answer[:1] != _OK:
            raise ServiceException(answer[1:].decode('utf-8', 'replace'))
        return answer[1:].decode('utf-8')

    # Internal methods

    def _child(self, req, text, writer):
        """The forked child: render, write the outcome, exit at once (no
        cleanup: the parent's connections and files stay untouched)."""
        try:
            # the parent's pooled connections are the parent's
            DatabaseManager(self.env)._cnx_pool = None
            answer = _outcome(self._html(req, text))
            if len(answer) > self.render_max_output + 1:
                answer = _FAILED + (
                    'The HTML would be %d bytes; at most %d are returned '
                    '([rpc] render_max_output).'
                    % (len(answer) - 1, self.render_max_output)).encode()
            view = memoryview(answer)
            while view:
                view = view[os.write(writer, view):]
        finally:
            os._exit(0)

    def _html(self, req, text):
        """The HTML, or the exception rendering failed with."""
        try:
            context = web_context(req, absurls=True)
            return str(format_to_html(self.env, context, text))
        except RecursionError:
            return ServiceException('The text nests too deeply to render.')
        except Exception as e:
            return ServiceException('Rendering failed: %s'
                                    % exception_to_unicode(e))

    def _collect(self, reader, pid):
        """What the child wrote, once it exited; kill it when it runs
        over the timeout."""
        deadline = time.monotonic() + self.render_timeout
        chunks = []
        while True:
            left = deadline - time.monotonic()
            ready = select.select([reader], [], [], max(left, 0))[0]
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                self.log.warning("wiki render stopped after %d s",
                                 self.render_timeout)
                return _FAILED + (
                    'Rendering took longer than %d seconds and was stopped '
                    '([rpc] render_timeout): the text is too complex.'
                    % self.render_timeout).encode()
            chunk = os.read(reader, 65536)
            if not chunk:
                os.waitpid(pid, 0)
                return b''.join(chunks) or _FAILED + b'Rendering failed.'
            chunks.append(chunk)


def _outcome(html):
    """What the child sends: `O` and the HTML, or `E` and the error."""
    if isinstance(html, Exception):
        return _FAILED + str(html).encode('utf-8')
    return _OK + html.encode('utf-8')
