"""Replacing an installed TracXMLRPC 1.2.0.dev0 (the trunk) with this
plugin in one environment, following docs/migration.rst: the same calls
are served afterwards, on the data made before.

The trunk is never part of this repository: the test installs it from a
git directory of the trac-hacks mirror named by TRACRPC_TRUNK_GIT (CI
sets it where the machine has one) and is skipped, saying so, without.
"""

import os
import subprocess
import tarfile
import venv
import xmlrpc.client

import pytest

import tracenv

from tracrpc.api import API_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUNK_GIT = os.environ.get('TRACRPC_TRUNK_GIT')

pytestmark = pytest.mark.skipif(
    not TRUNK_GIT, reason='migration from the trunk skipped: set '
    'TRACRPC_TRUNK_GIT to a git directory of the trac-hacks mirror '
    '(github.com/lkraav/trac-hacks) to run it')


def run(*command):
    # not from the checkout: `python -m` would import its tracrpc
    return subprocess.run(command, check=True, capture_output=True,
                          text=True, cwd=os.path.expanduser('~')).stdout


def unpack_trunk(target):
    """The trunk's source tree (`xmlrpcplugin/trunk`) in `target`."""
    archive = os.path.join(target, 'trunk.tar')
    with open(archive, 'wb') as f:
        subprocess.run(['git', '--git-dir', TRUNK_GIT, 'archive',
                        'HEAD:xmlrpcplugin/trunk'], stdout=f, check=True)
    source = os.path.join(target, 'trunk')
    with tarfile.open(archive) as tar:
        tar.extractall(source)
    return source


class Site(object):
    """A Trac environment served by tracd from the virtualenv `prefix`."""

    def __init__(self, prefix, env_path):
        self.python = os.path.join(prefix, 'bin', 'python')
        self.admin = os.path.join(prefix, 'bin', 'trac-admin')
        self.env_path = env_path

    def pip(self, *args):
        run(self.python, '-m', 'pip', '--disable-pip-version-check', '-q',
            *args)

    def trac_admin(self, *args):
        return run(self.admin, self.env_path, *args)

    def serve(self):
        port = tracenv.free_port()
        process = subprocess.Popen(
            [self.python, '-m', 'trac.web.standalone', '-s', '--hostname',
             '127.0.0.1', '-p', str(port), self.env_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.env_path)
        tracenv.wait_for_port(port, process)
        return process, xmlrpc.client.ServerProxy(
            'http://127.0.0.1:%d/rpc' % port, use_builtin_types=True)


def calls(proxy, tid):
    """What a client of both versions reads: the ticket and the page."""
    ticket = proxy.ticket.get(tid)
    return (ticket[0], {name: ticket[3][name]
                        for name in ('summary', 'description', 'status')},
            proxy.wiki.getPage('Moved'), proxy.ticket.query('id=%d' % tid))


def test_replacing_the_trunk_keeps_serving(tmp_path):
    prefix = str(tmp_path / 'venv')
    venv.create(prefix, with_pip=True)
    site = Site(prefix, str(tmp_path / 'env'))
    site.pip('install', 'Trac==1.6', 'setuptools<81', 'Babel',
             unpack_trunk(str(tmp_path)))
    assert 'TracXMLRPC 1.2.0.dev0' in run(site.python, '-m', 'pip', 'list')
    site.trac_admin('initenv', 'Trunk', 'sqlite:db/trac.db')
    site.trac_admin('config', 'set', 'components', 'tracrpc.*', 'enabled')
    site.trac_admin('permission', 'add', 'anonymous', 'TRAC_ADMIN')

    process, proxy = site.serve()
    try:
        assert proxy.system.getAPIVersion() == [1, 2, 0]  # the trunk's
        tid = proxy.ticket.create('Made under the trunk', 'Its text', {})
        proxy.wiki.putPage('Moved', 'Page of the trunk', {})
        before = calls(proxy, tid)
    finally:
        process.terminate()
        process.wait(30)

    # docs/migration.rst: uninstall, install, upgrade, restart
    site.pip('uninstall', '-y', 'TracXMLRPC')
    site.pip('install', ROOT)
    process, proxy = site.serve()
    try:
        with pytest.raises(xmlrpc.client.ProtocolError) as refused:
            proxy.system.getAPIVersion()
        assert refused.value.errcode == 500  # "needs to be upgraded"
    finally:
        process.terminate()
        process.wait(30)
    site.trac_admin('upgrade')
    process, proxy = site.serve()
    try:
        assert calls(proxy, tid) == before
        assert proxy.system.getAPIVersion() == list(API_VERSION)  # ours
        second = proxy.ticket.create('Made after the move', '', {})
        assert proxy.ticket.get(second)[3]['summary'] == \
            'Made after the move'
    finally:
        process.terminate()
        process.wait(30)
