"""An order's metafields: generated (0 to 3, deterministic), Shopify's ``metafields`` filters and
its ``metafield(namespace:, key:)`` lookup, shared by regular and bulk queries."""

from __future__ import annotations

import json
from typing import Any

# (namespace, key, type, description); values follow the order's numeric id (``_value``).
_DEFINITIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("custom", "gift_wrap", "boolean", "Wrap the parcel as a gift"),
    ("erp", "export_id", "number_integer", None),
    ("custom", "delivery_note", "single_line_text_field", "Shown to the courier"),
)
_CHANCES = (0.15, 0.30, 0.40)
"""One draw: below the first 1 metafield, the second 2, the third 3; else none."""


def _value(index: int, numeric_id: int) -> str:
    if index == 0:
        return "true" if numeric_id % 2 else "false"
    if index == 1:
        return str(numeric_id * 3)
    return f"Leave at the back door — «{numeric_id % 97}»"


def metafields(draw: float, numeric_id: int, created: str, updated: str) -> list[dict[str, Any]]:
    """The order's metafields for a ``draw`` in [0, 1): how many follows ``_CHANCES``."""
    count = next((n + 1 for n, limit in enumerate(_CHANCES) if draw < limit), 0)
    out: list[dict[str, Any]] = []
    for index in range(count):
        namespace, key, type_, description = _DEFINITIONS[index]
        value = _value(index, numeric_id)
        legacy = numeric_id * 10 + index + 1
        out.append(
            {
                "id": f"gid://shopify/Metafield/{legacy}",
                "legacyResourceId": str(legacy),
                "namespace": namespace,
                "key": key,
                "value": value,
                "jsonValue": value if type_.endswith("_field") else json.loads(value),
                "type": type_,
                "description": description,
                "ownerType": "ORDER",
                "createdAt": created,
                "updatedAt": updated,
            }
        )
    return out


def filtered(items: list[dict[str, Any]], arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """``metafields(namespace:, keys:, reverse:)``: keys are ``namespace.key``."""
    namespace = arguments.get("namespace")
    keys = arguments.get("keys")
    out = [
        item
        for item in items
        if (namespace is None or item.get("namespace") == namespace)
        and (keys is None or f"{item.get('namespace')}.{item.get('key')}" in keys)
    ]
    if arguments.get("reverse"):
        out.reverse()
    return out


def lookup(items: list[dict[str, Any]], arguments: dict[str, Any]) -> dict[str, Any] | None:
    """``metafield(namespace:, key:)``: the one with that namespace and key, or None (without a
    namespace Shopify reads the app's reserved one, which no generated metafield uses)."""
    namespace, key = arguments.get("namespace"), arguments.get("key")
    return next(
        (item for item in items if item.get("namespace") == namespace and item.get("key") == key),
        None,
    )
