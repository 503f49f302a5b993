"""The schema extensions that bound a GraphQL document: tokens, then depth, aliases and cost."""

from __future__ import annotations

import functools
from collections.abc import Callable

from strawberry.extensions import MaxTokensLimiter, SchemaExtension

from ..paging import MAX_FIRST
from ..settings import ApiSettings
from .shape import ShapeLimiter, ShapeLimits

ExtensionFactory = Callable[[], SchemaExtension]


def query_limits(settings: ApiSettings) -> list[ExtensionFactory]:
    """Factories (one extension per request) of every document limit in the settings."""
    shape = ShapeLimits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_cost=settings.graphql_max_cost,
        unbounded_list_size=MAX_FIRST,
    )
    return [
        # The lexer stops at the limit: a huge document is refused before it is parsed whole.
        functools.partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        functools.partial(ShapeLimiter, shape),
    ]
