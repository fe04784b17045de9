# -*- coding: utf-8 -*-
#
# Copyright (C) 2026 The TracXMLRPC developers
# All rights reserved.
#
# This software is licensed as described in the file COPYING, which
# you should have received as part of this distribution.

"""tracd with TCP_NODELAY, responses sent whole, and a timeout on every
accepted connection: `tracrpc-tracd` (or `python -m tracrpc.tracd`)
takes tracd's arguments.

Stock tracd writes a response's headers and body in separate small
sends; with Nagle's algorithm on, a keep-alive client then waits for a
delayed ACK (about 40 ms on Linux) on every response. Here a response
up to 64 KiB leaves in one send (one TCP segment instead of two: less
kernel time per call) as soon as it is complete, a larger one in 64 KiB
pieces. And a client that announces a body it never sends would hold a
thread forever; the socket timeout (`--socket-timeout SECONDS`, default
60) ends that.

It also makes glibc return large freed blocks to the system at once
(see `limit_mmap_threshold`).

Usage: the arguments of `tracd`, plus `--socket-timeout`; `--version`
names both this plugin's and Trac's version.
"""

import ctypes
import ctypes.util
import socket
import sys

from trac.web import standalone
from trac.web.wsgi import WSGIServerGateway, \
    is_client_disconnect_exception


class _WholeResponses(object):
    """Request handler mixin: the response is written to a buffer, sent
    when it is complete (`WholeResponseGateway`), when the buffer is
    full, or at the latest when the request is done; so the headers
    travel with the body."""

    wbufsize = 64 * 1024

    def send_buffered(self):
        """Send what the buffer holds now."""
        if self.wfile is None or self.wfile.closed:
            return
        try:
            self.wfile.flush()
        except OSError as e:
            if not is_client_disconnect_exception(e):
                raise
            self.close_connection = True

    def handle_expect_100(self):
        # The interim answer goes out at once: the client waits for it
        # before it sends the body.
        answered = super().handle_expect_100()
        self.send_buffered()
        return answered

    def handle_one_request(self):
        super().handle_one_request()
        self.send_buffered()


class WholeResponseHandler(_WholeResponses,
                           standalone.TracHTTPRequestHandler):
    pass


class WholeResponseHTTP11Handler(_WholeResponses,
                                 standalone.TracHTTP11RequestHandler):
    pass


class WholeResponseGateway(WSGIServerGateway):
    """Sends a response with a Content-Length as soon as its last byte
    is written, not when the application returns: Trac collects garbage
    after each request (all of the heap with `[rpc] gc_freeze` off)."""

    _unsent = None  # the bytes of the body still to come

    def _write(self, data):
        starting = not self.headers_sent
        super()._write(data)
        if starting and self.headers_sent:
            self._unsent = _content_length(self.headers_sent[1])
        if self._unsent is not None:
            self._unsent -= len(data)
            if self._unsent <= 0:
                self._unsent = None
                self.handler.send_buffered()


def _content_length(headers):
    for name, value in headers:
        if name.lower() == 'content-length':
            return int(value) if str(value).isdigit() else None
    return None


_WHOLE_RESPONSE_HANDLERS = {
    standalone.TracHTTPRequestHandler: WholeResponseHandler,
    standalone.TracHTTP11RequestHandler: WholeResponseHTTP11Handler,
}


class NoDelayTracHTTPServer(standalone.TracHTTPServer):

    socket_timeout = 60.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.RequestHandlerClass = _WHOLE_RESPONSE_HANDLERS.get(
            self.RequestHandlerClass, self.RequestHandlerClass)
        self.gateway = WholeResponseGateway

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.settimeout(self.socket_timeout)
        return connection, address


def limit_mmap_threshold(size=1 << 20):
    """Serve blocks of `size` bytes and more from mmap, always.

    glibc raises its mmap threshold each time a large block is freed, so
    after one big request (an attachment) later big buffers come from the
    heap and its per-thread arenas, and the process keeps that memory.
    Fixing the threshold (as `MALLOC_MMAP_THRESHOLD_` does) keeps the
    peak RSS of a 10 MiB attachment round trip near the live data.
    """
    name = ctypes.util.find_library('c')
    mallopt = getattr(ctypes.CDLL(name), 'mallopt', None) if name else None
    if mallopt and sys.platform.startswith('linux'):
        m_mmap_threshold = -3
        mallopt(m_mmap_threshold, size)


#: what `--help` adds to tracd's own help
HELP = """tracrpc-tracd: tracd with TCP_NODELAY, each response in one send
when it is complete, and a socket timeout.

  --socket-timeout SECONDS  close a connection that sends nothing for
                            that long (default 60)

Everything else is tracd's:
"""


def main(argv=None):
    """Run tracd with `argv` (default: the command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if '--version' in argv:
        from importlib import metadata
        print('tracrpc-tracd (TracXMLRPC %s), Trac %s'
              % (metadata.version('TracXMLRPC'), metadata.version('Trac')))
        return 0
    if '-h' in argv or '--help' in argv:
        print(HELP, flush=True)
    if '--socket-timeout' in argv:
        index = argv.index('--socket-timeout')
        NoDelayTracHTTPServer.socket_timeout = float(argv[index + 1])
        del argv[index:index + 2]
    limit_mmap_threshold()
    standalone.TracHTTPServer = NoDelayTracHTTPServer
    sys.argv = [sys.argv[0]] + argv
    return standalone.main()


if __name__ == '__main__':
    sys.exit(main())
