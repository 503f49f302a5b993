"""A per-request cost cap: the estimated number of objects a response may hold.

Every object field counts 1 per object it may return; a list field multiplies its selection by
its ``first`` (a literal, a variable, or the argument's default) or, without one, by
``unbounded_list_size``. Introspection fields are not counted (the depth and token limits bound
them). Fragments are costed once each, so a document reusing them cannot make this rule slow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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

LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


class CostLimiter(SchemaExtension):
    """Adds a validation rule, bound to the request's variables, refusing costs over the cap."""

    def __init__(self, *, max_cost: int, unbounded_list_size: int) -> None:
        self._max_cost = max_cost
        self._unbounded_list_size = unbounded_list_size

    def on_operation(self) -> Iterator[None]:
        rule = _cost_rule(
            self._max_cost, self._unbounded_list_size, self.execution_context.variables or {}
        )
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, rule)
        yield


def _cost_rule(
    max_cost: int, unbounded_list_size: int, variables: Mapping[str, Any]
) -> type[ValidationRule]:
    class CostRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            estimate = _Estimate(context, variables, unbounded_list_size)
            for definition in context.document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                root = _root_type(context, definition.operation)
                if root is None:
                    continue
                cost = estimate.selection_cost(definition.selection_set, root)
                if cost > max_cost:
                    context.report_error(
                        GraphQLError(
                            f"query cost {cost} exceeds the limit of {max_cost}; ask for "
                            "fewer objects (smaller `first`, fewer nested lists)",
                            definition,
                            extensions={"code": LIMIT_EXCEEDED},
                        )
                    )

    return CostRule


def _root_type(context: ValidationContext, operation: OperationType) -> GraphQLNamedType | None:
    schema = context.schema
    if operation is OperationType.QUERY:
        return schema.query_type
    if operation is OperationType.MUTATION:
        return schema.mutation_type
    return schema.subscription_type


class _Estimate:
    def __init__(
        self,
        context: ValidationContext,
        variables: Mapping[str, Any],
        unbounded_list_size: int,
    ) -> None:
        self._context = context
        self._variables = variables
        self._unbounded = unbounded_list_size
        self._fragments: dict[str, int] = {}
        self._in_progress: set[str] = set()

    def selection_cost(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = parent if condition is None else self._type(condition.name.value)
                if target is not None:
                    total += self.selection_cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value)
        return total

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        name = node.name.value
        fields: Mapping[str, GraphQLField] | None = getattr(parent, "fields", None)
        if node.selection_set is None or name.startswith("__") or not fields or name not in fields:
            return 0  # leaves cost nothing; unknown fields are other rules' to report
        field = fields[name]
        size = self._list_size(node, field) if _is_list(field.type) else 1
        inner = self.selection_cost(node.selection_set, get_named_type(field.type))
        return size * (1 + inner)

    def _fragment_cost(self, name: str) -> int:
        if name in self._fragments:
            return self._fragments[name]
        fragment = self._context.get_fragment(name)
        if fragment is None or name in self._in_progress:
            return 0  # unknown or cyclic: NoUnusedFragments / NoFragmentCycles report it
        target = self._type(fragment.type_condition.name.value)
        self._in_progress.add(name)
        cost = 0 if target is None else self.selection_cost(fragment.selection_set, target)
        self._in_progress.discard(name)
        self._fragments[name] = cost
        return cost

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
