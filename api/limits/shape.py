"""Limits on a GraphQL document's shape: depth, aliases, and cost (objects a response may hold)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

# Cost: every object field counts 1 per object it may return; a list field multiplies its
# selection by its ``first`` (a literal, a variable, or the argument's default) or, without one,
# by ``unbounded_list_size``. Depth counts field levels (``{ shops { id } }`` is 2); aliases are
# counted as the fragments expand. Introspection fields are not measured (the token limit and
# production's introspection switch bound them).
#
# Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every fragment spread again, so a
# few hundred tokens of fragments spreading the previous one twice keep them busy for minutes;
# here each fragment is measured once, and the whole document in time linear in its size.

LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@dataclass(frozen=True)
class ShapeLimits:
    max_depth: int
    max_aliases: int
    max_cost: int
    unbounded_list_size: int


@dataclass(frozen=True)
class Shape:
    cost: int = 0
    depth: int = 0
    aliases: int = 0

    def __add__(self, other: Shape) -> Shape:
        """Two selections side by side."""
        return Shape(
            self.cost + other.cost, max(self.depth, other.depth), self.aliases + other.aliases
        )


class ShapeLimiter(SchemaExtension):
    """Adds a validation rule, bound to the request's variables, refusing oversized documents."""

    def __init__(self, limits: ShapeLimits) -> None:
        self._limits = limits

    def on_operation(self) -> Iterator[None]:
        rule = _shape_rule(self._limits, self.execution_context.variables or {})
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, rule)
        yield


def _shape_rule(limits: ShapeLimits, variables: Mapping[str, Any]) -> type[ValidationRule]:
    class ShapeRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _Measure(context, variables, limits.unbounded_list_size)
            for definition in context.document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                root = _root_type(context, definition.operation)
                if root is not None:
                    shape = measure.selection(definition.selection_set, root)
                    for message in _excesses(shape, limits):
                        context.report_error(
                            GraphQLError(message, definition, extensions={"code": LIMIT_EXCEEDED})
                        )

    return ShapeRule


def _excesses(shape: Shape, limits: ShapeLimits) -> Iterator[str]:
    if shape.depth > limits.max_depth:
        yield f"query depth {shape.depth} exceeds the limit of {limits.max_depth}"
    if shape.aliases > limits.max_aliases:
        yield f"{shape.aliases} aliases exceed the limit of {limits.max_aliases}"
    if shape.cost > limits.max_cost:
        yield (
            f"query cost {shape.cost} exceeds the limit of {limits.max_cost}; ask for fewer "
            "objects (smaller `first`, fewer nested lists)"
        )


def _root_type(context: ValidationContext, operation: OperationType) -> GraphQLNamedType | None:
    schema = context.schema
    if operation is OperationType.QUERY:
        return schema.query_type
    if operation is OperationType.MUTATION:
        return schema.mutation_type
    return schema.subscription_type


class _Measure:
    def __init__(
        self, context: ValidationContext, variables: Mapping[str, Any], unbounded_list_size: int
    ) -> None:
        self._context = context
        self._variables = variables
        self._unbounded = unbounded_list_size
        self._fragments: dict[str, Shape] = {}
        self._in_progress: set[str] = set()

    def selection(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> Shape:
        total = Shape()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self._field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = parent if condition is None else self._type(condition.name.value)
                if target is not None:
                    total += self.selection(node.selection_set, target)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment(node.name.value)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType) -> Shape:
        name = node.name.value
        fields: Mapping[str, GraphQLField] | None = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return Shape()  # introspection; unknown fields are other rules' to report
        alias = 1 if node.alias else 0
        field = fields[name]
        if node.selection_set is None:
            return Shape(cost=0, depth=1, aliases=alias)
        inner = self.selection(node.selection_set, get_named_type(field.type))
        size = self._list_size(node, field) if _is_list(field.type) else 1
        return Shape(size * (1 + inner.cost), 1 + inner.depth, alias + inner.aliases)

    def _fragment(self, name: str) -> Shape:
        if name in self._fragments:
            return self._fragments[name]
        fragment = self._context.get_fragment(name)
        if fragment is None or name in self._in_progress:
            return Shape()  # unknown or cyclic: other rules report it
        target = self._type(fragment.type_condition.name.value)
        self._in_progress.add(name)
        shape = Shape() if target is None else self.selection(fragment.selection_set, target)
        self._in_progress.discard(name)
        self._fragments[name] = shape
        return shape

    def _list_size(self, node: FieldNode, field: GraphQLField) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _size(int(value.value), self._unbounded)
            if isinstance(value, VariableNode) and value.name.value in self._variables:
                return _size(self._variables[value.name.value], self._unbounded)
        declared = field.args.get("first")
        if declared is not None:
            return _size(declared.default_value, self._unbounded)
        return self._unbounded

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._context.schema.get_type(name)


def _size(value: object, fallback: int) -> int:
    """A usable `first`; anything else (null, not an int) counts as the fallback."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return fallback


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
