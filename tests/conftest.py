"""Fixtures: real Trac 1.6 environments, served in-process and by tracd.

The session-scoped `server` creates the environment in a temporary
directory and drops the test plugins (tests/plugins/*.py) into its
plugins directory; tests call Trac's own WSGI application in-process
(through WebTest, behind Trac's Basic auth middleware) with
`xmlrpc.client` and JSON, through `clients.py`. `http_server` serves
another such environment with a real tracd on a free port, for the
tests of the HTTP layer (raw sockets, third-party clients, browsers).
"""

import contextlib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'contrib'))
sys.path.insert(0, HERE)

import tracenv  # noqa: E402
from environment import MailSink, prepare  # noqa: E402
from clients import APPLICATIONS, PROTOCOLS, Server  # noqa: E402
from databases import BACKENDS, UNCONFIGURED, Database, \
    unconfigured_reason  # noqa: E402

#: seconds tracd waits for a slow client (the tests send incomplete
#: bodies on purpose; `--socket-timeout` of tracrpc-tracd)
SOCKET_TIMEOUT = 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test (`item.report_call`), for
    fixtures that act on a failure (the browser's screenshot)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, 'report_' + report.when, report)


def pytest_terminal_summary(terminalreporter):
    """One line per database backend that did not run for lack of a
    DSN (instead of one per test)."""
    for backend in UNCONFIGURED:
        terminalreporter.write_line('SKIPPED: ' + unconfigured_reason(backend))


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


@pytest.fixture(scope='session', params=BACKENDS)
def database(request):
    """Each test using the server runs once per database backend."""
    database = Database(request.param)
    yield database
    database.drop()


@contextlib.contextmanager
def serving(root, dburi, mail_port, config=(), permissions=(),
            basic_auth=True, plugins=()):
    """A tracd serving a fresh test environment under `root` (with the
    extra trac.ini settings `config`, grants `permissions` and plugin
    files `plugins`), as a `Server`; with `basic_auth` tracd itself
    authenticates `/login/*` against the test users' htpasswd file
    (`Server.htpasswd`)."""
    env_path, htpasswd = prepare(str(root), dburi, mail_port, config,
                                 permissions, plugins)
    port = tracenv.free_port()
    with open(str(root / 'tracd.log'), 'w') as log:
        process = tracenv.start_tracd(env_path,
                                      htpasswd if basic_auth else None,
                                      port, log,
                                      socket_timeout=SOCKET_TIMEOUT)
    try:
        yield Server('http://127.0.0.1:%d' % port, env_path)
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def serving_in_process(root, dburi, mail_port, config=(), permissions=()):
    """Like `serving`, with Trac's WSGI application called in-process:
    requests to the returned `Server`'s URL never touch a socket."""
    from inprocess import InProcessApp
    env_path, htpasswd = prepare(str(root), dburi, mail_port, config,
                                 permissions)
    url = 'http://127.0.0.1:%d' % tracenv.free_port()  # a name only
    APPLICATIONS[url] = InProcessApp(env_path, htpasswd, url)
    try:
        yield Server(url, env_path)
    finally:
        del APPLICATIONS[url]


@pytest.fixture(scope='session')
def sqlite_serving(tmp_path_factory, mail_sink):
    """A factory of servers of their own, on sqlite, for modules that
    need other settings: `with sqlite_serving(name, config,
    permissions) as server:` (see `serving`)."""
    def serve(name, config=(), permissions=(), **options):
        root = tmp_path_factory.mktemp('trac-' + name)
        return serving(root, 'sqlite:db/trac.db', mail_sink.port, config,
                       permissions, **options)
    return serve


@pytest.fixture(scope='session')
def server(tmp_path_factory, mail_sink, database):
    """A fresh environment served in-process."""
    root = tmp_path_factory.mktemp('trac-' + database.backend)
    with serving_in_process(root, database.uri, mail_sink.port) as server:
        yield server


@pytest.fixture(scope='session')
def http_server(tmp_path_factory, mail_sink, database):
    """A fresh environment (in a database of its own, on the same
    backend) served by a real tracd over HTTP."""
    own = Database(database.backend)
    root = tmp_path_factory.mktemp('trac-http-' + database.backend)
    try:
        with serving(root, own.uri, mail_sink.port) as server:
            yield server
    finally:
        own.drop()


@pytest.fixture(scope='session')
def noauth_server(http_server, tmp_path_factory):
    """A second tracd on the same environment that does no HTTP
    authentication, so requests to /login/* reach Trac as anonymous (as
    behind a front end that is misconfigured)."""
    port = tracenv.free_port()
    log_path = str(tmp_path_factory.mktemp('noauth') / 'tracd.log')
    with open(log_path, 'w') as log:
        process = tracenv.start_tracd(http_server.env_path, None, port, log)
    yield Server('http://127.0.0.1:%d' % port, http_server.env_path)
    process.terminate()
    process.wait(30)


@pytest.fixture(params=PROTOCOLS)
def protocol(request):
    """Each test using it runs once per protocol."""
    return request.param


@pytest.fixture
def user(rpc):
    """A client of `user` (developer permissions) in each protocol."""
    return rpc('user')


@pytest.fixture
def admin(rpc):
    """A client of `admin` (TRAC_ADMIN) in each protocol."""
    return rpc('admin')


@pytest.fixture
def rpc(server, protocol):
    """A factory of clients: `rpc('user')`, `rpc(None, '/rpc')`."""
    return lambda user='user', path='/login/rpc': \
        server.client(protocol, user, path)
