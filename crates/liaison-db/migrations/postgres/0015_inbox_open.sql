-- The inbox counts read only what is still open (issue 10's soak): a partner's unread and
-- unconfirmed deliveries, found by a partial index, not every delivery it has ever had. A
-- delivery carries its message's `ack_required` so the index can tell what is still owed.
ALTER TABLE deliveries ADD COLUMN ack_required BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE deliveries d SET ack_required = m.ack_required FROM messages m WHERE m.id = d.message_id;
CREATE INDEX deliveries_open ON deliveries (partner_id, message_id)
    WHERE read_at IS NULL OR (ack_required AND acked_at IS NULL);
