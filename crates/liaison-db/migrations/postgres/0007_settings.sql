-- Settings an admin edits (SPEC: numbers the policy leaves open are settings, not constants).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by UUID REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL
);
