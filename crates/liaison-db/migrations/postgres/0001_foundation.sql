-- Foundation: departments, users, sessions, partners, contacts, segments, audit chain.
-- Ids are UUIDv7 (UUID here, 16-byte BLOB on SQLite); times are TIMESTAMPTZ.

CREATE TABLE departments (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT,
    head_user_id UUID,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE partners (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_id UUID,
    timezone TEXT NOT NULL,
    working_days TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    tags TEXT NOT NULL,
    notes TEXT,
    search TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX partners_name ON partners (name, id);
CREATE INDEX partners_kind ON partners (kind);
CREATE INDEX partners_region ON partners (region);
CREATE INDEX partners_owner ON partners (owner_id);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    department_id UUID REFERENCES departments (id),
    partner_id UUID REFERENCES partners (id),
    lang TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_partner ON users (partner_id);

CREATE TABLE sessions (
    id UUID PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    label TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    title TEXT,
    im_webhook TEXT,
    preferred_channels TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_partner ON contacts (partner_id, id);

CREATE TABLE segments (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    filter TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    partner_id UUID,
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
