-- Meetings, visits and calls (policy §2.1.3, §2.2, §5.1, §5.3.1; SPEC C1-C5, E1): meetings with
-- their invitees resolved to people (attendees: a partner's contact or a staff user), each
-- attendee's answer and attendance; minutes; action items as tasks (also from visit reports
-- and call follow-ups); site visits with their reports; call logs; private calendar feeds;
-- the admin's list of important business dates that meetings should avoid (§5.3.1).
-- Agendas and minutes of confidential meetings are sealed (crypto.rs).

CREATE TABLE meetings (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    timezone TEXT NOT NULL,
    place TEXT,
    video_url TEXT,
    agenda TEXT NOT NULL,
    chair_id UUID NOT NULL REFERENCES users (id),
    classification TEXT NOT NULL,
    state TEXT NOT NULL,
    -- iCalendar SEQUENCE (RFC 5545 §3.8.7.4): raised on every change sent to the invitees.
    sequence BIGINT NOT NULL,
    -- What was chosen: {"partners": [], "segments": [], "contacts": [], "users": []}.
    invitees TEXT NOT NULL,
    invited_at TIMESTAMPTZ,
    -- The first invitation went out later than the kind's notice days (§5.3.1).
    late BOOLEAN NOT NULL,
    cancelled_at TIMESTAMPTZ,
    minutes TEXT,
    decisions TEXT,
    held_at TIMESTAMPTZ,
    created_by UUID NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meetings_starts ON meetings (starts_at, id);
CREATE INDEX meetings_kind_starts ON meetings (kind, starts_at);

CREATE TABLE meeting_attendees (
    id UUID PRIMARY KEY,
    meeting_id UUID NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    partner_id UUID REFERENCES partners (id),
    contact_id UUID REFERENCES contacts (id) ON DELETE SET NULL,
    user_id UUID REFERENCES users (id),
    name TEXT NOT NULL,
    email TEXT,
    -- needs_action | accepted | declined | tentative
    response TEXT NOT NULL,
    responded_at TIMESTAMPTZ,
    responded_via TEXT,
    attended BOOLEAN,
    -- The SEQUENCE last mailed to this person; removed people get a cancellation.
    sent_sequence BIGINT,
    removed BOOLEAN NOT NULL
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id, id);
CREATE INDEX meeting_attendees_partner ON meeting_attendees (partner_id, meeting_id);
CREATE INDEX meeting_attendees_user ON meeting_attendees (user_id, meeting_id);
CREATE INDEX meeting_attendees_contact ON meeting_attendees (contact_id, meeting_id);

-- Action items (from minutes, visit reports and call follow-ups): owned by a staff user or a
-- partner's contact, with a due day and a status.
CREATE TABLE tasks (
    id UUID PRIMARY KEY,
    source TEXT NOT NULL,
    meeting_id UUID REFERENCES meetings (id) ON DELETE CASCADE,
    visit_id UUID,
    call_id UUID,
    partner_id UUID REFERENCES partners (id),
    title TEXT NOT NULL,
    owner_user_id UUID REFERENCES users (id),
    owner_contact_id UUID REFERENCES contacts (id) ON DELETE SET NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    done_at TIMESTAMPTZ,
    done_by UUID REFERENCES users (id),
    reminded_at TIMESTAMPTZ,
    escalated_at TIMESTAMPTZ,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_owner_user ON tasks (owner_user_id, status, due_on);
CREATE INDEX tasks_partner ON tasks (partner_id, status, due_on);
CREATE INDEX tasks_open_due ON tasks (status, due_on);
CREATE INDEX tasks_meeting ON tasks (meeting_id);

CREATE TABLE visits (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id),
    visitor_id UUID NOT NULL REFERENCES users (id),
    planned_on TEXT NOT NULL,
    -- planned | done | cancelled
    state TEXT NOT NULL,
    purpose TEXT NOT NULL,
    visited_on TEXT,
    findings TEXT,
    problems TEXT,
    reported_at TIMESTAMPTZ,
    created_by UUID NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX visits_partner ON visits (partner_id, planned_on);
CREATE INDEX visits_planned ON visits (state, planned_on);
CREATE INDEX visits_visitor ON visits (visitor_id, planned_on);

CREATE TABLE visit_files (
    id UUID PRIMARY KEY,
    visit_id UUID NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- sealed bytes (crypto.rs), base64
    content TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX visit_files_visit ON visit_files (visit_id, id);

CREATE TABLE calls (
    id UUID PRIMARY KEY,
    partner_id UUID NOT NULL REFERENCES partners (id),
    contact_id UUID REFERENCES contacts (id) ON DELETE SET NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    at TIMESTAMPTZ NOT NULL,
    -- inbound | outbound
    direction TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    summary TEXT NOT NULL,
    delivery_id UUID,
    ticket_id UUID,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX calls_partner ON calls (partner_id, at);
CREATE INDEX calls_at ON calls (at, id);
CREATE INDEX calls_user ON calls (user_id, at);

-- The overdue-visit notices already given (§2.2.2): one per partner and due day.
CREATE TABLE visit_warnings (
    partner_id UUID NOT NULL REFERENCES partners (id),
    due_on TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner_id, due_on)
);

-- A private calendar feed per user (webcal): only the token's hash is kept; a revoked one
-- answers 404.
CREATE TABLE calendar_feeds (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

-- Important business dates meetings should avoid (launches come from the launch calendar).
CREATE TABLE business_dates (
    id UUID PRIMARY KEY,
    on_date TEXT NOT NULL,
    title TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX business_dates_on ON business_dates (on_date);

-- The cadence warnings already given (one per kind and period).
CREATE TABLE cadence_warnings (
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, period)
);
