-- Attachments of a request form (SPEC B1), kept by the application: size-limited and
-- type-checked on upload; confidential and secret ones encrypted (§7.2.1). The content is
-- base64 text (or its encrypted form) so both databases store it the same way.
CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    request_id UUID NOT NULL REFERENCES requests (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_request ON attachments (request_id, id);
