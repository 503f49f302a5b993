"""Named SQL queries kept in ``.sql`` files and loaded once (as procrastinate's queries.sql).

A file holds blocks introduced by a ``-- name: <query_name>`` line; the block's text up to the
next marker is the query. Values are always bound by the caller (``%(name)s`` placeholders).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import LiteralString

_MARKER = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, LiteralString]:
    """Split the text of a ``.sql`` file into its named queries."""
    queries: dict[str, LiteralString] = {}
    matches = list(_MARKER.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        name = match.group("name")
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        if not body:
            raise ValueError(f"query {name!r} is empty")
        # The files ship with the package: their text is as trusted as a literal in the code
        # (mypy treats LiteralString as str, so no cast is needed to say so).
        queries[name] = body
    return queries


@cache
def load_queries(package: str, filename: str) -> Mapping[str, LiteralString]:
    """Load (once) the named queries of ``filename`` shipped in ``package``."""
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    return parse_queries(text)
