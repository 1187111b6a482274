-- The delivery engine (policy §2.1, §4.3, §4.4.1, §5.3.2; SPEC B5, B6, B9, H3). The delivery
-- ledger is its own outbox: a row with `next_at` set is work for the worker (a first send, a
-- retry, a held send waiting for working hours, or a reminder), leased through `locked_until`.
-- Other background work (outbound events, escalations) is in `jobs`.

ALTER TABLE deliveries ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN next_at TIMESTAMPTZ;
ALTER TABLE deliveries ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE deliveries ADD COLUMN locked_by TEXT;
ALTER TABLE deliveries ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE deliveries ADD COLUMN last_error TEXT;
ALTER TABLE deliveries ADD COLUMN target TEXT;
ALTER TABLE deliveries ADD COLUMN acked_via TEXT;
ALTER TABLE deliveries ADD COLUMN reminders BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN reminded_at TIMESTAMPTZ;
CREATE INDEX deliveries_queue ON deliveries (next_at) WHERE next_at IS NOT NULL;
-- Ledger rows written before this engine: portal copies are in the inbox the moment they are
-- written; phone calls are made and logged by staff; e-mail and IM copies were never sent, and
-- are not sent now behind anyone's back: they are dead with the reason, for a channel manager
-- to send again from the receipts board if they are still wanted.
UPDATE deliveries SET state = 'delivered' WHERE channel = 'portal' AND state = 'queued';
UPDATE deliveries SET state = 'manual' WHERE channel = 'phone' AND state = 'queued';
UPDATE deliveries SET state = 'dead',
       last_error = 'written before the delivery worker existed: send it again if it is still wanted'
 WHERE state = 'queued';

ALTER TABLE messages ADD COLUMN reminded_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN escalated_at TIMESTAMPTZ;
-- Messages whose deadline passed before reminders existed are not escalated all at once now
-- (the one place a migration reads the clock); those still running are reminded and
-- escalated as any other.
UPDATE messages SET reminded_at = created_at, escalated_at = created_at
 WHERE ack_due_at IS NOT NULL AND ack_due_at < now();
CREATE INDEX messages_ack_due ON messages (ack_due_at) WHERE ack_required;

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    run_at TIMESTAMPTZ,
    locked_until TIMESTAMPTZ,
    locked_by TEXT,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_queue ON jobs (run_at) WHERE run_at IS NOT NULL;
CREATE INDEX jobs_done ON jobs (updated_at) WHERE state = 'done';

-- IM robots of a partner's group or of one contact (§2.1.2). URL and secret are encrypted;
-- `url_hint` is the redacted form shown in the console.
CREATE TABLE robots (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    contact_id UUID REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    url TEXT NOT NULL,
    url_hint TEXT NOT NULL,
    secret TEXT,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    -- The robot's token bucket, shared by every worker: when it was last filled (Unix ms)
    -- and the tokens left then, in thousandths.
    bucket_at BIGINT,
    bucket_milli BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX robots_partner ON robots (partner_id, kind);

-- HTTPS endpoints that receive signed JSON events (SPEC H3).
CREATE TABLE event_endpoints (
    id UUID PRIMARY KEY,
    url TEXT NOT NULL,
    url_hint TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
