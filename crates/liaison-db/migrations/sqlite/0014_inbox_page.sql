-- The inbox reads only the page it shows (issue 10's soak): a message's correction is found by
-- index, not by reading every message for each row.
CREATE INDEX messages_corrects ON messages (corrects_id) WHERE corrects_id IS NOT NULL;
