"""Strict JSON decoding of GraphQL requests: anything not a JSON object (or batch) is a 400."""

from __future__ import annotations

import json

from cross_web import HTTPException

# Strawberry catches only ``JSONDecodeError``; invalid UTF-8, nesting deeper than the decoder's
# recursion limit, and a bare string, number or null would otherwise escape as a 500.


class StrictJsonDecoding:
    """Mixin for Strawberry's view: overrides its ``decode_json`` hook."""

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request must be a JSON object")
        return decoded
