-- Confidentiality, completed (policy §7.2.2, §7.3; SPEC G4, G6, G7): need-to-know access lists
-- of confidential and secret items and the requests to be put on them; leak incidents with
-- their timelines; portal copies recalled by a containment; robots whose secrets must be
-- rotated. Incident descriptions, leaked texts, findings and timeline bodies are sealed.

CREATE TABLE access_lists (
    item_kind TEXT NOT NULL,
    item_id BLOB NOT NULL,
    -- A named person, or everyone holding a role: one of the two.
    user_id BLOB REFERENCES users (id),
    role TEXT,
    added_by BLOB REFERENCES users (id),
    added_at TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (role IS NULL))
);
CREATE UNIQUE INDEX access_lists_user ON access_lists (item_kind, item_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX access_lists_role ON access_lists (item_kind, item_id, role) WHERE role IS NOT NULL;

CREATE TABLE access_requests (
    id BLOB PRIMARY KEY,
    item_kind TEXT NOT NULL,
    item_id BLOB NOT NULL,
    -- The item's title when asked (the asker may see it; kept for the owner's list).
    item_title TEXT NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    owner_id BLOB NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    decided_by BLOB REFERENCES users (id),
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX access_requests_owner ON access_requests (owner_id, state, created_at);
CREATE INDEX access_requests_user ON access_requests (user_id, created_at);
CREATE INDEX access_requests_item ON access_requests (item_kind, item_id);

CREATE TABLE incidents (
    id BLOB PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    reported_by BLOB NOT NULL REFERENCES users (id),
    reported_at TEXT NOT NULL,
    message_id BLOB REFERENCES messages (id),
    description TEXT NOT NULL,
    leaked_text TEXT NOT NULL,
    -- The trace's candidates: [{"delivery_id", "partner_id", "contact_id", "score"}].
    suspects TEXT NOT NULL,
    cause TEXT NOT NULL,
    responsible TEXT NOT NULL,
    nda_id BLOB REFERENCES ndas (id),
    actions TEXT NOT NULL,
    contained_at TEXT,
    closed_at TEXT,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incidents_reported ON incidents (reported_at, id);

CREATE TABLE incident_events (
    id BLOB PRIMARY KEY,
    incident_id BLOB NOT NULL REFERENCES incidents (id),
    at TEXT NOT NULL,
    user_id BLOB REFERENCES users (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

-- A partner's portal copy of a message taken back (§7.3 containment): the inbox shows it as
-- withdrawn, opening it is refused, and its one-click links no longer work.
CREATE TABLE recalls (
    message_id BLOB NOT NULL REFERENCES messages (id),
    partner_id BLOB NOT NULL REFERENCES partners (id),
    incident_id BLOB REFERENCES incidents (id),
    recalled_by BLOB REFERENCES users (id),
    recalled_at TEXT NOT NULL,
    PRIMARY KEY (message_id, partner_id)
);

-- A robot whose secret may have leaked: paused until a new secret is saved.
ALTER TABLE robots ADD COLUMN rotate_since TEXT;
