-- The loop as people live it (issue 9; policy §4.2.1, §4.3.2, §4.4.1, §4.4.2).
-- Notifications: one row per person told (in-app always; e-mail through a `notify` job queued
-- in the same transaction, unless the person turned that kind off). The title is written in
-- the reader's language when it is read, from `kind` and `args`.
CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    link TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
-- A decided step settles its review notifications by link.
CREATE INDEX notifications_link ON notifications (link) WHERE read_at IS NULL;

-- Per person and kind: whether it also comes by e-mail (default on: no row).
CREATE TABLE notification_prefs (
    user_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    email BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- A portal login is a person: the contact it is (credited with what they confirm).
ALTER TABLE users ADD COLUMN contact_id UUID REFERENCES contacts (id);
CREATE INDEX users_contact ON users (contact_id);
-- Who confirmed, as a contact: the portal user's contact, or the contact a one-click link
-- was sent to (`acked_by` stays the portal user).
ALTER TABLE deliveries ADD COLUMN acked_contact_id UUID;
-- The channel manager's home page lists messages with dead deliveries (issue 9).
CREATE INDEX deliveries_dead ON deliveries (message_id) WHERE state = 'dead';

-- The NDA register keeps the signed document (issue 9), always encrypted (§7.2.1).
ALTER TABLE ndas ADD COLUMN doc_type TEXT;
ALTER TABLE ndas ADD COLUMN doc_size BIGINT;
ALTER TABLE ndas ADD COLUMN doc_data TEXT;
