"""The SQL fragments rendered from the order field list (``bulk.order_fields``) that ingest.sql's
``{{placeholders}}`` take: column lists, JSON extractions with their casts, upsert assignments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bulk.order_fields import CAST_TYPES, LINE_ITEM_FIELDS, ORDER_FIELDS, Field, stored

# Every extraction reads the line's parsed jsonb as ``d``, so the queries name it that way.


def _text_at(path: str) -> str:
    """``d -> 'a' -> 'b' ->> 'c'``: the text at a dotted path (NULL where it is missing)."""
    *objects, leaf = path.split(".")
    return "d" + "".join(f" -> '{name}'" for name in objects) + f" ->> '{leaf}'"


def _json_at(path: str) -> str:
    """``d -> 'a' -> 'b'``: the jsonb at a dotted path."""
    return "d" + "".join(f" -> '{name}'" for name in path.split("."))


def extraction(field: Field) -> str:
    """The expression reading ``field`` from ``d``, cast to its column's type."""
    if field.pg_type == "text[]":
        json = _json_at(field.graphql)
        return (
            f"CASE WHEN jsonb_typeof({json}) = 'array' "
            f"THEN ARRAY(SELECT jsonb_array_elements_text({json})) END"
        )
    text = _text_at(field.graphql)
    if field.fallback is not None:
        text = f"coalesce({text}, {_text_at(field.fallback)})"
    return f"({text})::{field.pg_type}" if field.pg_type in CAST_TYPES else text


def _fragments(prefix: str, fields: tuple[Field, ...]) -> dict[str, str]:
    columns = [field.column for field in stored(fields) if field.column is not None]
    expressions = [extraction(field) for field in stored(fields)]
    casts = [extraction(field) for field in stored(fields) if field.pg_type in CAST_TYPES]
    return {
        f"{prefix}_columns": ", ".join(columns),
        f"{prefix}_values": ",\n    ".join(expressions),
        f"{prefix}_named_values": ",\n    ".join(
            f"{expression} AS {column}"
            for expression, column in zip(expressions, columns, strict=True)
        ),
        f"{prefix}_updates": ",\n    ".join(f"{column} = EXCLUDED.{column}" for column in columns),
        # True when every cast succeeds (raises otherwise): num_nulls takes each value.
        f"{prefix}_casts_succeed": f"num_nulls({', '.join(casts)}) >= 0" if casts else "true",
    }


FRAGMENTS: Final[Mapping[str, str]] = {
    **_fragments("order", ORDER_FIELDS),
    **_fragments("line_item", LINE_ITEM_FIELDS),
}
