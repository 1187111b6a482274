-- Settings an admin edits (SPEC: numbers the policy leaves open are settings, not constants).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by BLOB REFERENCES users (id),
    updated_at TEXT NOT NULL
);
