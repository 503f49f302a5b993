"""bulk/sql's loader: named queries split from their file."""

from __future__ import annotations

import pytest

from bulk.sql import parse_queries


def test_named_queries_parse() -> None:
    parsed = parse_queries("-- name: one\nSELECT 1;\n\n-- name: two\nSELECT 2;\n")
    assert parsed == {"one": "SELECT 1;", "two": "SELECT 2;"}
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;\n")
