"""Run tracd with TCP_NODELAY and a timeout on every accepted connection.

Stock tracd writes a response's headers and body in separate small
sends; with Nagle's algorithm on, a keep-alive client then waits for a
delayed ACK (about 40 ms on Linux) on every response. And a client that
announces a body it never sends would hold a thread forever; the socket
timeout (`--socket-timeout SECONDS`, default 60) ends that.

Usage: the arguments of `tracd`, plus `--socket-timeout`.
"""

import socket
import sys

from trac.web import standalone


class NoDelayTracHTTPServer(standalone.TracHTTPServer):

    socket_timeout = 60.0

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.settimeout(self.socket_timeout)
        return connection, address


def main(argv):
    if '--socket-timeout' in argv:
        index = argv.index('--socket-timeout')
        NoDelayTracHTTPServer.socket_timeout = float(argv[index + 1])
        del argv[index:index + 2]
    standalone.TracHTTPServer = NoDelayTracHTTPServer
    sys.argv = [sys.argv[0]] + argv
    return standalone.main()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
