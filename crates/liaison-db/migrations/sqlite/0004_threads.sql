-- Replies and the closed loop (policy §4.4, §4.1.2; SPEC B4, B7): a thread a partner opens,
-- on a message it received or on its own, lands with the responsible staff (the message's
-- requester, else the partner's channel manager) and stays open until answered and closed.

CREATE TABLE threads (
    id BLOB PRIMARY KEY,
    partner_id BLOB NOT NULL REFERENCES partners (id),
    message_id BLOB REFERENCES messages (id),
    subject TEXT NOT NULL,
    category TEXT NOT NULL,
    classification TEXT NOT NULL,
    assignee_id BLOB REFERENCES users (id),
    state TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_answer_at TEXT,
    closed_at TEXT
);
CREATE INDEX threads_partner ON threads (partner_id, id);
CREATE INDEX threads_assignee ON threads (assignee_id, id);
CREATE INDEX threads_message ON threads (message_id, partner_id);
CREATE INDEX threads_state ON threads (state, id);

CREATE TABLE thread_posts (
    id BLOB PRIMARY KEY,
    thread_id BLOB NOT NULL REFERENCES threads (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    from_partner BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX thread_posts_thread ON thread_posts (thread_id, id);
