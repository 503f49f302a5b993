"""The schema extensions that bound a GraphQL document: depth, aliases, tokens, cost."""

from __future__ import annotations

import functools
from collections.abc import Callable

from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from bulk.config import Settings

from ..paging import MAX_FIRST
from .cost import CostLimiter

ExtensionFactory = Callable[[], SchemaExtension]


def query_limits(settings: Settings) -> list[ExtensionFactory]:
    """Factories (one extension per request) of every document limit in the settings."""
    return [
        functools.partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        functools.partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        functools.partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
        functools.partial(
            CostLimiter, max_cost=settings.graphql_max_cost, unbounded_list_size=MAX_FIRST
        ),
    ]
