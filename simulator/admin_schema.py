"""The outer Admin GraphQL schema (SDL) as it looks in each supported API version."""

from __future__ import annotations

import threading
from collections.abc import Callable

from graphql import GraphQLSchema, build_schema

from simulator.config import SimulatorConfig
from simulator.order_schema import ORDER_SDL

_COMMON = """
schema { query: QueryRoot mutation: Mutation }
scalar DateTime
scalar URL
scalar UnsignedInt64
scalar Decimal
interface Node { id: ID! }
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationType { MUTATION QUERY }
type BulkOperation implements Node {
  id: ID! status: BulkOperationStatus! errorCode: BulkOperationErrorCode createdAt: DateTime!
  completedAt: DateTime objectCount: UnsignedInt64! rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64 url: URL partialDataUrl: URL query: String! type: BulkOperationType!
}
type UserError { field: [String!] message: String! }
type BulkOperationCancelPayload { bulkOperation: BulkOperation userErrors: [UserError!]! }
type PageInfo {
  hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String
}
type Shop implements Node {
  id: ID! name: String! myshopifyDomain: String! email: String currencyCode: CurrencyCode!
}
type AccessScope { handle: String! description: String! }
type AppInstallation implements Node { id: ID! accessScopes: [AccessScope!]! }
enum WebhookSubscriptionTopic {
  BULK_OPERATIONS_FINISH APP_UNINSTALLED ORDERS_CREATE ORDERS_UPDATED ORDERS_DELETE
}
enum WebhookSubscriptionFormat { JSON XML }
type WebhookSubscriptionCreatePayload {
  webhookSubscription: WebhookSubscription userErrors: [UserError!]!
}
"""

_MULTI_OP = """
enum BulkOperationsSortKeys { COMPLETED_AT CREATED_AT ID RELEVANCE }
type BulkOperationEdge { cursor: String! node: BulkOperation! }
type BulkOperationConnection {
  edges: [BulkOperationEdge!]! nodes: [BulkOperation!]! pageInfo: PageInfo!
}
"""

_USER_ERROR_CODE = """
enum BulkOperationUserErrorCode { INVALID LIMIT_REACHED OPERATION_IN_PROGRESS }
type BulkOperationUserError { field: [String!] message: String! code: BulkOperationUserErrorCode }
"""


def build_sdl(config: SimulatorConfig, version: str) -> str:
    """The SDL of the Admin API as served at ``version``."""
    multi = version >= config.multi_op_since
    coded = version >= config.user_error_code_since
    has_uri = version >= config.webhook_uri_since
    until = config.current_bulk_operation_until
    parts = [_COMMON, ORDER_SDL]
    if multi:
        parts.append(_MULTI_OP)
    if coded:
        parts.append(_USER_ERROR_CODE)
    run_error = "BulkOperationUserError" if coded else "UserError"
    parts.append(
        "type BulkOperationRunQueryPayload "
        f"{{ bulkOperation: BulkOperation userErrors: [{run_error}!]! }}"
    )
    uri_field = "uri: String!" if has_uri else ""
    uri_input = "uri: String" if has_uri else ""
    parts.append(
        "type WebhookSubscription implements Node { id: ID! topic: WebhookSubscriptionTopic! "
        f"{uri_field} callbackUrl: URL! format: WebhookSubscriptionFormat! createdAt: DateTime! }}"
        f"\ninput WebhookSubscriptionInput {{ {uri_input} callbackUrl: URL "
        "format: WebhookSubscriptionFormat = JSON }"
    )
    query_fields = [
        "shop: Shop!",
        "currentAppInstallation: AppInstallation!",
        "node(id: ID!): Node",
        "nodes(ids: [ID!]!): [Node]!",
        "order(id: ID!): Order",
        "orders(first: Int, last: Int, after: String, before: String, reverse: Boolean = false, "
        "sortKey: OrderSortKeys = PROCESSED_AT, query: String): OrderConnection!",
        # From 2024-07; counts past `limit` answer it with AT_LEAST, `limit: null` counts all.
        "ordersCount(query: String, limit: Int = 10000): Count",
    ]
    if until is None or version <= until:
        query_fields.append("currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation")
    if multi:
        query_fields.append("bulkOperation(id: ID!): BulkOperation")
        query_fields.append(
            "bulkOperations(first: Int, last: Int, after: String, before: String, "
            "reverse: Boolean = false, sortKey: BulkOperationsSortKeys = CREATED_AT, "
            "query: String): BulkOperationConnection!"
        )
    parts.append("type QueryRoot {\n  " + "\n  ".join(query_fields) + "\n}")
    if version >= config.group_objects_since:
        default = "false" if multi else "true"
        run_args = f"query: String!, groupObjects: Boolean! = {default}"
    else:
        run_args = "query: String!"
    parts.append(
        "type Mutation {\n"
        f"  bulkOperationRunQuery({run_args}): BulkOperationRunQueryPayload\n"
        "  bulkOperationCancel(id: ID!): BulkOperationCancelPayload\n"
        "  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, "
        "webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload\n"
        "}"
    )
    return "\n".join(parts)


class SchemaCache:
    """Builds each version's schema once and hands out the cached instance."""

    def __init__(
        self,
        config: SimulatorConfig,
        decorate: Callable[[GraphQLSchema], GraphQLSchema] | None = None,
    ) -> None:
        self._config = config
        self._decorate = decorate
        self._schemas: dict[str, GraphQLSchema] = {}
        self._lock = threading.Lock()

    def get(self, version: str) -> GraphQLSchema:
        """The schema for ``version`` (built and decorated on first use)."""
        with self._lock:
            schema = self._schemas.get(version)
            if schema is None:
                schema = build_schema(build_sdl(self._config, version))
                if self._decorate is not None:
                    schema = self._decorate(schema)
                self._schemas[version] = schema
            return schema
