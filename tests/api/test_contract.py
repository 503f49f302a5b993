"""The frontends' contract: every type, field, argument, enum value and union member exists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_client_schema,
    build_schema,
    get_introspection_query,
)

from tests.support.api import graphql

pytestmark = pytest.mark.anyio

CONTRACT = """
scalar DateTime
scalar BigInt
scalar Decimal
enum SyncMode { POPULATE UPDATE FULL }
enum JobType { ORDERS }
enum SyncJobStatus { QUEUED RUNNING COMPLETED FAILED CANCELLED }
enum SyncJobTrigger { MANUAL INITIAL SCHEDULED RETRY }
input ConnectShopInput { domain: String! accessToken: String! apiVersion: String adminUrl: String
  initialSync: Boolean = true }
input StartSyncJobInput {
  shopId: ID! jobType: JobType = ORDERS syncMode: SyncMode days: Int staleAfterMins: Int
}
type Mutation {
  connectShop(input: ConnectShopInput!): ConnectShopResult!
  startSyncJob(input: StartSyncJobInput!): StartSyncJobResult!
  cancelSyncJob(id: ID!): CancelSyncJobResult!
  clearCheckpoint(jobId: ID!): ClearCheckpointResult!
  setSyncSchedule(shopId: ID!, input: SetSyncScheduleInput!): SetSyncScheduleResult!
}
type Query {
  syncJob(id: ID!): SyncJob
  syncJobs(shopId: ID, first: Int = 50, status: SyncJobStatus, mode: SyncMode,
    trigger: SyncJobTrigger, after: String): [SyncJob!]!
  shop(id: ID!): Shop
  shops: [Shop!]!
  orders(shopId: ID!, first: Int = 50, after: String, updatedSince: DateTime): [Order!]!
}
type Order { id: ID! legacyResourceId: String name: String email: String createdAt: DateTime
  updatedAt: DateTime processedAt: DateTime cancelledAt: DateTime currencyCode: String
  financialStatus: String fulfillmentStatus: String totalPrice: Decimal subtotalPrice: Decimal
  totalTax: Decimal totalDiscounts: Decimal customerId: String tags: [String!]! cursor: String!
  lineItems(first: Int = 50): [LineItem!]! }
type LineItem { id: ID! sku: String name: String title: String variantTitle: String
  vendor: String quantity: Int currentQuantity: Int originalUnitPrice: Decimal
  discountedTotal: Decimal currencyCode: String }
type SyncJob { id: ID! shopId: ID! jobType: JobType! syncMode: SyncMode! status: SyncJobStatus!
  createdAt: DateTime! startedAt: DateTime finishedAt: DateTime error: String stats: SyncJobStats!
  bulkOperationStatus: String objectCount: BigInt resultFileSize: BigInt
  trigger: SyncJobTrigger! cursor: String!
  checkpointClearedAt: DateTime checkpointClearedReason: String resumedFromJobId: ID }
type SyncJobStats { linesRead: Int! ordersCreated: Int! ordersUpdated: Int! ordersSkipped: Int!
  lineItemsWritten: Int! failedLines: Int! bytesRead: BigInt!
  ordersUnchanged: Int! lineItemsSkipped: Int! lineItemsDeleted: Int! ordersDeleted: Int! }
union ConnectShopResult = ShopConnected | ValidationError | ShopConnectionFailed
type ShopConnected { shop: Shop! initialJob: SyncJob }
type Shop { id: ID! domain: String! apiVersion: String! schedule: SyncSchedule }
input SetSyncScheduleInput {
  updateEveryMins: Int staleMarginMins: Int = 5 reconcileDaily: Boolean! = false
  reconcileAtUtc: String = "03:00" paused: Boolean! = false
}
union SetSyncScheduleResult = SyncScheduleSet | ValidationError
type SyncScheduleSet { shop: Shop! schedule: SyncSchedule }
type SyncSchedule { updateEveryMins: Int staleMarginMins: Int! reconcileDaily: Boolean!
  reconcileAtUtc: String nextRunAt: DateTime lastRunAt: DateTime lastJobId: ID paused: Boolean!
  pausedReason: String pausedAt: DateTime recentSlots(first: Int = 10): [ScheduleSlot!]! }
enum ScheduleSlotKind { UPDATE RECONCILE }
enum ScheduleSlotOutcome { STARTED SKIPPED_ACTIVE_JOB SKIPPED_PAUSED }
type ScheduleSlot { slotAt: DateTime! kind: ScheduleSlotKind! outcome: ScheduleSlotOutcome!
  jobId: ID }
union StartSyncJobResult = SyncJobStarted | SyncJobAlreadyRunning | ValidationError
type SyncJobStarted { job: SyncJob! }
type SyncJobAlreadyRunning { job: SyncJob! }
union CancelSyncJobResult = SyncJobCancelled | SyncJobAlreadyFinished | ValidationError
type SyncJobCancelled { job: SyncJob! }
type SyncJobAlreadyFinished { job: SyncJob! }
union ClearCheckpointResult = CheckpointCleared | ValidationError
type CheckpointCleared { job: SyncJob! }
type ValidationError { field: String message: String! }
type ShopConnectionFailed { message: String! }
"""


def _same(got: Any, expected: Any) -> bool:
    """Same type, and the same default when the contract gives one."""
    if got is None or str(got.type) != str(expected.type):
        return False
    return expected.default_value is None or got.default_value == expected.default_value


def _missing_members(name: str, expected: GraphQLNamedType, actual: GraphQLNamedType) -> list[str]:
    """What the contract names inside one type that the served type lacks."""
    if isinstance(expected, GraphQLEnumType):
        assert isinstance(actual, GraphQLEnumType)
        return [f"{name}.{v}" for v in expected.values if v not in actual.values]
    if isinstance(expected, GraphQLUnionType):
        assert isinstance(actual, GraphQLUnionType)
        members = {t.name for t in actual.types}
        return [f"{name} | {t.name}" for t in expected.types if t.name not in members]
    if isinstance(expected, GraphQLInputObjectType):
        assert isinstance(actual, GraphQLInputObjectType)
        return [
            f"{name}.{field_name}: {field.type}"
            for field_name, field in expected.fields.items()
            if not _same(actual.fields.get(field_name), field)
        ]
    missing: list[str] = []
    if isinstance(expected, GraphQLObjectType):
        assert isinstance(actual, GraphQLObjectType)
        for field_name, field in expected.fields.items():
            got = actual.fields.get(field_name)
            if got is None or str(got.type) != str(field.type):
                missing.append(f"{name}.{field_name}: {field.type}")
                continue
            missing += [
                f"{name}.{field_name}({arg_name}: {arg.type} = {arg.default_value})"
                for arg_name, arg in field.args.items()
                if not _same(got.args.get(arg_name), arg)
            ]
    return missing


async def test_served_schema_contains_the_whole_contract(client: httpx.AsyncClient) -> None:
    body = await graphql(client, get_introspection_query())
    served = build_client_schema(body["data"])
    contract = build_schema(CONTRACT)

    missing: list[str] = []
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        actual = served.type_map.get(name)
        if actual is None or type(actual) is not type(expected):
            missing.append(f"type {name}")
        else:
            missing += _missing_members(name, expected, actual)
    assert missing == []


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
