"""Fields a deployment or a shop adds to the orders bulk query: parsed, checked against Shopify's
bulk limits, and merged into shopsync's own selection (kept in ``raw``; the nodes of an added
connection in ``order_children``)."""

from __future__ import annotations

import re
from typing import Final

from .errors import InvalidOrderFields
from .orders_query import Tree, merge, order_tree, selection_tree

# Outsiders write these (a shop's admin): bounded before graphql-core parses them (its parser
# recurses per level).
MAX_SELECTION_CHARS: Final = 4000
MAX_NESTING: Final = 16
# Shopify's bulk query rules, with its own words (bulkOperationRunQuery's userErrors).
MAX_CONNECTIONS: Final = 5
MAX_CONNECTION_DEPTH: Final = 2
TOO_MANY_CONNECTIONS: Final = "Bulk queries cannot contain more than 5 connections."
TOO_DEEP: Final = "Bulk queries cannot contain connections with a nesting depth greater than 2."
NODES_NOT_SUPPORTED: Final = (
    "All connection fields in a bulk query must select their contents using 'edges' > 'node'."
)
# A connection's nodes come as lines of their own (``__parentId``, the enclosing node's id): the
# ingest stores those whose parent is an order (line items, and the others in order_children),
# keyed by their id. (A connection inside another is below the order's: depth 3, TOO_DEEP.)
NODE_WITHOUT_ID: Final = (
    "the added connections must select the id of their nodes ({names}): shopsync stores each "
    "node under its id, e.g. metafields {{ edges {{ node {{ id key value }} }} }}"
)
# A regular (not bulk) query needs first or last on every connection (bulk queries ignore them).
_PAGE_SIZE = re.compile(r"\((?:.*, )?(?:first|last): ")


def parse_added(text: str | None) -> Tree:
    """The selection tree of added fields (``metafields(first: 5) { edges { node { key } } }``);
    empty for none. Raises InvalidOrderFields saying what is wrong."""
    text = (text or "").strip()
    if not text:
        return {}
    if len(text) > MAX_SELECTION_CHARS:
        raise InvalidOrderFields(
            f"the added fields are {len(text)} characters long (limit {MAX_SELECTION_CHARS})"
        )
    if _nesting(text) > MAX_NESTING:
        raise InvalidOrderFields(f"the added fields nest deeper than {MAX_NESTING} levels")
    from graphql import GraphQLError  # loaded only when there are added fields to parse

    try:
        tree = selection_tree(text)
    except GraphQLError as exc:
        raise InvalidOrderFields(
            f"the added fields are not a GraphQL selection: {exc.message}"
        ) from None
    except ValueError as exc:
        raise InvalidOrderFields(f"the added fields cannot be used: {exc}") from None
    if _has_alias(tree):
        # A key of raw is the field's name: an alias could shadow a stored field (updatedAt).
        raise InvalidOrderFields("the added fields cannot be used: aliases are not supported")
    return tree


def combined(*added: Tree) -> Tree:
    """The added trees merged (a deployment's, then a shop's)."""
    out: Tree = {}
    for tree in added:
        merge(out, tree)
    return out


def check_bulk_limits(extra: Tree) -> None:
    """Raise InvalidOrderFields when the orders query with ``extra`` breaks a bulk query rule
    that can be told without Shopify's schema (connections, their depth, edges > node), or
    shopsync's own: an added connection selects its nodes' ``id``."""
    if not extra:
        return  # shopsync's own selection keeps the rules (and parsing it needs graphql-core)
    count, deepest = _connections({"orders": {"edges": {"node": order_tree(extra)}}}, 0)
    if count > MAX_CONNECTIONS:
        raise InvalidOrderFields(TOO_MANY_CONNECTIONS)
    if deepest > MAX_CONNECTION_DEPTH:
        raise InvalidOrderFields(TOO_DEEP)
    without_id = _nodes_without_id(order_tree(extra))
    if without_id:
        raise InvalidOrderFields(NODE_WITHOUT_ID.format(names=", ".join(sorted(without_id))))


def probe_tree(extra: Tree) -> Tree:
    """``extra`` for a regular query: ``first: 1`` on each connection that has no first/last."""
    out: Tree = {}
    for key, sub in extra.items():
        if "edges" in sub and _PAGE_SIZE.search(key) is None:
            name, _, arguments = key.partition("(")
            key = f"{name}(first: 1, {arguments}" if arguments else f"{name}(first: 1)"
        out[key] = probe_tree(sub)
    return out


def _nodes_without_id(tree: Tree) -> set[str]:
    """The connections below ``tree`` whose nodes do not select ``id``."""
    found: set[str] = set()
    for key, sub in tree.items():
        if "edges" in sub:
            node = sub["edges"].get("node", {})
            if "id" not in node:
                found.add(key.split("(", 1)[0])
            found |= _nodes_without_id(node)
        else:
            found |= _nodes_without_id(sub)
    return found


def _connections(tree: Tree, depth: int) -> tuple[int, int]:
    """(connections, deepest connection nesting) under ``tree`` at connection depth ``depth``."""
    count, deepest = 0, depth
    for sub in tree.values():
        if "nodes" in sub:
            raise InvalidOrderFields(NODES_NOT_SUPPORTED)
        if "edges" in sub:  # a connection: its nodes are one level deeper
            count += 1
            inner, below = _connections(sub, depth + 1)
        else:
            inner, below = _connections(sub, depth)
        count, deepest = count + inner, max(deepest, below)
    return count, deepest


def _has_alias(tree: Tree) -> bool:
    return any(": " in key.split("(", 1)[0] or _has_alias(sub) for key, sub in tree.items())


def _nesting(text: str) -> int:
    """The deepest brace or parenthesis nesting of ``text`` outside its strings (roughly)."""
    deepest = depth = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"':
            quoted = True
        elif char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth -= 1
    return deepest
