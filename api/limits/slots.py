"""A cap on things running at once per key (subscriptions per connection, later per tenant)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from graphql import GraphQLError

from .shape import LIMIT_EXCEEDED


class ConcurrencyCap:
    """At most ``cap`` slots held per key; one more is a LIMIT_EXCEEDED GraphQL error.

    Not thread-safe: used from the event loop only. A per-connection cap uses one key; a
    process-wide instance keyed by tenant gives a per-tenant cap with the same interface.
    """

    def __init__(self, cap: int, *, what: str) -> None:
        self._cap = cap
        self._what = what
        self._held: Counter[str] = Counter()

    def held(self, key: str = "") -> int:
        return self._held[key]

    @contextlib.contextmanager
    def slot(self, key: str = "") -> Iterator[None]:
        """Hold one slot of ``key`` for the block; raise at once if all are taken."""
        if self._held[key] >= self._cap:
            raise GraphQLError(
                f"at most {self._cap} {self._what}; end one first",
                extensions={"code": LIMIT_EXCEEDED},
            )
        self._held[key] += 1
        try:
            yield
        finally:
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]
