-- Account security (policy §7.2.3, SPEC G8): the second factor (TOTP, RFC 6238) and its
-- recovery codes, what each session was opened from, and the devices each user has logged in
-- from. The TOTP secret is sealed (crypto.rs, associated data `user_totp:secret:<user>`); the
-- recovery codes and the devices are kept only as keyed hashes.

CREATE TABLE user_totp (
    user_id BLOB PRIMARY KEY REFERENCES users (id),
    -- The secret in force (sealed); NULL until a first enrolment is confirmed.
    secret TEXT,
    -- An enrolment started and not yet confirmed (sealed): it takes effect at confirmation.
    pending_secret TEXT,
    confirmed_at TEXT,
    -- The last time step accepted: a code of that step or an older one is a replay.
    last_step BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE totp_recovery_codes (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes (user_id, code_hash);

-- Where a session was opened from, and when it was last used (at most every few minutes).
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

-- The devices (client and system, see liaison_core::device) a user has logged in from.
CREATE TABLE user_devices (
    user_id BLOB NOT NULL REFERENCES users (id),
    device_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
