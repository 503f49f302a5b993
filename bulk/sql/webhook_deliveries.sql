-- Webhook deliveries already handled (see migration 0009).

-- name: claim
-- The keys that were new; a key already present means the delivery is a duplicate.
INSERT INTO webhook_deliveries (delivery_key)
SELECT unnest(%(keys)s::text[])
    ON CONFLICT (delivery_key) DO NOTHING
RETURNING delivery_key;

-- name: prune
DELETE FROM webhook_deliveries
 WHERE received_at < now() - make_interval(secs => %(older_than_s)s);
