-- name: ensure_tenant
-- The tenant's id, creating it on first use (the no-op update makes RETURNING see old rows).
INSERT INTO tenants (name) VALUES (%(name)s)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id, name;

-- name: insert_token
INSERT INTO api_tokens (tenant_id, role, token_hash)
VALUES (%(tenant_id)s, %(role)s, %(token_hash)s)
RETURNING id;

-- name: list_tokens
SELECT k.id, t.name AS tenant, k.role, k.created_at, k.last_used_at, k.revoked_at
  FROM api_tokens k
  JOIN tenants t ON t.id = k.tenant_id
 WHERE %(tenant)s::text IS NULL OR t.name = %(tenant)s::text
 ORDER BY k.id;

-- name: revoke_token
UPDATE api_tokens SET revoked_at = now()
 WHERE id = %(token_id)s AND revoked_at IS NULL
RETURNING id;

-- name: authenticate
-- One round trip: the live token's tenant and role, and last_used_at refreshed at most once a
-- minute so a busy client does not turn every read into a write.
WITH found AS (
    SELECT id, tenant_id, role, last_used_at
      FROM api_tokens
     WHERE token_hash = %(token_hash)s AND revoked_at IS NULL
), touched AS (
    UPDATE api_tokens k
       SET last_used_at = now()
      FROM found
     WHERE k.id = found.id
       AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
)
SELECT id, tenant_id, role FROM found;
