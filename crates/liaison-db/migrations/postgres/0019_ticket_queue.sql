-- The ticket queue's tabs (issue 12): the tickets still being worked, by holder and by
-- department, newest first, in indexes that hold nothing else. The queries repeat the
-- condition word for word (liaison-db::tickets::filter), so both planners use them; counting a
-- tab reads its index, not the wide rows.
CREATE INDEX tickets_active_assignee ON tickets (assignee_id, id)
    WHERE state IN ('new', 'open', 'waiting_partner') AND merged_into IS NULL;
CREATE INDEX tickets_active_department ON tickets (department_id, id)
    WHERE state IN ('new', 'open', 'waiting_partner') AND merged_into IS NULL;
