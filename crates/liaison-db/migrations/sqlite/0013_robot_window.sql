-- Robots' send limit as the platforms count it (issue 10, item 2; policy §2.1.2): at most N
-- posts to one robot in any sliding minute, for every worker and instance together. Each post
-- is a row here: when it was taken it holds the latest time the platform can receive it, and
-- once the post has ended, the time it ended (Unix ms). The token bucket this replaces let
-- about 40 posts through in 60 s, and the platforms refused the rest (DingTalk for 10 minutes).
--
-- The bucket's columns go. SQLite cannot drop them from this table (the comments inside its
-- CREATE TABLE trip DROP COLUMN), so the table is rebuilt; nothing references it yet.
CREATE TABLE robots_new (
    id BLOB PRIMARY KEY,
    partner_id BLOB NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    contact_id BLOB REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    url TEXT NOT NULL,
    url_hint TEXT NOT NULL,
    secret TEXT,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- Until when the platform told us to stop posting to this robot (Unix ms).
    paused_until BIGINT
);
INSERT INTO robots_new (id, partner_id, contact_id, kind, label, url, url_hint, secret, created_by, created_at)
SELECT id, partner_id, contact_id, kind, label, url, url_hint, secret, created_by, created_at FROM robots;
DROP TABLE robots;
ALTER TABLE robots_new RENAME TO robots;
CREATE INDEX robots_partner ON robots (partner_id, kind);

CREATE TABLE robot_sends (
    id BLOB PRIMARY KEY,
    robot_id BLOB NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL
);
CREATE INDEX robot_sends_robot ON robot_sends (robot_id, sent_at);

-- A delivery put back because a robot's minute was full or the platform said "too fast": no
-- attempt is counted, but the waits are, and why it waits now (`robot_minute` | `platform`,
-- NULL when it does not), for the receipts board.
ALTER TABLE deliveries ADD COLUMN rate_waits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN wait_reason TEXT;
