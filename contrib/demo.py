"""Set up .venv, create a demo Trac environment and serve it:
`python3 contrib/demo.py [--port 8000]`. tracd's output goes to
demo-env/tracd.log.

The environment (demo-env/, sqlite) has TracXMLRPC enabled, Basic-auth
users admin/admin (TRAC_ADMIN) and user/user, and XML_RPC granted to
every authenticated user. Stop the server with Ctrl-C (or SIGTERM).
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402

USAGE = """
TracXMLRPC demo is running (Ctrl-C stops it).

  Trac:               {url}/
  API listing:        {url}/login/rpc   (log in as user/user)
  XML-RPC endpoint:   {url}/login/xmlrpc
  JSON-RPC endpoint:  {url}/login/jsonrpc

Try, in another shell:

  python3 -c "import xmlrpc.client; s = xmlrpc.client.ServerProxy('http://user:user@127.0.0.1:{port}/login/rpc'); print(s.system.getAPIVersion()); print(s.ticket.create('First ticket', 'Made over XML-RPC'))"

  curl -s -u user:user -H 'Content-Type: application/json' -d '{{"method": "system.listMethods", "id": 1}}' {url}/login/rpc

The same server by hand (it listens on 127.0.0.1 only; give --hostname
this machine's address, or drop it, to serve other machines):

  {python} -m tracrpc.tracd --hostname 127.0.0.1 -p {port} --http11 -s --basic-auth '*,{htpasswd},trac' {env}
"""


def start(tracenv, env_path, htpasswd, args):
    """Start tracd, or exit with the reason it cannot run."""
    if not tracenv.port_is_free(args.port):
        sys.exit('Port %d is in use (another demo or server?): nothing was '
                 'started. Choose another port with --port, e.g. one free '
                 'now:\n\n  python3 contrib/demo.py --port %d\n'
                 % (args.port, free_port_after(tracenv, args.port)))
    log_path = os.path.join(args.path, 'tracd.log')
    with open(log_path, 'w') as log:
        try:
            return tracenv.start_tracd(env_path, htpasswd, args.port, log)
        except RuntimeError as e:
            with open(log_path) as output:
                sys.exit('tracd did not start (%s). Its output (%s):\n%s'
                         % (e, log_path, output.read()[-2000:]))


def free_port_after(tracenv, port):
    """The first port after `port` that nothing listens on."""
    for candidate in range(port + 1, min(port + 1000, 65536)):
        if tracenv.port_is_free(candidate):
            return candidate
    return tracenv.free_port()


def arguments():
    """The command line (answered before any install: `--help` is
    instant)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, default=8000)
    parser.add_argument('--path', default=os.path.join(bootstrap.ROOT,
                                                       'demo-env'))
    return parser.parse_args()


def main():
    args = arguments()
    import tracenv
    env_path = os.path.join(args.path, 'trac')
    htpasswd = os.path.join(args.path, 'htpasswd')
    if not os.path.exists(env_path):
        os.makedirs(args.path, exist_ok=True)
        tracenv.create_environment(env_path).shutdown()
        tracenv.write_htpasswd(htpasswd, tracenv.USERS)
    tracenv.upgrade_environment(env_path)
    process = start(tracenv, env_path, htpasswd, args)
    url = 'http://127.0.0.1:%d' % args.port
    print(USAGE.format(url=url, port=args.port, python=sys.executable,
                       htpasswd=htpasswd, env=env_path), flush=True)
    # stop tracd with the demo, on Ctrl-C as on `kill` (SIGTERM)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        process.terminate()
        process.wait()


if __name__ == '__main__':
    arguments()
    bootstrap.reexec_in_venv(os.path.abspath(__file__), 'json')
    main()
