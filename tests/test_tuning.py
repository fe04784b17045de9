"""The HeapFreezer component ([rpc] gc_freeze), in-process."""

import gc

import pytest
from trac.test import EnvironmentStub

from tracrpc.tuning import HeapFreezer


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def serve(freezer, requests):
    for _ in range(requests):
        freezer.pre_process_request(None, None)


def test_freezes_after_warmup_and_refreezes(unfrozen):
    env = EnvironmentStub(enable=['tracrpc.*'])
    env.config.set('rpc', 'gc_refreeze_requests', '5')
    freezer = HeapFreezer(env)
    serve(freezer, HeapFreezer.warmup_requests - 1)
    assert gc.get_freeze_count() == 0
    serve(freezer, 1)
    frozen = gc.get_freeze_count()
    assert frozen > 1000
    garbage = [[] for _ in range(1000)]
    serve(freezer, 4)
    assert gc.get_freeze_count() < frozen + 1000
    serve(freezer, 1)
    assert gc.get_freeze_count() >= frozen + 1000
    del garbage


def test_disabled_never_freezes(unfrozen):
    env = EnvironmentStub(enable=['tracrpc.*'])
    env.config.set('rpc', 'gc_freeze', 'false')
    freezer = HeapFreezer(env)
    serve(freezer, HeapFreezer.warmup_requests + 10)
    assert gc.get_freeze_count() == 0
