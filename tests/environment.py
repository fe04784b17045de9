"""The test environment: users, permissions, plugins and trac.ini."""

import email
import os
import shutil

import tracenv

HERE = os.path.dirname(os.path.abspath(__file__))

#: password = user name for every test user
TEST_USERS = ['admin', 'user', 'rpconly', 'norpc', 'viewer', 'granter']

#: Trac's defaults for anonymous and authenticated are removed, so each
#: user holds exactly what is granted here.
DEVELOPER = ['TICKET_VIEW', 'TICKET_CREATE', 'TICKET_MODIFY', 'WIKI_VIEW',
             'WIKI_CREATE', 'WIKI_MODIFY', 'SEARCH_VIEW', 'MILESTONE_VIEW',
             'ROADMAP_VIEW', 'TIMELINE_VIEW', 'REPORT_VIEW']
#: the permission sets of the permission matrix (tests/test_permissions.py):
#: each gets a user holding XML_RPC and exactly that set
MATRIX_GRANTS = [
    [], ['TICKET_VIEW'], ['TICKET_CREATE'], ['TICKET_ADMIN'],
    ['TICKET_VIEW', 'TICKET_MODIFY'], ['TICKET_VIEW', 'TICKET_APPEND'],
    ['TICKET_VIEW', 'TICKET_EDIT_COMMENT'],
    ['TICKET_VIEW', 'TICKET_ADMIN'], ['TICKET_VIEW', 'MILESTONE_VIEW'],
    ['TICKET_ADMIN', 'MILESTONE_VIEW'], ['WIKI_VIEW'], ['WIKI_CREATE'],
    ['WIKI_DELETE'], ['WIKI_VIEW', 'WIKI_MODIFY'],
    ['WIKI_VIEW', 'WIKI_DELETE'], ['SEARCH_VIEW'], ['TIMELINE_VIEW'],
    ['PERMISSION_ADMIN'], ['PERMISSION_GRANT'], ['PERMISSION_REVOKE'],
    ['ROADMAP_VIEW', 'MILESTONE_VIEW'], ['REPORT_VIEW'], ['REPORT_CREATE'],
    ['REPORT_MODIFY'], ['REPORT_DELETE'], ['TRAC_ADMIN']]


def matrix_user(actions):
    """The user holding XML_RPC plus exactly `actions`."""
    return 'matrix' + ''.join('+' + action.lower()
                              for action in sorted(actions))


TEST_USERS += [matrix_user(actions) for actions in MATRIX_GRANTS]

TEST_PERMISSIONS = (
    [('admin', 'TRAC_ADMIN'), ('user', 'XML_RPC'), ('user', 'developer'),
     ('rpconly', 'XML_RPC'), ('norpc', 'developer'),
     ('viewer', 'XML_RPC'), ('viewer', 'TICKET_VIEW'),
     ('viewer', 'WIKI_VIEW'), ('viewer', 'SEARCH_VIEW'),
     ('granter', 'XML_RPC'), ('granter', 'PERMISSION_GRANT'),
     ('granter', 'WIKI_VIEW')] +
    [('developer', action) for action in DEVELOPER] +
    [(matrix_user(actions), action) for actions in MATRIX_GRANTS
     for action in ['XML_RPC'] + actions])


def build_environment(path, dburi='sqlite:db/trac.db', config=(),
                      permissions=(), plugins=()):
    """The test environment: `TEST_PERMISSIONS` and the extra
    `(subject, action)` grants `permissions`, nothing else; the test
    plugins (tests/plugins) and the files `plugins` in its plugins
    directory."""
    env = tracenv.create_environment(path, dburi, config, TEST_PERMISSIONS)
    with env.db_transaction as db:
        db("DELETE FROM permission WHERE username IN "
           "('anonymous', 'authenticated')")
        db.executemany("INSERT INTO permission VALUES (%s, %s)",
                       permissions)
    plugins = [os.path.join(HERE, 'plugins', name) for name
               in os.listdir(os.path.join(HERE, 'plugins'))
               if name.endswith('.py')] + list(plugins)
    for plugin in plugins:
        shutil.copy(plugin, os.path.join(path, 'plugins'))
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
            # tests try wrong tokens on purpose (throttling: test_tokens)
            ('rpc', 'auth_failures', '100000'),
            ('trac', 'permission_policies',
             'SecretTicketPolicy, FrozenCommentPolicy, DefaultWikiPolicy, '
             'DefaultTicketPolicy, '
             'DefaultPermissionPolicy, LegacyAttachmentPolicy')]


def prepare(root, dburi, mail_port, config=(), permissions=(), plugins=()):
    """Build the test environment and its htpasswd file under `root`,
    with the extra trac.ini settings `config`, grants `permissions` and
    plugin files `plugins`; return their paths."""
    env_path = build_environment(os.path.join(root, 'env'), dburi,
                                 environment_config(mail_port) +
                                 list(config), permissions, plugins)
    htpasswd = os.path.join(root, 'htpasswd')
    tracenv.write_htpasswd(htpasswd, {name: name for name in TEST_USERS})
    return env_path, htpasswd
