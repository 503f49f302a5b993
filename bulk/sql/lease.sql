-- Job workflow: leases, state transitions and bulk operation bookkeeping. Every transition is
-- fenced on the lease token and on the job still being active, so a cancelled job or a stale
-- worker changes nothing (the caller sees no row). NOTIFY comes from the sync_jobs triggers.

-- name: take_lease
-- Counts the delivery before any work: a worker killed mid-step (SIGKILL, OOM) still spends one.
UPDATE sync_jobs
   SET lease_token = gen_random_uuid(),
       lease_expires_at = now() + make_interval(secs => %(ttl_s)s),
       deliveries = deliveries + 1
 WHERE id = %(job_id)s
   AND status IN ('QUEUED', 'RUNNING')
   AND (lease_token IS NULL OR lease_expires_at < now())
RETURNING *;

-- name: lease_state
SELECT status,
       GREATEST(EXTRACT(EPOCH FROM lease_expires_at - now()), 0)::float8 AS lease_left_s
  FROM sync_jobs
 WHERE id = %(job_id)s;

-- name: release_lease
-- The step returned normally: the delivery count starts over (a long job's many polls never add
-- up), and the next step is due after its delay (the sweeper's notion of a lost message).
UPDATE sync_jobs
   SET lease_token = NULL, lease_expires_at = NULL,
       deliveries = 0, step_error = NULL,
       error = CASE WHEN error = step_error THEN NULL ELSE error END,  -- the crash is over
       next_step_at = now() + make_interval(secs => %(next_step_in_s)s)
 WHERE id = %(job_id)s AND lease_token = %(lease)s;

-- name: release_crashed
-- The step raised: the delivery still counts; its error is kept (and shown on the job meanwhile)
-- for the readable failure once the delivery budget is spent.
UPDATE sync_jobs
   SET lease_token = NULL, lease_expires_at = NULL,
       step_error = %(error)s, error = %(error)s, updated_at = now(),
       next_step_at = now() + make_interval(secs => %(next_step_in_s)s)
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status IN ('QUEUED', 'RUNNING')
RETURNING deliveries;

-- name: mark_running
UPDATE sync_jobs
   SET status = 'RUNNING', started_at = COALESCE(started_at, now()), updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status IN ('QUEUED', 'RUNNING')
RETURNING *;

-- name: begin_submit
-- Recorded (and committed) before bulkOperationRunQuery: if its answer is lost, the next step
-- knows a submit may have happened and reconciles instead of starting a duplicate.
UPDATE sync_jobs
   SET submit_started_at = now(), updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING submit_started_at;

-- name: clear_submit
UPDATE sync_jobs
   SET submit_started_at = NULL, updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING id;

-- name: record_submission
-- A new operation: its id first, and a fresh checkpoint (a checkpoint belongs to one file). The
-- id is remembered as the job's in the same statement, so no later job can adopt it.
WITH job AS (
    UPDATE sync_jobs
       SET bulk_operation_id = %(operation_id)s,
           bulk_status = %(bulk_status)s,
           bulk_status_since = now(),
           bulk_submitted_at = now(),
           bulk_attempts = bulk_attempts + %(attempt_increment)s,
           poll_count = 0,
           submit_started_at = NULL,
           result_url = NULL,
           result_file_size = NULL,
           object_count = %(object_count)s,
           root_object_count = %(root_object_count)s,
           checkpoint_line = 0,
           checkpoint_byte = 0,
           checkpoint_at = NULL,
           url_refreshes = 0,
           transient_failures = 0,
           error = NULL,
           updated_at = now()
     WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
    RETURNING *
), remembered AS (
    INSERT INTO sync_job_operations AS o (job_id, shop_id, operation_id, role)
    SELECT id, shop_id, %(operation_id)s, %(role)s FROM job
    ON CONFLICT (job_id, operation_id) DO UPDATE SET role = EXCLUDED.role
)
SELECT * FROM job;

-- name: remember_operations
-- Operations that exist right before a submit: whatever the clocks say, not this submit's.
INSERT INTO sync_job_operations (job_id, shop_id, operation_id, role)
SELECT j.id, j.shop_id, o.id, 'preexisting'
  FROM sync_jobs AS j, unnest(%(operation_ids)s::text[]) AS o (id)
 WHERE j.id = %(job_id)s AND j.lease_token = %(lease)s AND j.status = 'RUNNING'
ON CONFLICT (job_id, operation_id) DO NOTHING;

-- name: known_operations
-- Every operation any job of the shop submitted, adopted or saw before submitting.
SELECT DISTINCT o.operation_id
  FROM sync_jobs AS j
  JOIN sync_job_operations AS o ON o.shop_id = j.shop_id
 WHERE j.id = %(job_id)s;

-- name: drop_operation
-- The followed operation ended without a usable result: forget it before resubmitting.
UPDATE sync_jobs
   SET bulk_operation_id = NULL,
       bulk_status = %(bulk_status)s,
       error = %(error)s,
       result_url = NULL,
       result_file_size = NULL,
       checkpoint_line = 0,
       checkpoint_byte = 0,
       checkpoint_at = NULL,
       updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING *;

-- name: record_poll
-- bulk_status_since moves only when the status changes: how long the operation has been in it.
UPDATE sync_jobs
   SET bulk_status = %(bulk_status)s,
       bulk_status_since = CASE
           WHEN bulk_status IS DISTINCT FROM %(bulk_status)s OR bulk_status_since IS NULL
           THEN now() ELSE bulk_status_since END,
       object_count = %(object_count)s,
       root_object_count = %(root_object_count)s,
       poll_count = poll_count + 1,
       transient_failures = 0,
       updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
   AND bulk_operation_id = %(operation_id)s
RETURNING *, EXTRACT(EPOCH FROM now() - bulk_status_since)::float8 AS bulk_status_age_s,
          EXTRACT(EPOCH FROM now() - bulk_submitted_at)::float8 AS bulk_submitted_age_s;

-- name: record_result
UPDATE sync_jobs
   SET bulk_status = 'COMPLETED',
       result_url = %(url)s,
       result_file_size = %(file_size)s,
       object_count = %(object_count)s,
       root_object_count = %(root_object_count)s,
       bulk_created_at = %(created_at)s,
       transient_failures = 0,
       updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
   AND bulk_operation_id = %(operation_id)s
RETURNING *;

-- name: refresh_url
UPDATE sync_jobs
   SET result_url = %(url)s, url_refreshes = url_refreshes + 1, updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
   AND bulk_operation_id = %(operation_id)s
RETURNING *;

-- name: checkpoint_of
SELECT checkpoint_byte FROM sync_jobs WHERE id = %(job_id)s AND lease_token = %(lease)s;

-- name: record_progress
UPDATE sync_jobs
   SET transient_failures = 0, updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING id;

-- name: record_transient_failure
UPDATE sync_jobs
   SET transient_failures = transient_failures + 1, error = %(error)s, updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING transient_failures;

-- name: complete_job
UPDATE sync_jobs
   SET status = 'COMPLETED', finished_at = now(), error = NULL, updated_at = now(),
       lease_token = NULL, lease_expires_at = NULL
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
RETURNING *;

-- name: fail_job
UPDATE sync_jobs
   SET status = 'FAILED', finished_at = now(), error = %(error)s, updated_at = now(),
       lease_token = NULL, lease_expires_at = NULL
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status IN ('QUEUED', 'RUNNING')
RETURNING *;

-- name: cancel_job
UPDATE sync_jobs
   SET status = 'CANCELLED', finished_at = now(), updated_at = now()
 WHERE id = %(job_id)s AND status IN ('QUEUED', 'RUNNING')
RETURNING id, shop_id, bulk_operation_id, bulk_status;
