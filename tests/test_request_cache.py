"""config.request_cache: one answer per key within a request's scope, none kept outside it."""

from __future__ import annotations

from config.request_cache import RequestCache


def test_a_scope_computes_each_key_once_and_forget_drops_the_answers():
    cache = RequestCache("test_cache")
    calls = []

    def compute(value):
        calls.append(value)
        return value * 2

    assert cache.get("a", lambda: compute(1)) == 2
    assert cache.get("a", lambda: compute(1)) == 2
    assert calls == [1, 1]  # outside a scope nothing is kept
    with cache.scope():
        assert cache.get("a", lambda: compute(3)) == 6
        assert cache.get("a", lambda: compute(4)) == 6  # kept: the first answer stands
        cache.forget()
        assert cache.get("a", lambda: compute(5)) == 10
        with cache.scope():
            assert cache.get("a", lambda: compute(7)) == 14  # an inner scope starts empty
        assert cache.get("a", lambda: compute(8)) == 10
    assert calls == [1, 1, 3, 5, 7]
