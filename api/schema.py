"""The root GraphQL schema, composed from the per-feature queries and mutations."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from strawberry.extensions import DisableIntrospection, MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig

from .deadletters.mutations import DeadLetterMutations
from .deadletters.queries import DeadLetterQueries
from .jobs.mutations import JobMutations
from .jobs.queries import JobQueries
from .jobs.subscriptions import JobSubscriptions
from .scalars import SCALAR_MAP
from .shops.mutations import ShopMutations
from .shops.queries import ShopQueries


@strawberry.type
class Query(ShopQueries, JobQueries, DeadLetterQueries):
    """Reads: shops, sync jobs and their dead letters."""


@strawberry.type
class Mutation(ShopMutations, JobMutations, DeadLetterMutations):
    """Writes: connect a shop, start or cancel a sync job, retry its dead letters."""


@strawberry.type
class Subscription(JobSubscriptions):
    """Live updates: sync job states, pushed over WebSocket."""


def build_schema(
    *,
    mask_errors: bool = False,
    introspection: bool = True,
    limits: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """The schema; production masks unexpected errors so internals never reach clients, and
    refuses introspection unless enabled. ``limits`` are the document limits
    (``api.limits.query.query_limits``)."""
    extensions: list[Any] = [*limits]  # extension classes and configured factories
    if mask_errors:
        extensions.append(functools.partial(MaskErrors, should_mask_error=_is_unexpected))
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


# Bad input, a subscriber too slow to keep up (it should subscribe again), a limit (api.limits),
# a read-only token asked to mutate, a request without a caller.
_CLIENT_ERROR_CODES = frozenset(
    {"BAD_USER_INPUT", "SUBSCRIBER_LAGGED", "LIMIT_EXCEEDED", "FORBIDDEN", "UNAUTHENTICATED"}
)


def _is_unexpected(error: object) -> bool:
    """Keep our own client-facing errors (_CLIENT_ERROR_CODES) readable; mask everything else."""
    extensions = getattr(error, "extensions", None) or {}
    return extensions.get("code") not in _CLIENT_ERROR_CODES


# For `strawberry export-schema api.schema:schema`; building it opens nothing.
schema = build_schema()
