-- The policy library (issue 11; policy §3.1, SPEC D1-D3). A policy's versions are published
-- through the request form and its review chain: each version names the request that
-- announces it, and its state follows from that request, its message and its dates.
CREATE TABLE policies (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    title_en TEXT,
    owner_department_id BLOB REFERENCES departments (id),
    -- Who the policy is for: {"all": true} or {"partners": [...], "segments": [...]}.
    audience TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX policies_kind ON policies (kind, id);

CREATE TABLE policy_versions (
    id BLOB PRIMARY KEY,
    policy_id BLOB NOT NULL REFERENCES policies (id),
    n BIGINT NOT NULL,
    request_id BLOB NOT NULL UNIQUE REFERENCES requests (id),
    body TEXT NOT NULL,
    effective_at TEXT,
    change_reason TEXT,
    impact TEXT,
    -- §3.1.2: an important change needs the notice period (else the executive step).
    important BOOLEAN NOT NULL,
    withdrawn_at TEXT,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (policy_id, n)
);

-- §3.1.1: answers to questions on a version, published to its whole audience.
CREATE TABLE policy_faqs (
    id BLOB PRIMARY KEY,
    version_id BLOB NOT NULL REFERENCES policy_versions (id),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    thread_id BLOB,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX policy_faqs_version ON policy_faqs (version_id, id);

-- The acknowledgement matrix reads each version's receipts per partner from the index alone.
CREATE INDEX deliveries_receipts ON deliveries (message_id, partner_id, acked_at);
