-- NDAs (policy §7.1.2, SPEC G2): per person (contact) or per partner, with validity dates.
-- Confidential and secret messages reach only contacts covered by a valid NDA; who was held
-- back and why is kept with the message.

CREATE TABLE ndas (
    id BLOB PRIMARY KEY,
    partner_id BLOB NOT NULL REFERENCES partners (id),
    contact_id BLOB REFERENCES contacts (id),
    signed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    document TEXT,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX ndas_partner ON ndas (partner_id, expires_at);

ALTER TABLE messages ADD COLUMN held_back TEXT NOT NULL DEFAULT '[]';
