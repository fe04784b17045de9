"""`Method` and batch forms, in-process: what providers get wrong."""

import pytest

from tracrpc.api import InvalidParams, Method, batched_by, expose_rpc


class Provider(object):
    """A provider as `Method` sees it: a namespace and its methods."""

    def xmlrpc_namespace(self):
        return 'sample'

    @expose_rpc('XML_RPC', list, int)
    @expose_rpc('XML_RPC', list, int, str)
    @batched_by('_pairs')
    def pair(self, req, number, label='none'):
        """Return `[number, label]`."""
        return [number, label]

    def _pairs(self, req, calls):
        return ((call['number'], call.get('label', 'none'))
                for call in calls)

    @expose_rpc('XML_RPC', int, int)
    @batched_by('_short')
    def short(self, req, number):
        """A method whose batch form forgets a call."""
        return number

    def _short(self, req, calls):
        return [call['number'] for call in calls[1:]]

    @expose_rpc('XML_RPC', int, int)
    @batched_by('_nosuch')
    def misnamed(self, req, number):
        """A method naming a batch form that does not exist."""
        return number


def method(name):
    provider = Provider()
    function = getattr(provider, name)
    return Method(provider, 'XML_RPC', function._rpc_signatures, function)


def test_arguments_as_the_batch_form_takes_them():
    pair = method('pair')
    assert pair.arguments([1]) == {'number': 1}
    assert pair.arguments([1, 'x']) == {'number': 1, 'label': 'x'}
    assert pair.arguments({'label': 'y', 'number': 2}) == \
        {'number': 2, 'label': 'y'}
    with pytest.raises(InvalidParams):
        pair.arguments([])


def test_batch_results_become_values():
    pair = method('pair')
    assert pair.call_batch(None, [{'number': 1}, {'number': 2,
                                                  'label': 'x'}]) == \
        [[1, 'none'], [2, 'x']]


def test_batch_answering_too_few_calls_is_an_error():
    with pytest.raises(TypeError) as raised:
        method('short').call_batch(None, [{'number': 1}, {'number': 2}])
    assert 'answered 1 of 2 calls' in str(raised.value)


def test_misnamed_batch_form_is_named_in_the_error():
    with pytest.raises(TypeError) as raised:
        method('misnamed')
    assert 'sample.misnamed' in str(raised.value)
    assert '_nosuch' in str(raised.value)


# -- In-process callers (TracXMLRPC 1.1's public contract) ------------------

@pytest.fixture
def env():
    from trac.test import EnvironmentStub
    env = EnvironmentStub(enable=['trac.*', 'tracrpc.*'])
    env.config.set('trac', 'permission_policies', 'DefaultPermissionPolicy')
    yield env
    env.reset_db()


def request_of(env, username, *actions):
    from trac.perm import PermissionSystem
    from trac.test import MockRequest
    for action in actions:
        PermissionSystem(env).grant_permission(username, action)
    return MockRequest(env, authname=username)


def test_in_process_call_checks_permission_and_returns_a_tuple(env):
    from trac.ticket.model import Ticket
    from tracrpc.api import API_VERSION, XMLRPCSystem
    ticket = Ticket(env)
    ticket['summary'] = 'in process'
    tid = ticket.insert()
    req = request_of(env, 'plugin', 'XML_RPC', 'TICKET_VIEW')
    system = XMLRPCSystem(env)
    assert system.get_method('system.getAPIVersion')(req, []) == \
        (API_VERSION,)
    result = system.get_method('ticket.get')(req, [tid])
    assert type(result) is tuple and len(result) == 1
    assert result[0][0] == tid and result[0][3]['summary'] == 'in process'


def test_in_process_call_without_permission_is_refused(env):
    from trac.perm import PermissionError
    from tracrpc.api import XMLRPCSystem
    req = request_of(env, 'stranger', 'WIKI_VIEW')
    with pytest.raises(PermissionError):
        XMLRPCSystem(env).get_method('system.getAPIVersion')(req, [])
    with pytest.raises(PermissionError):
        XMLRPCSystem(env).get_method('ticket.status.getAll')(req, [])
