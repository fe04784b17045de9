"""The HeapFreezer component ([rpc] gc_freeze), in-process: what it does
to garbage, not how many objects the interpreter happens to hold."""

import gc
import weakref

import pytest
from trac.test import EnvironmentStub

from tracrpc import tuning
from tracrpc.tuning import HeapFreezer


class Node(object):
    """Something that can be garbage in a reference cycle."""


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test is a process that has served nothing yet."""
    gc.unfreeze()
    monkeypatch.setattr(tuning, '_process_heap', tuning._ProcessHeap())
    yield
    gc.unfreeze()


def freezer(refreeze=5, freeze='true'):
    env = EnvironmentStub(enable=['tracrpc.*'])
    env.config.set('rpc', 'gc_freeze', freeze)
    env.config.set('rpc', 'gc_refreeze_requests', str(refreeze))
    return HeapFreezer(env)


def serve(freezer, requests):
    for _ in range(requests):
        freezer.pre_process_request(None, None)


def cycle():
    """A node in a reference cycle, and a weak reference to it."""
    node = Node()
    node.self = node
    return node, weakref.ref(node)


def test_frozen_garbage_is_collected_at_the_refreeze():
    heap = freezer(refreeze=5)
    serve(heap, HeapFreezer.warmup_requests - 1)
    assert gc.get_freeze_count() == 0
    node, alive = cycle()
    serve(heap, 1)                  # the warm heap, the cycle with it
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert alive() is not None      # frozen: Trac's collection skips it
    serve(heap, 4)
    gc.collect()
    assert alive() is not None      # not yet due
    serve(heap, 1)                  # the refreeze collects everything
    assert alive() is None


def test_garbage_made_after_the_freeze_is_collected_as_usual():
    heap = freezer()
    serve(heap, HeapFreezer.warmup_requests)
    node, alive = cycle()
    del node
    gc.collect()
    assert alive() is None


def test_disabled_never_freezes():
    heap = freezer(freeze='false')
    serve(heap, HeapFreezer.warmup_requests + 10)
    assert gc.get_freeze_count() == 0


def test_the_first_environment_decides_for_the_process():
    """A second environment with gc_freeze off neither unfreezes the
    heap of the first nor stops its refreezes."""
    first = freezer(refreeze=5)
    serve(first, HeapFreezer.warmup_requests)
    assert gc.get_freeze_count() > 0
    second = freezer(freeze='false')
    node, alive = cycle()
    serve(second, 4)
    assert gc.get_freeze_count() > 0
    serve(first, 1)                 # the freeze of the 5th request
    del node
    serve(second, 5)                # requests of either count
    assert alive() is None


def test_an_environment_without_repositories_reads_them_once():
    from trac.versioncontrol.api import DbRepositoryProvider, \
        RepositoryManager
    import tracopt.versioncontrol.git.git_fs  # noqa: F401 (the connector)
    env = EnvironmentStub(enable=['trac.*', 'tracopt.versioncontrol.git.*',
                                  'tracrpc.*'])
    manager, keeper = RepositoryManager(env), tuning.RepositoryTableKeeper(env)
    for _ in range(2):  # Trac's filter loads the table, ours keeps it
        manager.pre_process_request(None, None)
        keeper.pre_process_request(None, None)
    table = manager.get_all_repositories()
    assert table == {} and manager.get_all_repositories() is table
    DbRepositoryProvider(env).add_repository('project', '/var/git/project',
                                             'git')
    assert list(manager.get_all_repositories()) == ['project']
