// The GraphQL documents of the dashboard.

const JOB = `
  id shopId syncMode trigger status days staleAfterMins createdAt startedAt finishedAt error
  bulkOperationStatus objectCount resultFileSize cursor
  stats { linesRead ordersCreated ordersUpdated ordersSkipped ordersUnchanged ordersDeleted
          failedLines bytesRead }`;

const SCHEDULE = `schedule { updateEveryMins reconcileDaily reconcileAtUtc nextRunAt paused pausedReason }`;

export const WHOAMI = `query { shops { id } }`;

export const SHOPS = `query Shops($first: Int!) {
  shops { id domain apiVersion ${SCHEDULE} }
  syncJobs(first: $first) { id shopId syncMode days staleAfterMins status createdAt }
}`;

export const SHOP = `query Shop($id: ID!) { shop(id: $id) { id domain apiVersion ${SCHEDULE} } }`;

export const JOBS = `query Jobs($shopId: ID!, $first: Int!, $after: String) {
  syncJobs(shopId: $shopId, first: $first, after: $after) { ${JOB} }
}`;

export const CONNECT_SHOP = `mutation Connect($input: ConnectShopInput!) {
  connectShop(input: $input) {
    __typename
    ... on ShopConnected { shop { id domain } initialJob { id status } }
    ... on ValidationError { field message }
    ... on ShopConnectionFailed { message code }
  }
}`;

export const START_JOB = `mutation Start($input: StartSyncJobInput!) {
  startSyncJob(input: $input) {
    __typename
    ... on SyncJobStarted { job { ${JOB} } }
    ... on SyncJobAlreadyRunning { job { ${JOB} } }
    ... on ValidationError { field message }
  }
}`;

export const CANCEL_JOB = `mutation Cancel($id: ID!) {
  cancelSyncJob(id: $id) {
    __typename
    ... on SyncJobCancelled { job { ${JOB} } }
    ... on SyncJobAlreadyFinished { job { ${JOB} } }
    ... on ValidationError { field message }
  }
}`;

export const JOB_UPDATED = `subscription Job($id: ID!) { syncJobUpdated(id: $id) { ${JOB} } }`;

export const JOB_EVENTS = `subscription Events($shopId: ID!) { syncJobEvents(shopId: $shopId) { ${JOB} } }`;

export const DEAD_LETTERS = `query DeadLetters($jobId: ID!, $first: Int!) {
  deadLetters(jobId: $jobId, first: $first, includeResolved: true) {
    id lineNumber byteOffset reason line lineTruncated resolvedAt resolution
  }
}`;

export const RETRY = `mutation Retry($jobId: ID!) {
  retryDeadLetters(jobId: $jobId) {
    __typename
    ... on DeadLettersRetried { retried resolved stillFailing job { ${JOB} } }
    ... on ValidationError { field message }
  }
}`;
