-- API tokens for partners' systems (SPEC H2, policy §7.2.1). A token acts for one partner
-- through a service user of its own (a partner_user of that partner with no password), so
-- every foreign key and audit entry of what it does names it; revoking it deactivates that
-- user. Only the SHA-256 of the token is kept; `hint` is its first characters, for lists.
-- Numbered 0023: 0022 is taken by a change made at the same time.

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id),
    user_id UUID NOT NULL UNIQUE REFERENCES users (id),
    name TEXT NOT NULL,
    hint TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    revoked_by UUID REFERENCES users (id)
);
CREATE INDEX api_tokens_partner ON api_tokens (partner_id, id);
