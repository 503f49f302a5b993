-- Named queries of bulk/deadletters.py: listing a job's dead letters and retrying them.

-- name: list_dead_letters
SELECT id, line_number, byte_offset, reason, line, created_at, retried_at, resolved_at,
       resolution
FROM dead_letters
WHERE job_id = %(job_id)s
  AND (NOT %(only_open)s::boolean OR resolved_at IS NULL)
ORDER BY line_number NULLS LAST, id
LIMIT %(limit)s

-- name: lock_job_retry
-- One retry at a time per job (a transaction-level advisory lock, keyed by the job id).
SELECT pg_advisory_xact_lock(%(lock_class)s, (%(job_id)s::bigint %% 2147483647)::integer)

-- name: job_for_retry
-- The job's shop, mode and status; the row lock also orders the retry with the ingest's batch
-- commits, and keeps a finished job's status fixed until the retry commits.
SELECT shop_id, sync_mode, status, ingest_finished_at IS NOT NULL AS finished
FROM sync_jobs
WHERE id = %(job_id)s
FOR UPDATE

-- name: open_dead_letters
SELECT id, line_number, byte_offset, line
FROM dead_letters
WHERE job_id = %(job_id)s AND resolved_at IS NULL
ORDER BY line_number NULLS FIRST, id
FOR UPDATE

-- name: superseded_letters
-- After a retry's merge: staged lines a later job has overtaken. An order whose stored row a
-- later job wrote (the retry's version did not go in: the stored one is newer), a line item
-- whose order is no longer the version this job wrote. Staged under the dead letters' ids.
SELECT s.line_no
FROM pg_temp.ingest_batch AS s
JOIN orders AS o
  ON o.shop_id = %(shop_id)s AND o.id = CASE WHEN s.kind = 'o' THEN s.id ELSE s.parent_id END
WHERE o.synced_job_id > %(job_id)s

-- name: mark_resolved
UPDATE dead_letters
SET retried_at = now(), resolved_at = now(), resolution = f.resolution
FROM unnest(%(ids)s::bigint[], %(resolutions)s::text[]) AS f (id, resolution)
WHERE dead_letters.id = f.id

-- name: mark_still_failing
UPDATE dead_letters AS d
SET retried_at = now(), reason = f.reason
FROM unnest(%(ids)s::bigint[], %(reasons)s::text[]) AS f (id, reason)
WHERE d.id = f.id
