"""Custom GraphQL scalars: BigInt for counters that outgrow GraphQL's 32-bit Int."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

BigInt = NewType("BigInt", int)


def _parse_big_int(value: object) -> BigInt:
    """Accept a JSON number or a decimal string; reject booleans, floats and anything else."""
    if isinstance(value, bool):
        raise ValueError("BigInt cannot be a boolean")
    if isinstance(value, int):
        return BigInt(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return BigInt(int(value))
    raise ValueError(f"BigInt cannot represent {value!r}")


# Serialised as a JSON number: byte and object counts stay far below 2^53, so JavaScript
# clients read them exactly; inputs may also be decimal strings.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A 64-bit signed integer, serialised as a JSON number.",
        serialize=int,
        parse_value=_parse_big_int,
    )
}
