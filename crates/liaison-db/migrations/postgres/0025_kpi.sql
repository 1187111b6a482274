-- Evaluation (policy §6; SPEC F1-F4, F7; issue 16): the daily aggregates reports read.
-- `kpi_messages` is each dispatched message as the indicators see it: who asked for it, the
-- company-zone day it went out (F1 counts its deliveries there) and when its deliveries are
-- due (its deadline, or N working hours after dispatch; F2 counts them on that day).
CREATE TABLE kpi_messages (
    message_id UUID PRIMARY KEY,
    department_id UUID,
    requester_id UUID,
    sent_at TIMESTAMPTZ NOT NULL,
    sent_day TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    due_day TEXT NOT NULL
);
CREATE INDEX kpi_messages_sent ON kpi_messages (sent_day);
CREATE INDEX kpi_messages_due ON kpi_messages (due_day);

-- Deliveries per day, department, requester and channel: F1's numerator and denominator on
-- the day they went out, F2's on the day they fell due. Partners are kept apart (below): with
-- them in the same key the table would grow as the ledger does.
CREATE TABLE kpi_daily (
    day TEXT NOT NULL,
    department_id UUID,
    requester_id UUID,
    channel TEXT NOT NULL,
    sent BIGINT NOT NULL,
    accurate BIGINT NOT NULL,
    due BIGINT NOT NULL,
    timely BIGINT NOT NULL
);
CREATE INDEX kpi_daily_day ON kpi_daily (day);

-- The same per day and partner (reports by partner, kind, region and tier; the relationship
-- index's acknowledgement part).
CREATE TABLE kpi_partner_daily (
    day TEXT NOT NULL,
    partner_id UUID NOT NULL,
    sent BIGINT NOT NULL,
    accurate BIGINT NOT NULL,
    due BIGINT NOT NULL,
    timely BIGINT NOT NULL
);
CREATE INDEX kpi_partner_daily_day ON kpi_partner_daily (day);

-- F3's ratings per day, department, person (the ticket's assignee), partner and source
-- (`ticket` or `survey`; anonymous survey answers have no partner).
CREATE TABLE kpi_ratings_daily (
    day TEXT NOT NULL,
    department_id UUID,
    person_id UUID,
    partner_id UUID,
    source TEXT NOT NULL,
    responses BIGINT NOT NULL,
    score_sum BIGINT NOT NULL,
    satisfied BIGINT NOT NULL
);
CREATE INDEX kpi_ratings_daily_day ON kpi_ratings_daily (day);

-- When the worker last brought the aggregates up to date (one row, `name` = 'daily').
CREATE TABLE kpi_state (
    name TEXT PRIMARY KEY,
    swept_at TIMESTAMPTZ NOT NULL
);
