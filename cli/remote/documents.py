"""The GraphQL documents the API client commands send."""

from __future__ import annotations

JOB_FIELDS = """
  id shopId jobType syncMode trigger status days staleAfterMins createdAt startedAt finishedAt
  error bulkOperationId bulkOperationStatus objectCount resultFileSize
  stats { linesRead bytesRead ordersCreated ordersUpdated ordersUnchanged ordersSkipped
          ordersDeleted lineItemsWritten lineItemsSkipped lineItemsDeleted failedLines
          linesSuperseded }
"""
SCHEDULE_FIELDS = """
  updateEveryMins staleMarginMins reconcileDaily reconcileAtUtc nextRunAt lastRunAt lastJobId
  paused pausedReason
"""
SHOP_FIELDS = f"id domain apiVersion adminUrl createdAt schedule {{ {SCHEDULE_FIELDS} }}"

SHOPS = f"query Shops {{ shops {{ {SHOP_FIELDS} }} }}"
CONNECT_SHOP = f"""
mutation Connect($input: ConnectShopInput!) {{
  connectShop(input: $input) {{
    __typename
    ... on ShopConnected {{ shop {{ {SHOP_FIELDS} }} initialJob {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
    ... on ShopConnectionFailed {{ code message }}
  }}
}}
"""
START_JOB = f"""
mutation Start($input: StartSyncJobInput!) {{
  startSyncJob(input: $input) {{
    __typename
    ... on SyncJobStarted {{ job {{ {JOB_FIELDS} }} }}
    ... on SyncJobAlreadyRunning {{ job {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""
CANCEL_JOB = f"""
mutation Cancel($id: ID!) {{
  cancelSyncJob(id: $id) {{
    __typename
    ... on SyncJobCancelled {{ job {{ {JOB_FIELDS} }} }}
    ... on SyncJobAlreadyFinished {{ job {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""
GET_JOB = f"query Job($id: ID!) {{ syncJob(id: $id) {{ {JOB_FIELDS} }} }}"
LIST_JOBS = f"""
query Jobs($shopId: ID, $first: Int, $status: SyncJobStatus, $mode: SyncMode) {{
  syncJobs(shopId: $shopId, first: $first, status: $status, mode: $mode) {{ {JOB_FIELDS} }}
}}
"""
WATCH_JOB = f"subscription Watch($id: ID!) {{ syncJobUpdated(id: $id) {{ {JOB_FIELDS} }} }}"
SET_SCHEDULE = f"""
mutation Schedule($shopId: ID!, $input: SetSyncScheduleInput!) {{
  setSyncSchedule(shopId: $shopId, input: $input) {{
    __typename
    ... on SyncScheduleSet {{ shop {{ id domain }} schedule {{ {SCHEDULE_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
