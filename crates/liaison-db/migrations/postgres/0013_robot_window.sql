-- Robots' send limit as the platforms count it (issue 10, item 2; policy §2.1.2): at most N
-- posts to one robot in any sliding minute, for every worker and instance together. Each post
-- is a row here: when it was taken it holds the latest time the platform can receive it, and
-- once the post has ended, the time it ended (Unix ms). The token bucket this replaces let
-- about 40 posts through in 60 s, and the platforms refused the rest (DingTalk for 10 minutes).
ALTER TABLE robots DROP COLUMN bucket_at;
ALTER TABLE robots DROP COLUMN bucket_milli;
-- Until when the platform told us to stop posting to this robot (Unix ms).
ALTER TABLE robots ADD COLUMN paused_until BIGINT;

CREATE TABLE robot_sends (
    id UUID PRIMARY KEY,
    robot_id UUID NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL
);
CREATE INDEX robot_sends_robot ON robot_sends (robot_id, sent_at);

-- A delivery put back because a robot's minute was full or the platform said "too fast": no
-- attempt is counted, but the waits are, and why it waits now (`robot_minute` | `platform`,
-- NULL when it does not), for the receipts board.
ALTER TABLE deliveries ADD COLUMN rate_waits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN wait_reason TEXT;
