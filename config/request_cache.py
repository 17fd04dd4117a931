"""Answers kept for the length of one request: read once, asked many times."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class RequestCache:
    """
    A per-request memo. A middleware opens its scope around each request; within it, get()
    computes an answer once per key; outside any scope (a command, a test without a request)
    nothing is kept and every call computes. forget() drops what the request kept, for a
    change made within the request that the next question must see.
    """

    def __init__(self, name: str) -> None:
        self._answers: ContextVar[dict[Hashable, Any] | None] = ContextVar(name, default=None)

    @contextmanager
    def scope(self) -> Iterator[None]:
        token = self._answers.set({})
        try:
            yield
        finally:
            self._answers.reset(token)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        answers = self._answers.get()
        if answers is None:
            return compute()
        if key not in answers:
            answers[key] = compute()
        return answers[key]

    def forget(self) -> None:
        answers = self._answers.get()
        if answers is not None:
            answers.clear()
