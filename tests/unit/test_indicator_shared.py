"""What several indicators share is computed once per plan computation, and never kept beyond it."""

from weijian.core.indicators import one_computation, shared


def test_shared_once_inside_a_computation_and_fresh_after():
    calls = []

    def count():
        calls.append(1)
        return len(calls)

    assert shared("k", count) == 1 and shared("k", count) == 2  # outside: computed every time
    with one_computation():
        assert shared("k", count) == 3 and shared("k", count) == 3 and shared("j", count) == 4
    with one_computation():
        assert shared("k", count) == 5
