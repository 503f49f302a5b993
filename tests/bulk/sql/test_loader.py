"""bulk/sql's loader: named queries split from their file, fragments filled in at load time."""

from __future__ import annotations

import pytest

from bulk.sql import fill_fragments, parse_queries, queries, sql_files


def test_named_queries_parse() -> None:
    parsed = parse_queries("-- name: one\nSELECT 1;\n\n-- name: two\nSELECT 2;\n")
    assert parsed == {"one": "SELECT 1;", "two": "SELECT 2;"}
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;\n")


def test_fragments_are_filled_and_an_unknown_one_fails() -> None:
    assert fill_fragments("SELECT {{a}} FROM t", {"a": "x, y"}) == "SELECT x, y FROM t"
    with pytest.raises(ValueError, match="unknown SQL fragment"):
        fill_fragments("SELECT {{b}}", {"a": "x"})
    for name in sql_files():
        assert not any("{{" in query for query in queries(name).values()), name
