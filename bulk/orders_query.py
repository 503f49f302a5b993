"""The inner bulk query per sync mode: which orders (filter + matching sortKey), and the fields
of ``order_fields`` (plus any added selection, see ``selection_tree``) rendered as its selection."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from .errors import ConfigurationError
from .order_fields import LINE_ITEM_FIELDS, LINE_ITEM_KEPT, ORDER_FIELDS, ORDER_KEPT, Field
from .types import SyncMode

if TYPE_CHECKING:
    from graphql import SelectionSetNode

# graphql-core (~5 MB resident, with gql's client) loads with the first query built, i.e. at a
# worker's first job: importing this module does not parse anything.

# A selection: each field (``alias: name(arguments)`` as written) or inline fragment (``... on
# Type``) to its own sub-selection (empty for a leaf). Equal keys merge, as GraphQL merges them.
Tree: TypeAlias = dict[str, "Tree"]


def selection_tree(text: str) -> Tree:
    """The tree of a GraphQL selection text (``a { b } c``); raises ``graphql.GraphQLError`` if
    it does not parse and ``ValueError`` for what cannot be merged (named fragments, directives)."""
    from graphql import parse

    document = parse("{ " + text + " }", no_location=True)
    operation = document.definitions[0]
    if len(document.definitions) != 1 or not hasattr(operation, "selection_set"):
        raise ValueError("a selection of fields only")
    return _tree_of(operation.selection_set)


def _tree_of(selection: SelectionSetNode) -> Tree:
    from graphql import FieldNode, InlineFragmentNode, print_ast

    tree: Tree = {}
    for node in selection.selections:
        if node.directives:
            raise ValueError("directives are not supported in a selection")
        if isinstance(node, FieldNode):
            key = node.name.value
            if node.arguments:
                key += "(" + ", ".join(print_ast(argument) for argument in node.arguments) + ")"
            if node.alias is not None:
                key = f"{node.alias.value}: {key}"
        elif isinstance(node, InlineFragmentNode) and node.type_condition is not None:
            key = f"... on {node.type_condition.name.value}"
        else:
            raise ValueError("named fragments are not supported in a selection")
        sub = _tree_of(node.selection_set) if node.selection_set is not None else {}
        merge(tree.setdefault(key, {}), sub)
    return tree


def merge(into: Tree, other: Tree) -> Tree:
    """``other`` merged into ``into`` (which is returned): keys kept in first-seen order."""
    for key, sub in other.items():
        merge(into.setdefault(key, {}), sub)
    return into


def _fields_tree(fields: tuple[Field, ...], kept: str) -> Tree:
    """``id``, every field's path as nested selections in the order declared
    (``totalPriceSet.shopMoney.amount`` becomes ``totalPriceSet { shopMoney { amount } }``), then
    the raw-only selection ``kept``."""
    tree: Tree = {"id": {}}
    for field in fields:
        for path in field.paths:
            node = tree
            for name in path.split("."):
                node = node.setdefault(name, {})
    return merge(tree, selection_tree(kept))


def render(tree: Tree) -> str:
    """The selection text of ``tree``."""
    return " ".join(f"{name} {{ {render(sub)} }}" if sub else name for name, sub in tree.items())


def order_tree(extra: Tree | None = None) -> Tree:
    """The order node's whole selection: its fields, its line items' (a connection), ``extra``."""
    tree = _fields_tree(ORDER_FIELDS, ORDER_KEPT)
    tree["lineItems"] = {"edges": {"node": _fields_tree(LINE_ITEM_FIELDS, LINE_ITEM_KEPT)}}
    return merge(tree, extra or {})


@functools.cache
def default_selection() -> str:
    """The order node's selection without added fields (rendered once, at the first query)."""
    return render(order_tree())


def search_instant(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: UTC, second precision, as Shopify's search syntax expects."""
    if moment.tzinfo is None:
        raise ConfigurationError("the filter instant must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CreatedRange:
    """One range of a job split into concurrent operations: ``created_at >= start`` and
    ``created_at < end``; None is open on that side. Both bounds whole seconds (the search
    syntax's precision), so neighbouring ranges share a bound and never an order."""

    start: datetime | None = None
    end: datetime | None = None

    def terms(self) -> list[str]:
        terms = []
        if self.start is not None:
            terms.append(f"created_at:>='{search_instant(self.start)}'")
        if self.end is not None:
            terms.append(f"created_at:<'{search_instant(self.end)}'")
        return terms


WHOLE = CreatedRange()


def orders_arguments(
    mode: SyncMode, filter_since: datetime | None, created: CreatedRange = WHOLE
) -> str:
    """The ``orders(...)`` arguments: a date filter paired with the matching sortKey, and for a
    range of a split job its ``created_at`` bounds ANDed to the mode's filter."""
    if mode is SyncMode.UPDATE:
        if filter_since is None:
            raise ConfigurationError("an UPDATE sync needs the instant it filters from")
        if created != WHOLE:
            raise ConfigurationError("an UPDATE sync is never split into created_at ranges")
        # Single quotes: the filter sits inside a double-quoted GraphQL string.
        return f"query: \"updated_at:>='{search_instant(filter_since)}'\", sortKey: UPDATED_AT"
    terms = []
    if mode in (SyncMode.POPULATE, SyncMode.RECONCILE) and filter_since is not None:
        terms.append(f"created_at:>='{search_instant(filter_since)}'")
    terms += created.terms()
    if not terms:
        return "sortKey: CREATED_AT"
    return f'query: "{" AND ".join(terms)}", sortKey: CREATED_AT'


def build_orders_query(
    mode: SyncMode,
    filter_since: datetime | None,
    extra: Tree | None = None,
    created: CreatedRange = WHOLE,
) -> str:
    """The bulk query document for ``mode``; orders and their line items (2 connections) plus
    the added selection ``extra`` (a ``selection_tree``), or for RECONCILE the orders' ids only
    (no connection: cheap, one short line per order)."""
    if mode is SyncMode.RECONCILE:
        return f"""{{
  orders({orders_arguments(mode, filter_since)}) {{
    edges {{
      node {{
        id
      }}
    }}
  }}
}}"""
    return f"""{{
  orders({orders_arguments(mode, filter_since, created)}) {{
    edges {{
      node {{
        {default_selection() if extra is None else render(order_tree(extra))}
      }}
    }}
  }}
}}"""
