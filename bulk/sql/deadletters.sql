-- Named queries of bulk/deadletters.py: listing a job's dead letters and retrying them.

-- name: list_dead_letters
-- The line is cut to its first line_max_chars characters here, so a huge one never leaves the
-- database whole; char_length gives its full length. A job split into ranges lists its
-- children's, range after range (each file's line numbers are its own).
SELECT id, line_number, byte_offset, reason, left(line, %(line_max_chars)s), created_at,
       retried_at, resolved_at, resolution, char_length(line)
FROM dead_letters
WHERE job_id IN (SELECT %(job_id)s::bigint
                 UNION ALL SELECT id FROM sync_jobs WHERE parent_job_id = %(job_id)s::bigint)
  AND (NOT %(only_open)s::boolean OR resolved_at IS NULL)
ORDER BY job_id, line_number NULLS LAST, id
LIMIT %(limit)s

-- name: list_dead_letters_of_jobs
-- list_dead_letters for many jobs in one statement: the first `limit` of each job; with a
-- tenant_id, only of jobs whose shop that tenant owns.
SELECT j.job_id, d.*
FROM unnest(%(job_ids)s::bigint[]) AS j (job_id)
CROSS JOIN LATERAL (
    SELECT id, line_number, byte_offset, reason, left(line, %(line_max_chars)s), created_at,
           retried_at, resolved_at, resolution, char_length(line)
    FROM dead_letters
    WHERE job_id IN (SELECT j.job_id
                     UNION ALL SELECT id FROM sync_jobs WHERE parent_job_id = j.job_id)
      AND (NOT %(only_open)s::boolean OR resolved_at IS NULL)
    ORDER BY job_id, line_number NULLS LAST, id
    LIMIT %(limit)s
) AS d
WHERE %(tenant_id)s::bigint IS NULL
   OR EXISTS (
       SELECT 1 FROM sync_jobs AS sj JOIN shops AS s ON s.id = sj.shop_id
       WHERE sj.id = j.job_id AND s.tenant_id = %(tenant_id)s::bigint)

-- name: dead_letter_line_chunk
-- Characters offset+1 .. offset+length of one dead letter's line, and its full length.
-- (The start is clamped: offset + 1 must stay an integer.)
SELECT substr(line, least(%(offset)s::bigint + 1, 2147483647)::integer, %(length)s), char_length(line), job_id
FROM dead_letters
WHERE id = %(id)s

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
