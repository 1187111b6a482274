-- Home pages at 100,000 partners (issue 16 item 6): the partners a data requirement asks
-- (a kind, active) are counted from the index alone and paged in code order, and a period's
-- submissions of a data set are found without reading every partner's.
CREATE INDEX partners_kind_status_code ON partners (kind, status, code);
CREATE INDEX submissions_period ON submissions (dataset_id, period, state, partner_id);
