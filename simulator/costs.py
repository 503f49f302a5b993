"""Query cost by Shopify's default rules: scalar 0, object 1, connection sized, mutation 10."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.language import OperationType

FREE_TYPES = ("PageInfo",)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        ops = [o for o in ops if o.name is not None and o.name.value == name]
    return ops[0] if len(ops) == 1 or (ops and name) else None


class CostCalculator:
    """Computes requested cost (from arguments) and actual cost (from returned data)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        mutation_cost: int = 10,
    ) -> None:
        self._schema = schema
        self._variables = variables or {}
        self._mutation_cost = mutation_cost
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._document = document

    def cost(self, operation_name: str | None, data: dict[str, Any] | None = None) -> int:
        """Cost of the operation; pass ``data`` to size connections by what was returned."""
        op = _operation(self._document, operation_name)
        if op is None:
            return 0
        if op.operation == OperationType.MUTATION:
            return self._mutation_cost * len(self._fields(op.selection_set))
        root = self._schema.query_type
        if root is None:
            return 0
        return self._selection_cost(root, op.selection_set, data)

    def _fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        if selection_set is None:
            return out
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                out.extend(self._fields(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode):
                frag = self._fragments.get(sel.name.value)
                if frag is not None:
                    out.extend(self._fields(frag.selection_set))
        return out

    def _int_arg(self, node: FieldNode, *names: str) -> int | None:
        for arg in node.arguments or ():
            if arg.name.value not in names:
                continue
            value = arg.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                raw = self._variables.get(value.name.value)
                return int(raw) if isinstance(raw, int) else None
        return None

    def _type_of(self, parent: Any, name: str) -> Any:
        fields = getattr(parent, "fields", None)
        if fields is None or name not in fields:
            # Interfaces/unions: look the field up on any possible object type.
            for candidate in self._schema.type_map.values():
                if isinstance(candidate, GraphQLObjectType) and name in candidate.fields:
                    return get_named_type(candidate.fields[name].type)
            return None
        return get_named_type(fields[name].type)

    def _selection_cost(self, parent: Any, sel: SelectionSetNode | None, data: Any) -> int:
        total = 0
        for node in self._fields(sel):
            name = node.name.value
            if name.startswith("__"):
                continue
            named = self._type_of(parent, name)
            if named is None or is_leaf_type(named) or named.name in FREE_TYPES:
                continue
            key = node.alias.value if node.alias else name
            value = data.get(key) if isinstance(data, dict) else None
            if named.name.endswith("Connection"):
                total += self._connection_cost(named, node, value)
            else:
                sample = value[0] if isinstance(value, list) and value else value
                total += 1 + self._selection_cost(named, node.selection_set, sample)
        return total

    def _connection_cost(self, conn: Any, node: FieldNode, value: Any) -> int:
        size = self._int_arg(node, "first", "last") or 0
        if isinstance(value, dict):
            returned = value.get("edges", value.get("nodes"))
            if isinstance(returned, list):
                size = len(returned)
        per_node = 0
        for part in self._fields(node.selection_set):
            if part.name.value == "edges":
                edge_type = self._type_of(conn, "edges")
                for inner in self._fields(part.selection_set):
                    if inner.name.value == "node":
                        node_type = self._type_of(edge_type, "node")
                        per_node += 1 + self._selection_cost(node_type, inner.selection_set, None)
            elif part.name.value == "nodes":
                node_type = self._type_of(conn, "nodes")
                per_node += 1 + self._selection_cost(node_type, part.selection_set, None)
        return 2 + size * max(per_node, 1)
