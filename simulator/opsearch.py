"""The ``bulkOperations(query:)`` filter: created_at, id, operation_type and status terms."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from graphql import GraphQLError

from simulator.operations import BulkOperation

_TERM = re.compile(r"^(-?)([a-z_]+):(<=|>=|<|>)?(.*)$")


def _bad(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


def _timestamp(value: str) -> datetime:
    text = value.strip("'\"")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad("Invalid timestamp for query filter `created_at`.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _predicate(name: str, comparator: str, value: str) -> Callable[[BulkOperation], bool] | None:
    value = value.strip("'\"")
    if name == "created_at":
        moment = _timestamp(value)
        compare: dict[str, Callable[[datetime], bool]] = {
            "": lambda a: a == moment,
            "<": lambda a: a < moment,
            "<=": lambda a: a <= moment,
            ">": lambda a: a > moment,
            ">=": lambda a: a >= moment,
        }
        return lambda op: compare[comparator](op.created_at)
    if name == "status":
        return lambda op: op.status.lower() == value.lower()
    if name == "operation_type":
        return lambda op: op.type.lower() == value.lower()
    if name == "id":
        number = value.rsplit("/", 1)[-1]
        if not number.isdigit():
            return lambda op: False
        target = int(number)
        compare_id: dict[str, Callable[[int], bool]] = {
            "": lambda a: a == target,
            "<": lambda a: a < target,
            "<=": lambda a: a <= target,
            ">": lambda a: a > target,
            ">=": lambda a: a >= target,
        }
        return lambda op: compare_id[comparator](op.number)
    return None  # unknown fields are ignored, as Shopify search does


def filter_operations(ops: list[BulkOperation], query: str | None) -> list[BulkOperation]:
    """Operations matching every term of ``query`` (implicit AND; ``-term`` negates)."""
    if not query:
        return list(ops)
    checks: list[tuple[bool, Callable[[BulkOperation], bool]]] = []
    for token in query.split():
        if token.upper() == "AND":
            continue
        match = _TERM.match(token)
        if match is None:
            continue
        negate, name, comparator, value = match.groups()
        predicate = _predicate(name, comparator or "", value)
        if predicate is not None:
            checks.append((bool(negate), predicate))
    return [op for op in ops if all(pred(op) != neg for neg, pred in checks)]
