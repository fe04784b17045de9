"""Fixtures: a real Trac 1.6 environment served by a real tracd.

The session-scoped `server` creates the environment in a temporary
directory, drops the test plugins (tests/plugins/*.py) into its plugins
directory and starts tracd with Basic auth on a free port. Tests talk to
it over HTTP with `xmlrpc.client` and JSON, through `clients.py`.
"""

import email
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'contrib'))
sys.path.insert(0, HERE)

import tracenv  # noqa: E402
from clients import PROTOCOLS, Server  # noqa: E402
from databases import BACKENDS, Database  # noqa: E402

#: seconds tracd waits for a slow client (the tests send incomplete
#: bodies on purpose)
SOCKET_TIMEOUT = 5

#: password = user name for every test user
TEST_USERS = ['admin', 'user', 'rpconly', 'norpc', 'viewer']

#: Trac's defaults for anonymous and authenticated are removed, so each
#: user holds exactly what is granted here.
DEVELOPER = ['TICKET_VIEW', 'TICKET_CREATE', 'TICKET_MODIFY', 'WIKI_VIEW',
             'WIKI_CREATE', 'WIKI_MODIFY', 'SEARCH_VIEW', 'MILESTONE_VIEW',
             'ROADMAP_VIEW', 'TIMELINE_VIEW', 'REPORT_VIEW']
TEST_PERMISSIONS = (
    [('admin', 'TRAC_ADMIN'), ('user', 'XML_RPC'), ('user', 'developer'),
     ('rpconly', 'XML_RPC'), ('norpc', 'developer'),
     ('viewer', 'XML_RPC'), ('viewer', 'TICKET_VIEW'),
     ('viewer', 'WIKI_VIEW'), ('viewer', 'SEARCH_VIEW')] +
    [('developer', action) for action in DEVELOPER])


def build_environment(path, dburi='sqlite:db/trac.db', config=()):
    env = tracenv.create_environment(path, dburi, config, TEST_PERMISSIONS)
    with env.db_transaction as db:
        db("DELETE FROM permission WHERE username IN "
           "('anonymous', 'authenticated')")
    for name in os.listdir(os.path.join(HERE, 'plugins')):
        if name.endswith('.py'):
            shutil.copy(os.path.join(HERE, 'plugins', name),
                        os.path.join(path, 'plugins'))
    env.shutdown()
    return path


class MailSink(object):
    """An SMTP server on a free port keeping every message it gets."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))
        return '250 OK'


@pytest.fixture(scope='session')
def mail_sink():
    from aiosmtpd.controller import Controller
    sink = MailSink()
    controller = Controller(sink, hostname='127.0.0.1',
                            port=tracenv.free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


def environment_config(mail_port):
    """trac.ini settings of the test environment."""
    return [('notification', 'smtp_enabled', 'true'),
            ('notification', 'smtp_server', '127.0.0.1'),
            ('notification', 'smtp_port', str(mail_port)),
            ('notification', 'smtp_from', 'trac@example.org'),
            ('notification', 'smtp_always_cc', 'watcher@example.org'),
            ('attachment', 'max_size', '100000'),
            ('ticket', 'max_summary_size', '200'),
            ('ticket', 'max_comment_size', '1000'),
            ('ticket-custom', 'estimate', 'text'),
            ('ticket-custom', 'level', 'select'),
            ('ticket-custom', 'level.options', 'low|medium|high'),
            ('ticket-custom', 'level.value', 'low'),
            ('ticket-custom', 'due_on', 'time'),
            ('trac', 'permission_policies',
             'SecretTicketPolicy, DefaultWikiPolicy, DefaultTicketPolicy, '
             'DefaultPermissionPolicy, LegacyAttachmentPolicy')]


@pytest.fixture(scope='session', params=BACKENDS)
def database(request):
    """Each test using the server runs once per database backend."""
    database = Database(request.param)
    yield database
    database.drop()


@pytest.fixture(scope='session')
def server(tmp_path_factory, mail_sink, database):
    """A running tracd serving a fresh environment."""
    root = tmp_path_factory.mktemp('trac-' + database.backend)
    env_path = build_environment(str(root / 'env'), database.uri,
                                 environment_config(mail_sink.port))
    htpasswd = str(root / 'htpasswd')
    tracenv.write_htpasswd(htpasswd, {name: name for name in TEST_USERS})
    port = tracenv.free_port()
    with open(str(root / 'tracd.log'), 'w') as log:
        process = tracenv.start_tracd(env_path, htpasswd, port, log,
                                      socket_timeout=SOCKET_TIMEOUT)
    yield Server('http://127.0.0.1:%d' % port, env_path)
    process.terminate()
    process.wait(30)


@pytest.fixture(scope='session')
def noauth_server(server, tmp_path_factory):
    """A second tracd on the same environment that does no HTTP
    authentication, so requests to /login/* reach Trac as anonymous (as
    behind a front end that is misconfigured)."""
    port = tracenv.free_port()
    log_path = str(tmp_path_factory.mktemp('noauth') / 'tracd.log')
    with open(log_path, 'w') as log:
        process = tracenv.start_tracd(server.env_path, None, port, log)
    yield Server('http://127.0.0.1:%d' % port, server.env_path)
    process.terminate()
    process.wait(30)


@pytest.fixture(params=PROTOCOLS)
def protocol(request):
    """Each test using it runs once per protocol."""
    return request.param


@pytest.fixture
def rpc(server, protocol):
    """A factory of clients: `rpc('user')`, `rpc(None, '/rpc')`."""
    return lambda user='user', path='/login/rpc': \
        server.client(protocol, user, path)
