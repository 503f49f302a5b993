"""The root GraphQL schema, composed from the per-feature queries and mutations."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from bulk.log_scrub import scrub

from .deadletters.mutations import DeadLetterMutations
from .deadletters.queries import DeadLetterQueries
from .jobs.mutations import JobMutations
from .jobs.queries import JobQueries
from .jobs.subscriptions import JobSubscriptions
from .orders.queries import OrderQueries
from .scalars import SCALAR_MAP
from .shops.mutations import ShopMutations
from .shops.order_fields import OrderFieldsMutations
from .shops.queries import ShopQueries
from .shops.schedule_mutations import ScheduleMutations

log = structlog.get_logger(__name__)


@strawberry.type
class Query(ShopQueries, JobQueries, DeadLetterQueries, OrderQueries):
    """Reads: shops, sync jobs and their dead letters, the mirrored orders."""


@strawberry.type
class Mutation(
    ShopMutations, JobMutations, DeadLetterMutations, ScheduleMutations, OrderFieldsMutations
):
    """Writes: connect a shop, start or cancel a sync job, retry its dead letters, set a
    shop's sync schedule or the fields its orders bulk query adds."""


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
    return _Schema(
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


def _is_client_error(error: GraphQLError) -> bool:
    """The client's mistake: a document that does not parse or validate (no cause), or one of
    our client-facing codes."""
    return error.original_error is None or not _is_unexpected(error)


class _Schema(strawberry.Schema):
    """Strawberry logs every GraphQL error at ERROR with a traceback; a client's mistake is
    no operator's error, so it gets one info line."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_client_error(error):
                code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
                # The message may quote the client's input: scrubbed here too, whatever the
                # process's logging set-up.
                log.info("graphql.client_error", code=code, message=scrub(error.message))
        super().process_errors(
            [error for error in errors if not _is_client_error(error)], execution_context
        )


# For `strawberry export-schema api.schema:schema`; building it opens nothing.
schema = build_schema()
