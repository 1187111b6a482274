-- The communication loop (policy §4): request forms, their reviews, frozen messages and the
-- per-recipient delivery ledger.

CREATE TABLE requests (
    id BLOB PRIMARY KEY,
    requester_id BLOB NOT NULL REFERENCES users (id),
    department_id BLOB REFERENCES departments (id),
    title TEXT NOT NULL,
    form TEXT NOT NULL,
    category TEXT NOT NULL,
    importance TEXT NOT NULL,
    classification TEXT NOT NULL,
    state TEXT NOT NULL,
    chain TEXT NOT NULL,
    findings TEXT NOT NULL,
    message_id BLOB,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX requests_state ON requests (state, id);
CREATE INDEX requests_requester ON requests (requester_id, id);

CREATE TABLE reviews (
    id BLOB PRIMARY KEY,
    request_id BLOB NOT NULL REFERENCES requests (id),
    step TEXT NOT NULL,
    reviewer_id BLOB NOT NULL REFERENCES users (id),
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_request ON reviews (request_id, id);

CREATE TABLE messages (
    id BLOB PRIMARY KEY,
    request_id BLOB NOT NULL REFERENCES requests (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    importance TEXT NOT NULL,
    urgency TEXT NOT NULL,
    classification TEXT NOT NULL,
    ack_required BOOLEAN NOT NULL,
    ack_due_at TEXT,
    corrects_id BLOB REFERENCES messages (id),
    created_at TEXT NOT NULL
);

-- The ledger is written only by dispatch, from rows it has just read in the same transaction,
-- so it carries no foreign keys: checking three parents per row would triple the cost of a
-- 200,000-row dispatch. Ids are the message id's time prefix plus the row number, so they
-- ascend and the primary key is appended to, not scattered.
CREATE TABLE deliveries (
    id BLOB PRIMARY KEY,
    message_id BLOB NOT NULL,
    partner_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    read_by BLOB,
    acked_at TEXT,
    acked_by BLOB,
    late BOOLEAN NOT NULL,
    UNIQUE (message_id, contact_id, channel)
);
CREATE INDEX deliveries_partner ON deliveries (partner_id, message_id);
