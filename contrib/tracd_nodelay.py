"""Run tracd with TCP_NODELAY on every accepted connection.

Stock tracd writes a response's headers and body in separate small
sends; with Nagle's algorithm on, a keep-alive client then waits for a
delayed ACK (about 40 ms on Linux) on every response. Same arguments as
`tracd`.
"""

import socket
import sys

from trac.web import standalone


class NoDelayTracHTTPServer(standalone.TracHTTPServer):

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


if __name__ == '__main__':
    standalone.TracHTTPServer = NoDelayTracHTTPServer
    sys.exit(standalone.main())
