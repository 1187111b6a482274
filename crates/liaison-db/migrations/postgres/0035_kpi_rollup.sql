-- Evaluation at a million deliveries a month (issue 16, BENCHMARKS "Evaluation").
-- A message corrected or retracted (a later message `corrects_id` it) or recalled from any of
-- its partners, kept on its `kpi_messages` row by the sweep, so that counting F1 reads no
-- other table per delivery (a recall is still checked per partner, for these messages only).
ALTER TABLE kpi_messages ADD COLUMN corrected BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE kpi_messages ADD COLUMN recalled BOOLEAN NOT NULL DEFAULT FALSE;

-- `kpi_partner_daily` summed per calendar month (`YYYY-MM`), rewritten with the days: reports
-- by partner, kind, region and tier and the relationship index read whole months here (one
-- row per partner, not one per partner and day) and only the odd days at a period's ends
-- from the day rows.
CREATE TABLE kpi_partner_monthly (
    month TEXT NOT NULL,
    partner_id UUID NOT NULL,
    sent BIGINT NOT NULL,
    accurate BIGINT NOT NULL,
    due BIGINT NOT NULL,
    timely BIGINT NOT NULL,
    PRIMARY KEY (month, partner_id)
);

-- What was aggregated before this migration.
UPDATE kpi_messages
   SET corrected = EXISTS (SELECT 1 FROM messages c WHERE c.corrects_id = kpi_messages.message_id),
       recalled = EXISTS (SELECT 1 FROM recalls rc WHERE rc.message_id = kpi_messages.message_id);
INSERT INTO kpi_partner_monthly (month, partner_id, sent, accurate, due, timely)
SELECT SUBSTR(day, 1, 7), partner_id, SUM(sent), SUM(accurate), SUM(due), SUM(timely)
  FROM kpi_partner_daily GROUP BY SUBSTR(day, 1, 7), partner_id;
