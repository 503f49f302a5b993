"""Parser and evaluator for the Shopify order search syntax (the ``query:`` argument)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.generator import index_of_gid, parse_ts

INVALID_FIELD_MESSAGE = "Invalid search field for this query."
TIME_FIELDS = {"created_at": "createdAt", "updated_at": "updatedAt", "processed_at": "processedAt"}
KNOWN_FIELDS = frozenset(
    {
        *TIME_FIELDS,
        "id",
        "status",
        "financial_status",
        "fulfillment_status",
        "name",
        "email",
        "tag",
        "tag_not",
        "test",
        "sku",
        "customer_id",
    }
)
COMPARATORS = (":<=", ":>=", ":<", ":>", ":")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE = re.compile(r"^now(?:([+-])(\d+)([smhdw]))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_FULFILLMENT_ALIASES = {
    "shipped": "FULFILLED",
    "fulfilled": "FULFILLED",
    "unshipped": "UNFULFILLED",
    "unfulfilled": "UNFULFILLED",
    "partial": "PARTIALLY_FULFILLED",
}


class SearchSyntaxError(ValueError):
    """The search string cannot be parsed (e.g. unbalanced parentheses or quotes)."""


Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Term:
    """One ``field<comparator>value`` term (field None for free text)."""

    field: str | None
    comparator: str
    value: str
    predicate: Predicate = dataclasses.field(compare=False, repr=False)
    ignored: bool = False
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class Not:
    """Negation of an expression."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Conjunction of expressions."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Disjunction of expressions."""

    operands: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass
class SearchQuery:
    """A parsed search: evaluate with :meth:`matches`; ``warnings`` lists ignored fields."""

    text: str
    root: Node | None
    warnings: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def matches(self, order: dict[str, Any]) -> bool:
        """Whether ``order`` satisfies the query (an empty query matches everything)."""
        return self.root is None or _evaluate(self.root, order)

    def bounds(self, field_name: str) -> tuple[int | None, int | None]:
        """Inclusive lower / exclusive upper bound on ``field_name`` implied by top-level AND terms.

        Time fields give epoch seconds, ``id`` gives numeric order ids. ``(None, None)`` when the
        query does not constrain the field in a way that every match must satisfy.
        """
        low: int | None = None
        high: int | None = None
        for term in _conjuncts(self.root):
            if term.field != field_name or term.ignored:
                continue
            term_low, term_high = term.low, term.high
            if term_low is not None:
                low = term_low if low is None else max(low, term_low)
            if term_high is not None:
                high = term_high if high is None else min(high, term_high)
        return low, high

    def uses_only(self, fields: set[str]) -> bool:
        """Whether every effective term is on one of ``fields`` and the query is a pure AND."""
        if self.root is None:
            return True
        if isinstance(self.root, Or | Not):
            return False
        terms = _conjuncts(self.root)
        if isinstance(self.root, And) and len(terms) != len(self.root.operands):
            return False
        return all(t.ignored or t.field in fields for t in terms)


def _conjuncts(root: Node | None) -> list[Term]:
    if isinstance(root, Term):
        return [root]
    if isinstance(root, And):
        return [op for op in root.operands if isinstance(op, Term)]
    return []


def _evaluate(node: Node, order: dict[str, Any]) -> bool:
    if isinstance(node, Term):
        return node.predicate(order)
    if isinstance(node, Not):
        return not _evaluate(node.operand, order)
    if isinstance(node, And):
        return all(_evaluate(op, order) for op in node.operands)
    return any(_evaluate(op, order) for op in node.operands)


# --------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "AND" "OR" "NOT" "TERM"
    field: str | None = None
    comparator: str = ":"
    value: str = ""
    negated: bool = False


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    quote = text[pos]
    pos += 1
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == quote:
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    raise SearchSyntaxError(f"Unterminated quoted value starting at position {pos}")


def _read_bare(text: str, pos: int) -> tuple[str, int]:
    start = pos
    while pos < len(text) and not text[pos].isspace() and text[pos] not in "()":
        pos += 1
    return text[start:pos], pos


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in "()":
            tokens.append(_Token(char))
            pos += 1
            continue
        negated = False
        if char == "-" and pos + 1 < len(text) and not text[pos + 1].isspace():
            negated = True
            pos += 1
            char = text[pos]
        if char in "\"'":
            value, pos = _read_quoted(text, pos)
            tokens.append(_Token("TERM", None, ":", value, negated))
            continue
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, pos)
        if match and text.startswith(":", match.end()):
            name = match.group(0).lower()
            pos = match.end()
            comparator = next(c for c in COMPARATORS if text.startswith(c, pos))
            pos += len(comparator)
            if pos < len(text) and text[pos] in "\"'":
                value, pos = _read_quoted(text, pos)
            else:
                value, pos = _read_bare(text, pos)
            tokens.append(_Token("TERM", name, comparator, value, negated))
            continue
        word, pos = _read_bare(text, pos)
        if not negated and word in ("AND", "OR", "NOT"):
            tokens.append(_Token(word))
        else:
            tokens.append(_Token("TERM", None, ":", word, negated))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[_Token], now: datetime, warnings: list[dict[str, Any]]):
        self.tokens = tokens
        self.pos = 0
        self.now = now
        self.warnings = warnings

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.parse_or()
        if self.peek() is not None:
            raise SearchSyntaxError("Unexpected ')' in search query")
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.pos += 1
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.pos += 1
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise SearchSyntaxError("Unexpected end of search query")
        self.pos += 1
        if token.kind == "NOT":
            return Not(self.parse_unary())
        if token.kind == "(":
            inner = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise SearchSyntaxError("Missing ')' in search query")
            self.pos += 1
            return inner
        if token.kind != "TERM":
            raise SearchSyntaxError(f"Unexpected {token.kind!r} in search query")
        term = _make_term(token, self.now, self.warnings)
        return Not(term) if token.negated else term


def parse_search(text: str, *, now: datetime) -> SearchQuery:
    """Parse ``text`` (Shopify search syntax) relative to ``now`` (used for ``now`` values)."""
    warnings: list[dict[str, Any]] = []
    root = _Parser(_tokenize(text), now, warnings).parse()
    return SearchQuery(text=text, root=root, warnings=warnings)


# --------------------------------------------------------------------------- terms


def _match_all(order: dict[str, Any]) -> bool:
    return True


def _ignored(token: _Token, warnings: list[dict[str, Any]], message: str) -> Term:
    warning = {"field": token.field, "message": message}
    if warning not in warnings:
        warnings.append(warning)
    return Term(token.field, token.comparator, token.value, _match_all, ignored=True)


def _make_term(token: _Token, now: datetime, warnings: list[dict[str, Any]]) -> Term:
    name, comparator, value = token.field, token.comparator, token.value
    if name is None:
        needle = value.lower()
        return Term(None, ":", value, lambda o: _free_text(o, needle))
    if name not in KNOWN_FIELDS:
        return _ignored(token, warnings, INVALID_FIELD_MESSAGE)
    if name in TIME_FIELDS:
        key = TIME_FIELDS[name]
        bounds = _time_bounds(value, comparator, now)
        if bounds is None:
            return _ignored(token, warnings, f"Invalid timestamp for query filter `{name}`.")
        low, high = bounds
        return Term(
            name,
            comparator,
            value,
            lambda o: _in_range(_ts(o.get(key)), low, high),
            False,
            low,
            high,
        )
    if name in ("id", "customer_id"):
        number = _numeric_id(value)
        if number is None:
            return _ignored(token, warnings, f"Invalid id for query filter `{name}`.")
        low, high = _numeric_bounds(number, comparator)
        getter = _order_number_id if name == "id" else _customer_number_id
        return Term(
            name, comparator, value, lambda o: _in_range(getter(o), low, high), False, low, high
        )
    return Term(name, comparator, value, _simple_predicate(name, value.lower()))


def _simple_predicate(name: str, needle: str) -> Predicate:
    if name == "status":
        return lambda o: _status(o, needle)
    if name == "financial_status":
        return lambda o: (o.get("displayFinancialStatus") or "").lower() == needle
    if name == "fulfillment_status":
        wanted = _FULFILLMENT_ALIASES.get(needle, needle.upper())
        return lambda o: o.get("displayFulfillmentStatus") == wanted
    if name == "name":
        bare = needle.lstrip("#")
        return lambda o: str(o.get("name") or "").lower().lstrip("#") == bare
    if name == "email":
        return lambda o: _wildcard(str(o.get("email") or "").lower(), needle)
    if name == "tag":
        return lambda o: any(t.lower() == needle for t in o.get("tags") or ())
    if name == "tag_not":
        return lambda o: all(t.lower() != needle for t in o.get("tags") or ())
    if name == "test":
        return lambda o: str(bool(o.get("test"))).lower() == needle
    # sku
    return lambda o: any(
        _wildcard(str(item.get("sku") or "").lower(), needle) for item in o.get("lineItems") or ()
    )


def _wildcard(actual: str, needle: str) -> bool:
    if needle.endswith("*"):
        return actual.startswith(needle[:-1])
    return actual == needle


def _free_text(order: dict[str, Any], needle: str) -> bool:
    name = str(order.get("name") or "").lower()
    email = str(order.get("email") or "").lower()
    return needle in name or needle in email


def _status(order: dict[str, Any], needle: str) -> bool:
    cancelled = order.get("cancelledAt") is not None
    closed = bool(order.get("closed"))
    if needle == "open":
        return not closed and not cancelled
    if needle == "closed":
        return closed
    if needle == "cancelled":
        return cancelled
    if needle == "not_closed":
        return not closed
    return False


def _ts(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return parse_ts(str(value))
    except ValueError:
        return None


def _in_range(actual: int | None, low: int | None, high: int | None) -> bool:
    if actual is None:
        return False
    return (low is None or actual >= low) and (high is None or actual < high)


def _order_number_id(order: dict[str, Any]) -> int | None:
    return _numeric_id(str(order.get("id") or ""))


def _customer_number_id(order: dict[str, Any]) -> int | None:
    customer = order.get("customer")
    return _numeric_id(str(customer.get("id") or "")) if isinstance(customer, dict) else None


def _numeric_id(value: str) -> int | None:
    tail = value.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def _numeric_bounds(number: int, comparator: str) -> tuple[int | None, int | None]:
    if comparator == ":<":
        return None, number
    if comparator == ":<=":
        return None, number + 1
    if comparator == ":>":
        return number + 1, None
    if comparator == ":>=":
        return number, None
    return number, number + 1


def _parse_time(value: str, now: datetime) -> tuple[int, int] | None:
    """Parse a search time value into ``(start, width)`` epoch seconds, or None if invalid."""
    relative = _RELATIVE.match(value.lower())
    if relative:
        moment = now
        if relative.group(1):
            delta = timedelta(seconds=int(relative.group(2)) * _UNIT_SECONDS[relative.group(3)])
            moment = now + delta if relative.group(1) == "+" else now - delta
        return int(moment.timestamp()), 1
    if _DATE_ONLY.match(value):
        try:
            day = datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            return None
        return int(day.timestamp()), 86_400
    try:
        return parse_ts(value), 1
    except ValueError:
        return None


def _time_bounds(
    value: str, comparator: str, now: datetime
) -> tuple[int | None, int | None] | None:
    parsed = _parse_time(value, now)
    if parsed is None:
        return None
    start, width = parsed
    if comparator == ":<":
        return None, start
    if comparator == ":<=":
        return None, start + width
    if comparator == ":>":
        return start + width, None
    if comparator == ":>=":
        return start, None
    return start, start + width


def index_bounds(query: SearchQuery | None) -> tuple[int | None, int | None]:
    """Bounds on the order *index* implied by ``id`` terms (see :func:`index_of_gid`)."""
    if query is None:
        return None, None
    low, high = query.bounds("id")
    low_index = index_of_gid(str(low)) if low is not None else None
    high_index = index_of_gid(str(high)) if high is not None else None
    if low is not None and low_index is None:
        low_index = 0
    if high is not None and high_index is None:
        high_index = 0
    return low_index, high_index
