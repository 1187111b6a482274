-- Foundation: departments, users, sessions, partners, contacts, segments, audit chain.
-- Ids are UUIDv7 (16-byte BLOB here, UUID on PostgreSQL); times are fixed-width RFC 3339 text.

CREATE TABLE departments (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    head_user_id BLOB,
    created_at TEXT NOT NULL
);

CREATE TABLE partners (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_id BLOB,
    timezone TEXT NOT NULL,
    working_days TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    tags TEXT NOT NULL,
    notes TEXT,
    search TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX partners_name ON partners (name, id);
CREATE INDEX partners_kind ON partners (kind);
CREATE INDEX partners_region ON partners (region);
CREATE INDEX partners_owner ON partners (owner_id);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    department_id BLOB REFERENCES departments (id),
    partner_id BLOB REFERENCES partners (id),
    lang TEXT,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_partner ON users (partner_id);

CREATE TABLE sessions (
    id BLOB PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BLOB NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    label TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE contacts (
    id BLOB PRIMARY KEY,
    partner_id BLOB NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    title TEXT,
    im_webhook TEXT,
    preferred_channels TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_partner ON contacts (partner_id, id);

CREATE TABLE segments (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    filter TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id BLOB,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BLOB,
    partner_id BLOB,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_partner ON audit_log (partner_id, seq);
CREATE INDEX audit_entity ON audit_log (entity_id, seq);

-- The chain's head: the last sequence number and hash, so that cutting rows off the end shows.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
