-- Surveys (policy §6.2.1; SPEC F5; issue 16 item 2): questionnaires and interviews sent to
-- partners once or periodically (a round per month, quarter or year), the invitations per
-- partner and round, and the answers.
--
-- Anonymous answers can never be joined back to a partner (§6.2.1): `survey_answers` holds no
-- partner, contact, user or invitation id for them (partner_id is NULL), its id is a random
-- UUIDv4 (not time-ordered), no sequence or serial column,
-- and an answer keeps only its day, never its time. The "has answered" mark is the invitation's
-- `answered`, with no time for an anonymous survey. Free texts are sealed (crypto.rs).

CREATE TABLE surveys (
    id UUID PRIMARY KEY,
    -- {"zh-cn": "...", "en": "..."}: in the languages the author wrote.
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    -- [{"key", "kind", "text", "choices", "required", "measure"}], in order.
    questions TEXT NOT NULL,
    -- {"partners": [], "segments": []}
    audience TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    -- once | monthly | quarterly | yearly
    schedule TEXT NOT NULL,
    -- draft | open | closed
    state TEXT NOT NULL,
    -- The current round (0 while a draft) and its times.
    round BIGINT NOT NULL,
    round_started_at TIMESTAMPTZ,
    closes_at TIMESTAMPTZ,
    -- The first round's closing day as typed (YYYY-MM-DD); later rounds last as long.
    closes_on TEXT NOT NULL,
    days_open BIGINT,
    remind_days BIGINT,
    created_by UUID NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    opened_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ
);
CREATE INDEX surveys_state ON surveys (state, closes_at);
CREATE INDEX surveys_created ON surveys (created_at, id);

CREATE TABLE survey_invitations (
    id UUID PRIMARY KEY,
    survey_id UUID NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    round BIGINT NOT NULL,
    partner_id UUID NOT NULL REFERENCES partners (id),
    answered BOOLEAN NOT NULL,
    reminded_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (survey_id, round, partner_id)
);
CREATE INDEX survey_invitations_partner ON survey_invitations (partner_id, survey_id, round);

CREATE TABLE survey_answers (
    id UUID PRIMARY KEY,
    survey_id UUID NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    round BIGINT NOT NULL,
    -- The day only (YYYY-MM-DD, the company's zone): no time to line up with other records;
    -- an anonymous answer's is its round's first day.
    answered_on TEXT NOT NULL,
    -- Named surveys only; NULL for anonymous ones.
    partner_id UUID REFERENCES partners (id),
    -- portal | link | api | phone (named surveys only).
    via TEXT,
    -- The staff member who typed a phone interview in.
    entered_by UUID REFERENCES users (id),
    -- {"q1": 4, "q2": [0, 2]}: numbers and choices.
    answer_values TEXT NOT NULL,
    -- {"q4": "..."} sealed; NULL without free texts.
    texts TEXT,
    UNIQUE (survey_id, round, partner_id)
);
CREATE INDEX survey_answers_day ON survey_answers (answered_on, survey_id);
