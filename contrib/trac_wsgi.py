"""WSGI entry point: one Trac environment, Basic auth for the /login URLs.

Configured by environment variables:

* ``TRAC_ENV``: the environment's path (required)
* ``TRAC_HTPASSWD``: an htpasswd file; when set, ``/login`` and
  ``/login/*`` (so ``/login/rpc``) require HTTP Basic authentication
* ``TRAC_REALM``: the authentication realm (default ``trac``)

gunicorn, 4 worker processes::

    TRAC_ENV=/srv/trac TRAC_HTPASSWD=/srv/trac.htpasswd \\
        gunicorn --workers 4 --bind 127.0.0.1:8000 \\
        --chdir /path/to/TracXMLRPC/contrib trac_wsgi:application

Any WSGI server that imports ``trac_wsgi:application`` works the same.
"""

import os

from trac.web.auth import BasicAuthentication
from trac.web.main import dispatch_request
from trac.web.standalone import AuthenticationMiddleware


def make_application(env_path, htpasswd=None, realm='trac'):
    """The WSGI application serving `env_path`."""
    def trac_application(environ, start_response):
        environ['trac.env_path'] = env_path
        return dispatch_request(environ, start_response)
    if not htpasswd:
        return trac_application
    auths = {'*': BasicAuthentication(htpasswd, realm)}
    return AuthenticationMiddleware(trac_application, auths,
                                    os.path.basename(env_path))


if 'TRAC_ENV' in os.environ:
    application = make_application(os.environ['TRAC_ENV'],
                                   os.environ.get('TRAC_HTPASSWD'),
                                   os.environ.get('TRAC_REALM', 'trac'))
