-- name: upsert_shop
-- Connects a shop, or refreshes the credentials of one already connected; reports which.
-- The token is stored encrypted only; a legacy plaintext copy is dropped. Only the owning
-- tenant may refresh (or anyone, for a shop without one): otherwise no row.
INSERT INTO shops (domain, access_token_encrypted, api_version, admin_url, tenant_id)
VALUES (%(domain)s, %(access_token_encrypted)s, %(api_version)s, %(admin_url)s, %(tenant_id)s)
ON CONFLICT (domain) DO UPDATE
   SET access_token_encrypted = EXCLUDED.access_token_encrypted,
       access_token = NULL,
       api_version = EXCLUDED.api_version,
       admin_url = EXCLUDED.admin_url,
       tenant_id = COALESCE(shops.tenant_id, EXCLUDED.tenant_id),
       updated_at = now()
 WHERE shops.tenant_id IS NULL OR shops.tenant_id IS NOT DISTINCT FROM EXCLUDED.tenant_id
RETURNING id, domain, access_token_encrypted, api_version, admin_url, created_at, tenant_id,
          extra_order_fields,
          (xmax = 0) AS inserted;

-- name: get_shop
SELECT id, domain, access_token_encrypted, api_version, admin_url, created_at, tenant_id,
       extra_order_fields
  FROM shops
 WHERE id = %(shop_id)s;

-- name: get_shop_by_domain
SELECT id, domain, access_token_encrypted, api_version, admin_url, created_at, tenant_id,
       extra_order_fields
  FROM shops
 WHERE domain = %(domain)s;

-- name: list_shops
SELECT id, domain, access_token_encrypted, api_version, admin_url, created_at, tenant_id,
       extra_order_fields
  FROM shops
 WHERE %(tenant_id)s::bigint IS NULL OR tenant_id = %(tenant_id)s::bigint
 ORDER BY id;

-- name: set_extra_order_fields
-- The fields a shop adds to its orders bulk query (NULL: none); already checked by the caller.
UPDATE shops SET extra_order_fields = %(fields)s, updated_at = now()
 WHERE id = %(shop_id)s
RETURNING id;
