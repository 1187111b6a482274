-- Problem tickets (policy §3.4; SPEC D10, D11): a partner's problem with an owner, two SLA
-- clocks on the working calendar (§5.3.2; urgent on the 24-hour clock, §5.2.2), a timeline of
-- replies, internal notes and changes, a resolution with a root cause (§3.4.3) and the
-- partner's rating (§6.1.3). Confidential tickets keep their description, resolution and
-- timeline bodies sealed (crypto.rs). Due times are stored so the queue and the sweep can read
-- them with an index; they are recomputed at every change (liaison-core::tickets::due_times).

CREATE TABLE root_causes (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
-- The shipped taxonomy (liaison-core::tickets::ROOT_CAUSES); admins rename, add and retire.
INSERT INTO root_causes (code, name_zh, name_en, position, active, created_at) VALUES
    ('product_defect', '产品缺陷', 'Product defect', 1, 1, '2026-12-01T00:00:00.000000Z'),
    ('documentation', '资料说明不清', 'Documentation', 2, 1, '2026-12-01T00:00:00.000000Z'),
    ('logistics', '物流配送', 'Logistics', 3, 1, '2026-12-01T00:00:00.000000Z'),
    ('pricing', '价格政策', 'Pricing', 4, 1, '2026-12-01T00:00:00.000000Z'),
    ('training', '培训不足', 'Training', 5, 1, '2026-12-01T00:00:00.000000Z'),
    ('partner_process', '伙伴流程', 'Partner process', 6, 1, '2026-12-01T00:00:00.000000Z'),
    ('other', '其他', 'Other', 7, 1, '2026-12-01T00:00:00.000000Z');

CREATE TABLE ticket_routes (
    id BLOB PRIMARY KEY,
    position BIGINT NOT NULL,
    kind TEXT,
    product_category TEXT,
    region TEXT,
    department_id BLOB NOT NULL REFERENCES departments (id),
    assignee_id BLOB REFERENCES users (id),
    created_at TEXT NOT NULL
);

CREATE TABLE tickets (
    id BLOB PRIMARY KEY,
    partner_id BLOB NOT NULL REFERENCES partners (id),
    raised_by BLOB NOT NULL REFERENCES users (id),
    via TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('marketing', 'product_quality', 'customer_complaint', 'other')),
    priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    product_id BLOB REFERENCES products (id),
    product_text TEXT,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    classification TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'open', 'waiting_partner', 'resolved', 'closed')),
    department_id BLOB REFERENCES departments (id),
    assignee_id BLOB REFERENCES users (id),
    first_response_at TEXT,
    first_response_due_at TEXT,
    resolution_due_at TEXT,
    paused_at TEXT,
    paused_minutes BIGINT NOT NULL DEFAULT 0,
    warned_first BOOLEAN NOT NULL DEFAULT 0,
    warned_resolution BOOLEAN NOT NULL DEFAULT 0,
    resolved_at TEXT,
    resolution TEXT,
    root_cause TEXT REFERENCES root_causes (code),
    closed_at TEXT,
    rating BIGINT,
    rating_comment TEXT,
    rated_at TEXT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    merged_into BLOB REFERENCES tickets (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tickets_partner ON tickets (partner_id, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, id);
CREATE INDEX tickets_department ON tickets (department_id, id);
CREATE INDEX tickets_state ON tickets (state, id);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_resolved ON tickets (resolved_at);
CREATE INDEX tickets_first_due ON tickets (first_response_due_at) WHERE first_response_due_at IS NOT NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at) WHERE resolution_due_at IS NOT NULL;

-- The timeline: replies (public), notes (internal), state changes, assignments, merges,
-- ratings and breaches. `body` is sealed when the ticket is confidential.
CREATE TABLE ticket_events (
    id BLOB PRIMARY KEY,
    ticket_id BLOB NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,
    internal BOOLEAN NOT NULL DEFAULT 0,
    author_id BLOB REFERENCES users (id),
    via TEXT,
    body TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_attachments (
    id BLOB PRIMARY KEY,
    ticket_id BLOB NOT NULL REFERENCES tickets (id),
    event_id BLOB REFERENCES ticket_events (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

CREATE TABLE ticket_watchers (
    ticket_id BLOB NOT NULL REFERENCES tickets (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (ticket_id, user_id)
);

-- One row per SLA clock that ran out (§3.4.2): written once, by whoever sees it first.
CREATE TABLE ticket_breaches (
    ticket_id BLOB NOT NULL REFERENCES tickets (id),
    clock TEXT NOT NULL CHECK (clock IN ('first_response', 'resolution')),
    due_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    department_id BLOB,
    PRIMARY KEY (ticket_id, clock)
);

-- Each mail read from the IMAP mailbox, once across workers: the key is its Message-ID (or a
-- hash of it when it has none); what became of it is kept for the admin.
CREATE TABLE inbound_mails (
    key TEXT PRIMARY KEY,
    from_addr TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ticket_id BLOB,
    thread_id BLOB,
    detail TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL
);
