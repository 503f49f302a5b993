-- Secrets at rest (issue #7). Shop access tokens move to an encrypted column (Fernet, keys from
-- SHOP_TOKEN_KEYS); the plaintext column stays only until `shopsync migrate` (or `shopsync keys
-- rotate`) has encrypted every row, which also empties it. Signed result URLs are cleared when
-- a job finishes, whichever path finishes it. Webhook ids are remembered across restarts.

ALTER TABLE shops
    ADD COLUMN access_token_encrypted bytea,
    ALTER COLUMN access_token DROP NOT NULL,
    -- Every shop has a token, encrypted or (legacy, until migrated) plain.
    ADD CONSTRAINT shops_token_present
        CHECK (access_token_encrypted IS NOT NULL OR access_token IS NOT NULL);

-- A finished job needs no result file any more, and its signed URL is a credential.
CREATE FUNCTION sync_jobs_clear_result_url() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.result_url := NULL;
    RETURN NEW;
END;
$$;

CREATE TRIGGER sync_jobs_finished_clears_result_url
    BEFORE INSERT OR UPDATE ON sync_jobs
    FOR EACH ROW
    WHEN (NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND NEW.result_url IS NOT NULL)
    EXECUTE FUNCTION sync_jobs_clear_result_url();

UPDATE sync_jobs SET result_url = NULL
 WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND result_url IS NOT NULL;

-- Webhook deliveries already handled, so a replay (even after a restart) is ignored. Keys:
-- 'webhook:' + X-Shopify-Webhook-Id, and 'operation:' + admin_graphql_api_id + ':' + status
-- (Shopify's docs disagree on which header marks a duplicate). The scheduler prunes rows older
-- than WEBHOOK_ID_RETENTION_S.
CREATE TABLE webhook_deliveries (
    delivery_key text PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);
