"""The GraphQL documents the adapter sends to the Admin API."""

from __future__ import annotations

OPERATION_FIELDS = """
    id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url
    partialDataUrl query
"""

SHOP = "query ShopInfo { shop { name myshopifyDomain } }"

# The shop's oldest order (a regular query, 2-3 cost points): where a split job's ranges start.
# ``query`` narrows it to a job's own filter (a POPULATE's window).
EARLIEST_ORDER = """
query EarliestOrder($query: String) {
  orders(first: 1, sortKey: CREATED_AT, query: $query) { edges { node { createdAt } } }
}
"""

# How many orders match ``query`` (a job's own filter), counted no further than ``limit``
# (ordersCount from 2024-07; its ``limit`` defaults to 10,000 and null means none): a count
# capped by the limit comes back with precision AT_LEAST. Costs like any regular query.
ORDERS_COUNT = """
query OrdersCount($query: String, $limit: Int) {
  ordersCount(query: $query, limit: $limit) { count precision }
}
"""

# groupObjects exists from 2025-07 on: pinned explicitly there, omitted before.
RUN_BULK_QUERY = f"""
mutation RunBulkQuery($query: String!, $groupObjects: Boolean!) {{
  bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {{
    bulkOperation {{ {OPERATION_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""

RUN_BULK_QUERY_NO_GROUPING = f"""
mutation RunBulkQuery($query: String!) {{
  bulkOperationRunQuery(query: $query) {{
    bulkOperation {{ {OPERATION_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""

# Before 2025-01 the payload's userErrors are plain UserError (no code).
RUN_BULK_QUERY_NO_CODE = f"""
mutation RunBulkQuery($query: String!) {{
  bulkOperationRunQuery(query: $query) {{
    bulkOperation {{ {OPERATION_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

# node(id:) works on every version (bulkOperation(id:) only from 2026-01).
NODE = f"""
query BulkOperationNode($id: ID!) {{
  node(id: $id) {{ ... on BulkOperation {{ {OPERATION_FIELDS} }} }}
}}
"""

CANCEL = f"""
mutation CancelBulkOperation($id: ID!) {{
  bulkOperationCancel(id: $id) {{
    bulkOperation {{ {OPERATION_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

CURRENT = f"""
query CurrentBulkOperation {{
  currentBulkOperation(type: QUERY) {{ {OPERATION_FIELDS} }}
}}
"""

RECENT = f"""
query RecentBulkOperations($first: Int!, $query: String) {{
  bulkOperations(first: $first, query: $query) {{
    edges {{ node {{ {OPERATION_FIELDS} }} }}
  }}
}}
"""

# The address goes in a variable, so one document serves ``uri`` and ``callbackUrl`` versions.
SUBSCRIBE_BULK_FINISH = """
mutation SubscribeBulkOperationsFinish($subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""

SUBSCRIBE_ORDERS_DELETE = """
mutation SubscribeOrdersDelete($subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: ORDERS_DELETE, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""


def order_selection_probe(selection: str) -> str:
    """A plain (not bulk) query selecting ``selection`` on one order: Shopify validates it
    against the shop's schema and version and answers with its own messages if it cannot run."""
    return (
        f"query OrderFieldsProbe {{ orders(first: 1) {{ edges {{ node {{ id {selection} }} }} }} }}"
    )
