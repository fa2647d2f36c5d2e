"""A pass over a large file (dry run, apply) runs without Python's cycle collector, which would
otherwise walk every live object again and again, and hands it back however the pass ends."""

import gc

import pytest

from weijian.imports.services import _without_cycle_collection


def test_a_pass_pauses_the_cycle_collector_and_gives_it_back_even_when_it_fails():
    seen = []

    @_without_cycle_collection
    def a_pass(fail: bool) -> str:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad row")
        return "done"

    assert gc.isenabled()
    assert a_pass(False) == "done"
    with pytest.raises(ValueError):
        a_pass(True)
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_pass_inside_a_pass_leaves_the_collector_to_the_outer_one():
    @_without_cycle_collection
    def inner() -> bool:
        return gc.isenabled()

    @_without_cycle_collection
    def outer() -> tuple[bool, bool]:
        return inner(), gc.isenabled()

    assert outer() == (False, False)
    assert gc.isenabled()
