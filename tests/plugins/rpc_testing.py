"""Test plugin dropped into the test environment's plugins directory:
a method provider for type and error tests, a provider written against
the bare `IXMLRPCHandler` interface, and a third protocol."""

import socket
import xmlrpc.client
from datetime import datetime

from trac.core import Component, TracError, implements
from trac.resource import ResourceNotFound
from trac.util.datefmt import utc
from trac.web.api import RequestDone

from tracrpc.api import AbstractRPCHandler, Binary, IRPCProtocol, \
                        IXMLRPCHandler, ProtocolException, RPCError, \
                        batched_by, error_code_and_message, expose_rpc
from tracrpc.util import send_body


class TestingRPC(AbstractRPCHandler):
    """Methods for the test suite."""

    def xmlrpc_namespace(self):
        return 'testing'

    @expose_rpc('XML_RPC', list, list)
    def echo(self, req, values):
        """Return `values` as received."""
        return values

    @expose_rpc('XML_RPC', str, str)
    def reprOf(self, req, text):
        """Return the Python repr of `text`."""
        return repr(text)

    @expose_rpc('XML_RPC', dict, dict)
    def typesOf(self, req, values):
        """Return the Python type name of each value of the struct."""
        return {key: type(value).__name__ for key, value in values.items()}

    @expose_rpc('XML_RPC', str, datetime)
    def dateToText(self, req, value):
        """Return the received date-time as ISO text (with offset)."""
        return value.isoformat()

    @expose_rpc('XML_RPC', int, Binary)
    def binaryLength(self, req, data):
        """Return the length of the received binary data."""
        return len(data.data)

    @expose_rpc('XML_RPC', dict)
    def sample(self, req):
        """Return one value of every type."""
        return {'int': 42, 'bool': True, 'str': 'text \u00e9', 'float': 1.5,
                'datetime': datetime(2009, 6, 19, 16, 46, 0, 123456, utc),
                'binary': Binary(b'\x00\x01\xff'), 'list': [1, 'a'],
                'dict': {'a': 1}, 'none': None, 'tuple': (1, 2)}

    @expose_rpc('XML_RPC', str, str)
    @expose_rpc('XML_RPC', str, str, int)
    def optional(self, req, text, count=1):
        """Return `text` repeated `count` times."""
        return text * count

    @expose_rpc('XML_RPC', str)
    def illegalChars(self, req):
        """Return a string with characters illegal in XML."""
        return 'a\x00b\x0bc\x1fd'

    @expose_rpc('XML_RPC', None)
    def nothing(self, req):
        """Return nothing."""

    @expose_rpc('XML_RPC', list, int)
    def generate(self, req, count):
        """Return a generator of `count` numbers."""
        return (number for number in range(count))

    @expose_rpc('XML_RPC', str)
    def whoami(self, req):
        """Return the caller's user name."""
        return req.authname

    @expose_rpc('TRAC_ADMIN', str)
    def adminOnly(self, req):
        """Only for TRAC_ADMIN."""
        return 'secret'

    @expose_rpc('XML_RPC', str, str)
    def fail(self, req, kind):
        """Raise the error named by `kind`."""
        if kind == 'trac':
            raise TracError('Something the user can fix')
        if kind == 'coded':
            raise RPCError('Coded failure', code=42)
        if kind == 'notfound':
            raise ResourceNotFound('No such thing')
        if kind == 'os':
            open('/nonexistent/secret/path/file.txt')
        if kind == 'value':
            raise ValueError('bad value')
        raise KeyError(kind)

    @expose_rpc('XML_RPC', list, int)
    @batched_by('_double_many')
    def double(self, req, number):
        """Return `[2 * number, how]`: `how` tells whether the call ran
        alone or in a batch of how many calls. Negative numbers fail;
        a batch holding 13 fails as a whole, one holding 14 answers
        one call short."""
        return self._scale(number, 2)

    @expose_rpc('XML_RPC', list, int)
    @batched_by('_triple_many')
    def triple(self, req, number):
        """`testing.double`, times three."""
        return self._scale(number, 3)

    @expose_rpc('XML_RPC', str, int)
    def answerThenWait(self, req, port):
        """Send the complete answer "sent" (XML-RPC), then keep the
        request open until the test's listener on `port` closes the
        connection: what arrives before tells that a finished response
        is not held back while the server does its post-request work."""
        body = xmlrpc.client.dumps(('sent',), methodresponse=True).encode()
        req.send_response(200)
        req.send_header('Content-Type', 'text/xml')
        req.send_header('Content-Length', len(body))
        req.end_headers()
        req.write(body)
        with socket.create_connection(('127.0.0.1', port)) as waiting:
            while waiting.recv(64):
                pass
        raise RequestDone

    def _double_many(self, req, calls):
        return self._scale_many(calls, 2)

    def _triple_many(self, req, calls):
        return self._scale_many(calls, 3)

    def _scale(self, number, factor):
        if number < 0:
            raise TracError('Negative number')
        return [factor * number, 'alone']

    def _scale_many(self, calls, factor):
        numbers = [call['number'] for call in calls]
        if 13 in numbers:
            raise ValueError('Unlucky batch')
        how = 'batch of %d' % len(numbers)
        answers = [TracError('Negative number') if number < 0
                   else (factor * number, how) for number in numbers]
        return answers[1:] if 14 in numbers else answers


class BareProvider(Component):
    """A provider using the plain interface and custom method names."""

    implements(IXMLRPCHandler)

    def xmlrpc_namespace(self):
        return 'bare'

    def xmlrpc_methods(self):
        yield ('XML_RPC', ((int, int, int),), self.add)
        yield ('XML_RPC', ((str,),), self.hello, 'sayHello')
        # a method that checks per resource without saying what
        yield (None, ((str,),), self.hello, 'greet')

    def add(self, req, a, b):
        """Add two numbers."""
        return a + b

    def hello(self, req):
        """Say hello."""
        return 'hello'


class LinesProtocol(Component):
    """A toy protocol: the body is the method name and one integer
    argument per line; the answer is `OK <result>` or `ERR <code>`."""

    implements(IRPCProtocol)

    def rpc_info(self):
        return 'Lines', self.__doc__

    def rpc_match(self):
        yield 'rpc', 'application/x-lines'
        yield 'linesrpc', 'application/x-lines'

    def parse_rpc_request(self, req, content_type):
        lines = req.read().decode('utf-8').split('\n')
        try:
            return {'method': lines[0], 'params': [int(x) for x in lines[1:]]}
        except ValueError:
            raise ProtocolException('Parse error')

    def send_rpc_result(self, req, result):
        send_body(req, ('OK %r' % (result,)).encode(), 'application/x-lines')

    def send_rpc_error(self, req, e):
        code, message = error_code_and_message(e, 1)
        send_body(req, ('ERR %d' % code).encode(), 'application/x-lines')


class FailingProtocol(Component):
    """A protocol whose error handling itself fails, as a third-party
    protocol's may: the client must still get a short answer."""

    implements(IRPCProtocol)

    def rpc_info(self):
        return 'Failing', self.__doc__

    def rpc_match(self):
        yield 'rpc', 'application/x-failing'

    def parse_rpc_request(self, req, content_type):
        raise ProtocolException('Parse error')

    def send_rpc_result(self, req, result):
        raise RuntimeError('never called')

    def send_rpc_error(self, req, e):
        raise RuntimeError('the error handler fails too')
