"""The engine's named SQL queries, kept in the ``.sql`` files beside this module and loaded once:
``queries("jobs")`` is the mapping of ``jobs.sql`` (as procrastinate's queries.sql)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import LiteralString

from .fields import FRAGMENTS

# A file holds blocks introduced by a ``-- name: <query_name>`` line; the block's text up to the
# next marker is the query. Values are always bound by the caller (``%(name)s`` placeholders); a
# ``{{fragment}}`` is filled in at load time with identifiers and casts rendered from the order
# field list (``bulk.sql.fields``), never with a value.

_MARKER = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_FRAGMENT = re.compile(r"\{\{(?P<name>[a-z_]+)\}\}")


def parse_queries(text: str) -> dict[str, LiteralString]:
    """Split the text of a ``.sql`` file into its named queries."""
    found: dict[str, LiteralString] = {}
    matches = list(_MARKER.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        name = match.group("name")
        if name in found:
            raise ValueError(f"query {name!r} is defined twice")
        if not body:
            raise ValueError(f"query {name!r} is empty")
        # The files ship with the package and the fragments are rendered from a constant: their
        # text is as trusted as a literal in the code (mypy treats LiteralString as str).
        found[name] = body
    return found


def fill_fragments(text: str, fragments: Mapping[str, str]) -> str:
    """``text`` with each ``{{name}}`` replaced by ``fragments[name]`` (an unknown one fails)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in fragments:
            raise ValueError(f"unknown SQL fragment {{{{{name}}}}}")
        return fragments[name]

    return _FRAGMENT.sub(fill, text)


def sql_files() -> list[str]:
    """The names (without ``.sql``) of the query files beside this module."""
    return sorted(
        entry.name.removesuffix(".sql")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".sql")
    )


@cache
def queries(name: str) -> Mapping[str, LiteralString]:
    """Load (once) the named queries of ``<name>.sql``, its fragments filled in."""
    text = resources.files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return parse_queries(fill_fragments(text, FRAGMENTS))
