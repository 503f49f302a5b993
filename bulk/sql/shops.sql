-- name: upsert_shop
-- Connects a shop, or refreshes the credentials of one already connected; reports which.
-- The token is stored encrypted only; a legacy plaintext copy is dropped.
INSERT INTO shops (domain, access_token_encrypted, api_version, admin_url)
VALUES (%(domain)s, %(access_token_encrypted)s, %(api_version)s, %(admin_url)s)
ON CONFLICT (domain) DO UPDATE
   SET access_token_encrypted = EXCLUDED.access_token_encrypted,
       access_token = NULL,
       api_version = EXCLUDED.api_version,
       admin_url = EXCLUDED.admin_url,
       updated_at = now()
RETURNING id, domain, access_token_encrypted, api_version, admin_url, created_at, (xmax = 0) AS inserted;

-- name: get_shop
SELECT id, domain, access_token_encrypted, api_version, admin_url, created_at
  FROM shops
 WHERE id = %(shop_id)s;

-- name: list_shops
SELECT id, domain, access_token_encrypted, api_version, admin_url, created_at
  FROM shops
 ORDER BY id;
