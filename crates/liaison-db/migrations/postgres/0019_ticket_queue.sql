-- The ticket queue's tabs and the root-cause report (issue 12). The tabs: the tickets still being worked, by holder and by
-- department, newest first, in indexes that hold nothing else. The queries repeat the
-- condition word for word (liaison-db::tickets::filter), so both planners use them; counting a
-- tab reads its index, not the wide rows.
CREATE INDEX tickets_active_assignee ON tickets (assignee_id, id)
    WHERE state IN ('new', 'open', 'waiting_partner') AND merged_into IS NULL;
CREATE INDEX tickets_active_department ON tickets (department_id, id)
    WHERE state IN ('new', 'open', 'waiting_partner') AND merged_into IS NULL;

-- The root-cause report (§3.4.3) reads a period's tickets from an index holding what it counts,
-- not from the wide rows (liaison-db::tickets::cube, totals, count_by), and the resolutions for
-- the recurrence rule from another.
CREATE INDEX tickets_report ON tickets (created_at, merged_into, kind, priority, root_cause,
    product_id, product_text, department_id, partner_id, resolved_at, rating, reopen_count, id);
CREATE INDEX tickets_resolutions ON tickets (resolved_at, root_cause, product_id, product_text,
    merged_into, id);
