-- Encryption of stored shop access tokens: `shopsync migrate` and `shopsync keys rotate`.

-- name: lock_tokens
-- Every shop row, locked for the rewrite; plaintext only for legacy rows not yet encrypted.
SELECT id, access_token, access_token_encrypted
  FROM shops
 WHERE %(all_rows)s OR access_token_encrypted IS NULL
 ORDER BY id
   FOR UPDATE;

-- name: store_encrypted
UPDATE shops
   SET access_token_encrypted = %(access_token_encrypted)s, access_token = NULL
 WHERE id = %(shop_id)s;
