-- NDAs (policy §7.1.2, SPEC G2): per person (contact) or per partner, with validity dates.
-- Confidential and secret messages reach only contacts covered by a valid NDA; who was held
-- back and why is kept with the message.

CREATE TABLE ndas (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id),
    contact_id UUID REFERENCES contacts (id),
    signed_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    document TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ndas_partner ON ndas (partner_id, expires_at);

ALTER TABLE messages ADD COLUMN held_back TEXT NOT NULL DEFAULT '[]';
