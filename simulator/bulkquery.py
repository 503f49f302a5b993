"""Validation of a bulk query document (Shopify's rules and messages) and its projection plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSyntaxError,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    build_schema,
    parse,
    validate,
)

from simulator.order_schema import CONNECTION_ARGS, ORDER_SDL

MAX_QUERY_BYTES = 65_535
MAX_CONNECTIONS = 5
MAX_CONNECTION_DEPTH = 2

MSG_NO_CONNECTION = "Bulk queries must contain at least one connection."
MSG_TOO_MANY_CONNECTIONS = "Bulk queries cannot contain more than 5 connections."
MSG_TOO_DEEP = "Bulk queries cannot contain connections with a nesting depth greater than 2."
MSG_TOP_LEVEL_NODE = "Bulk queries cannot contain a top level `node` field."
MSG_TOP_LEVEL_NODES = "Bulk queries cannot contain a top level `nodes` field."
MSG_PARENT_ID = (
    "The parent 'node' field for a nested connection must select the 'id' field without an "
    "alias and must be of 'ID' return type. Connection fields without 'id': {names}."
)
MSG_CONNECTION_IN_LIST = (
    "Queries that contain a connection field within a list field are not currently supported."
)
MSG_NODES = (
    "All connection fields in a bulk query must select their contents using 'edges' > 'node' ... "
    "Selecting via 'nodes' is not supported. Invalid connection fields: {names}."
)
MSG_OPERATION_TYPE = "Invalid operation type. Only `query` operations are supported."
MSG_TOO_LARGE = "Query is too large ({size} bytes; maximum is 65535 bytes)"
MSG_SYNTAX = "Invalid bulk query: {detail}"
MSG_SINGLE_OPERATION = "Bulk queries must contain exactly one operation."
MSG_SINGLE_FIELD = "Bulk queries must contain exactly one top-level field."
MSG_VARIABLES = "Invalid bulk query: variables are not supported in bulk queries."

SCHEMA_SDL = f"""
scalar DateTime
scalar Decimal
scalar URL
scalar UnsignedInt64

interface Node {{ id: ID! }}

type PageInfo {{
  hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String
}}

type QueryRoot {{
  orders({CONNECTION_ARGS}, query: String, sortKey: OrderSortKeys = PROCESSED_AT,
         savedSearchId: ID): OrderConnection!
  order(id: ID!): Order
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  shop: Shop!
}}

type Shop implements Node {{ id: ID! name: String! currencyCode: CurrencyCode! }}
{ORDER_SDL}
schema {{ query: QueryRoot }}
"""

SCHEMA = build_schema(SCHEMA_SDL)


@dataclass(frozen=True)
class BulkUserError:
    """One ``userErrors`` entry of ``bulkOperationRunQuery``."""

    field: list[str] | None
    message: str
    code: str = "INVALID"


Variants = tuple[tuple[str, tuple["FieldPlan", ...]], ...]
"""Projection of a value of an interface or union type, per concrete ``__typename``."""


@dataclass(frozen=True)
class FieldPlan:
    """One selected field: output ``key`` (alias or name) and nested selection for objects."""

    key: str
    name: str
    children: tuple[FieldPlan, ...] | None = None
    typename: str | None = None
    variants: Variants | None = None
    arguments: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ConnectionPlan:
    """A selected connection: how to project each node and which connections nest below it."""

    key: str
    name: str
    path: tuple[str, ...]
    node_type: str
    fields: tuple[FieldPlan, ...]
    connections: tuple[ConnectionPlan, ...]
    arguments: dict[str, Any] = field(default_factory=dict, compare=False)
    variants: Variants | None = None


@dataclass(frozen=True)
class BulkPlan:
    """A compiled bulk query: root connection arguments plus the projection tree."""

    root_field: str
    search: str | None
    sort_key: str
    reverse: bool
    root: ConnectionPlan

    @property
    def fields(self) -> tuple[FieldPlan, ...]:
        """Projection of each root node."""
        return self.root.fields

    @property
    def connections(self) -> tuple[ConnectionPlan, ...]:
        """Connections nested in the root nodes (rendered as ``__parentId`` lines)."""
        return self.root.connections


class BulkQueryInvalid(ValueError):
    """Raised by :func:`compile_bulk_query` for a document that fails validation."""

    def __init__(self, errors: list[BulkUserError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


@dataclass
class _State:
    fragments: dict[str, FragmentDefinitionNode]
    messages: list[str] = field(default_factory=list)
    connections: int = 0
    too_deep: bool = False
    in_list: bool = False
    nodes_fields: list[str] = field(default_factory=list)
    missing_id: list[str] = field(default_factory=list)
    uses_variables: bool = False

    def error(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)


def _errors(messages: list[str]) -> list[BulkUserError]:
    return [BulkUserError(["query"], message) for message in messages]


def _syntax_detail(error: GraphQLSyntaxError) -> str:
    text = error.message.removeprefix("Syntax Error: ").rstrip(".")
    if "<EOF>" in text:
        return "syntax error, unexpected end of file"
    return f"syntax error, {text[:1].lower()}{text[1:]}"


def validate_bulk_query(document: str) -> list[BulkUserError]:
    """Shopify's bulk-query userErrors for ``document`` (empty when it may run as a bulk query)."""
    return _analyse(document)[0]


def compile_bulk_query(document: str) -> BulkPlan:
    """Compile a valid document into a :class:`BulkPlan` (raises BulkQueryInvalid otherwise)."""
    errors, plan = _analyse(document)
    if errors or plan is None:
        raise BulkQueryInvalid(errors or _errors([MSG_NO_CONNECTION]))
    return plan


def _analyse(document: str) -> tuple[list[BulkUserError], BulkPlan | None]:
    size = len(document.encode("utf-8"))
    if size > MAX_QUERY_BYTES:
        return _errors([MSG_TOO_LARGE.format(size=size)]), None
    try:
        ast = parse(document)
    except GraphQLSyntaxError as error:
        return _errors([MSG_SYNTAX.format(detail=_syntax_detail(error))]), None
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if any(op.operation != OperationType.QUERY for op in operations):
        return _errors([MSG_OPERATION_TYPE]), None
    if len(operations) != 1:
        return _errors([MSG_SINGLE_OPERATION]), None
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    state = _State(fragments)
    root_type = SCHEMA.query_type
    assert root_type is not None
    top = _collect(root_type, operations[0].selection_set, state)
    if "node" in {nodes[0].name.value for nodes in top.values()}:
        state.error(MSG_TOP_LEVEL_NODE)
    if "nodes" in {nodes[0].name.value for nodes in top.values()}:
        state.error(MSG_TOP_LEVEL_NODES)
    roots: list[ConnectionPlan] = []
    for key, nodes in top.items():
        if nodes[0].name.value not in ("node", "nodes"):
            _walk_field(root_type, key, nodes, state, depth=-1, path=(), sink=roots)
    root_plan = roots[0] if roots else None
    root_args = root_plan.arguments if root_plan else {}
    if len(top) > 1:
        state.error(MSG_SINGLE_FIELD)
    unknown = [m for m in state.messages if "doesn't" in m]
    if unknown:
        return _errors(unknown), None
    if state.connections == 0:
        state.error(MSG_NO_CONNECTION)
    if state.connections > MAX_CONNECTIONS:
        state.error(MSG_TOO_MANY_CONNECTIONS)
    if state.too_deep:
        state.error(MSG_TOO_DEEP)
    if state.nodes_fields:
        state.error(MSG_NODES.format(names=", ".join(f"'{n}'" for n in state.nodes_fields)))
    if state.missing_id:
        state.error(MSG_PARENT_ID.format(names=", ".join(state.missing_id)))
    if state.uses_variables:
        state.error(MSG_VARIABLES)
    if not state.messages:
        graphql_errors: list[GraphQLError] = validate(SCHEMA, ast)
        for graphql_error in graphql_errors:
            state.error(MSG_SYNTAX.format(detail=graphql_error.message))
    if state.messages or root_plan is None:
        return _errors(state.messages), None
    plan = BulkPlan(
        root_field=root_plan.name,
        search=root_args.get("query"),
        sort_key=str(root_args.get("sortKey") or "PROCESSED_AT"),
        reverse=bool(root_args.get("reverse") or False),
        root=root_plan,
    )
    return [], plan


def _type_matches(object_type: GraphQLObjectType, condition: str | None) -> bool:
    if condition is None or condition == object_type.name:
        return True
    union = SCHEMA.type_map.get(condition)
    if isinstance(union, GraphQLUnionType):
        return object_type in union.types
    return any(interface.name == condition for interface in object_type.interfaces)


def _collect(
    object_type: GraphQLObjectType, selection_set: SelectionSetNode | None, state: _State
) -> dict[str, list[FieldNode]]:
    """Fields by response key, with inline and named fragments expanded (spec CollectFields)."""
    result: dict[str, list[FieldNode]] = {}
    _collect_into(object_type, selection_set, state, result, set())
    return result


def _collect_into(
    object_type: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
    state: _State,
    result: dict[str, list[FieldNode]],
    visited: set[str],
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            result.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if _type_matches(object_type, condition):
                _collect_into(object_type, selection.selection_set, state, result, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = state.fragments.get(name)
            if fragment is None or name in visited:
                continue
            visited.add(name)
            if _type_matches(object_type, fragment.type_condition.name.value):
                _collect_into(object_type, fragment.selection_set, state, result, visited)


def _merged_selection(nodes: list[FieldNode]) -> SelectionSetNode | None:
    selections = [s for node in nodes if node.selection_set for s in node.selection_set.selections]
    return SelectionSetNode(selections=tuple(selections)) if selections else None


def _literal(value: Any, state: _State) -> Any:
    if isinstance(value, VariableNode):
        state.uses_variables = True
        return None
    if isinstance(value, StringValueNode | EnumValueNode):
        return value.value
    if isinstance(value, BooleanValueNode):
        return value.value
    if isinstance(value, ListValueNode):
        return [_literal(item, state) for item in value.values]
    return getattr(value, "value", None)


def _walk_field(
    parent_type: GraphQLObjectType,
    key: str,
    nodes: list[FieldNode],
    state: _State,
    *,
    depth: int,
    path: tuple[str, ...],
    sink: list[ConnectionPlan],
) -> FieldPlan | None:
    """Walk one selected field: returns its plan, or appends a connection plan to ``sink``."""
    node = nodes[0]
    name = node.name.value
    if name == "__typename":
        return FieldPlan(key, name, None, parent_type.name)
    definition = parent_type.fields.get(name)
    if definition is None:
        state.error(f"Field '{name}' doesn't exist on type '{parent_type.name}'")
        return None
    arguments: dict[str, Any] = {}
    for argument in node.arguments or ():
        arg_name = argument.name.value
        if arg_name not in definition.args:
            state.error(f"Field '{name}' doesn't accept argument '{arg_name}'")
        arguments[arg_name] = _literal(argument.value, state)
    field_type = definition.type
    is_list = False
    while isinstance(field_type, GraphQLNonNull | GraphQLList):
        if isinstance(field_type, GraphQLList):
            is_list = True
        field_type = field_type.of_type
    selection = _merged_selection(nodes)
    if isinstance(field_type, GraphQLInterfaceType | GraphQLUnionType):
        saved = state.in_list
        state.in_list = saved or is_list
        variants = _walk_abstract(field_type, selection, state, depth, (*path, name), sink)
        state.in_list = saved
        return FieldPlan(key, name, (), variants=variants)
    if not isinstance(field_type, GraphQLObjectType):
        return FieldPlan(key, name)
    if field_type.name.endswith("Connection") and "edges" in field_type.fields:
        sink.append(
            _walk_connection(field_type, key, name, selection, state, depth + 1, path, arguments)
        )
        return None
    saved = state.in_list
    state.in_list = saved or is_list
    # Connections below an inline object belong to the enclosing node: they share ``sink``.
    children = _walk_object(field_type, selection, state, depth, (*path, name), sink)
    state.in_list = saved
    return FieldPlan(key, name, children, arguments=arguments)


def _walk_object(
    object_type: GraphQLObjectType,
    selection: SelectionSetNode | None,
    state: _State,
    depth: int,
    path: tuple[str, ...],
    sink: list[ConnectionPlan],
) -> tuple[FieldPlan, ...]:
    """Walk an inline object or node selection into field plans (connections go to ``sink``)."""
    fields: list[FieldPlan] = []
    for key, nodes in _collect(object_type, selection, state).items():
        plan = _walk_field(object_type, key, nodes, state, depth=depth, path=path, sink=sink)
        if plan is not None:
            fields.append(plan)
    return tuple(fields)


def _walk_abstract(
    abstract: GraphQLInterfaceType | GraphQLUnionType,
    selection: SelectionSetNode | None,
    state: _State,
    depth: int,
    path: tuple[str, ...],
    sink: list[ConnectionPlan],
) -> Variants:
    """Walk the selection once per possible concrete type (fragments decide what each gets)."""
    own = abstract.fields if isinstance(abstract, GraphQLInterfaceType) else {}
    unknown = [
        selected.name.value
        for selected in (selection.selections if selection else ())
        if isinstance(selected, FieldNode)
        and selected.name.value != "__typename"
        and selected.name.value not in own
    ]
    for name in unknown:
        state.error(f"Field '{name}' doesn't exist on type '{abstract.name}'")
    if unknown:
        return ()
    variants: list[tuple[str, tuple[FieldPlan, ...]]] = []
    for concrete in SCHEMA.get_possible_types(abstract):
        variants.append(
            (concrete.name, _walk_object(concrete, selection, state, depth, path, sink))
        )
    return tuple(variants)


def _unwrap_object(type_: Any) -> GraphQLObjectType | GraphQLInterfaceType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    return type_


def _walk_connection(
    connection_type: GraphQLObjectType,
    key: str,
    name: str,
    selection: SelectionSetNode | None,
    state: _State,
    depth: int,
    path: tuple[str, ...],
    arguments: dict[str, Any],
) -> ConnectionPlan:
    state.connections += 1
    if depth > MAX_CONNECTION_DEPTH:
        state.too_deep = True
    if state.in_list:
        state.error(MSG_CONNECTION_IN_LIST)
    edge_nodes: list[FieldNode] = []
    for nodes in _collect(connection_type, selection, state).values():
        field_name = nodes[0].name.value
        if field_name == "nodes" and name not in state.nodes_fields:
            state.nodes_fields.append(name)
        elif field_name == "edges":
            edge_nodes.extend(nodes)
        elif field_name not in ("nodes", "pageInfo", "__typename"):
            state.error(f"Field '{field_name}' doesn't exist on type '{connection_type.name}'")
    edge_type = _unwrap_object(connection_type.fields["edges"].type)
    assert isinstance(edge_type, GraphQLObjectType)
    node_nodes: list[FieldNode] = []
    for nodes in _collect(edge_type, _merged_selection(edge_nodes), state).values():
        if nodes[0].name.value == "node":
            node_nodes.extend(nodes)
    node_type = _unwrap_object(edge_type.fields["node"].type)
    saved = state.in_list
    state.in_list = False
    connections: list[ConnectionPlan] = []
    variants: Variants | None = None
    if isinstance(node_type, GraphQLInterfaceType):
        variants = _walk_abstract(
            node_type, _merged_selection(node_nodes), state, depth, (), connections
        )
        fields: tuple[FieldPlan, ...] = ()
    else:
        fields = _walk_object(
            node_type, _merged_selection(node_nodes), state, depth, (), connections
        )
    state.in_list = saved
    if connections and not any(f.key == "id" and f.name == "id" for f in fields):
        for child in connections:
            if child.name not in state.missing_id:
                state.missing_id.append(child.name)
    return ConnectionPlan(
        key=key,
        name=name,
        path=(*path, name),
        node_type=node_type.name,
        fields=fields,
        connections=tuple(connections),
        arguments=arguments,
        variants=variants,
    )
