-- Tenants and API tokens (issue #7): every shop belongs to the tenant that connected it, and
-- every API request is made with a bearer token of one tenant.

CREATE TABLE tenants (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
    -- sha256 of the token; the token itself is shown once and never stored.
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Updated at most once a minute per token (see the authenticate query).
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

-- NULL: a shop connected before tenants existed; only the operator sees it until a tenant
-- connects it again with a token Shopify confirms is the shop's own.
ALTER TABLE shops ADD COLUMN tenant_id bigint REFERENCES tenants (id);
CREATE INDEX shops_tenant_id ON shops (tenant_id);
