-- Idempotency keys for mutating API calls (DESIGN: replay returns the first response).
CREATE TABLE idempotency_keys (
    user_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
