-- Business data exchange (policy §3.3; SPEC D7–D9): data sets with an admin's schema, the
-- requirements that ask partners for them each period, submissions (each a version of one
-- partner's figures for one period; a rejected one keeps only its errors), the rows of a
-- submission in sealed chunks, the figures per series and period that trends and anomaly
-- detection read, anomalies with their follow-up thread (§3.3.2), and the reminders sent.

CREATE TABLE datasets (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    schema TEXT NOT NULL,
    classification TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    version BIGINT NOT NULL DEFAULT 1,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE data_requirements (
    id BLOB PRIMARY KEY,
    dataset_id BLOB NOT NULL REFERENCES datasets (id),
    partner_kind TEXT,
    segment_id BLOB REFERENCES segments (id),
    period_kind TEXT NOT NULL CHECK (period_kind IN ('weekly', 'monthly', 'quarterly')),
    due_days BIGINT NOT NULL,
    remind_days BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX data_requirements_dataset ON data_requirements (dataset_id);

CREATE TABLE submissions (
    id BLOB PRIMARY KEY,
    dataset_id BLOB NOT NULL REFERENCES datasets (id),
    partner_id BLOB NOT NULL REFERENCES partners (id),
    period TEXT NOT NULL,
    version BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('current', 'superseded', 'rejected')),
    via TEXT NOT NULL,
    file_name TEXT,
    row_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    errors TEXT NOT NULL DEFAULT '[]',
    due_on TEXT,
    on_time BOOLEAN,
    submitted_by BLOB NOT NULL REFERENCES users (id),
    submitted_at TEXT NOT NULL,
    superseded_at TEXT
);
CREATE INDEX submissions_partner ON submissions (partner_id, dataset_id, period, version);
CREATE INDEX submissions_recent ON submissions (submitted_at, id);

CREATE TABLE submission_chunks (
    submission_id BLOB NOT NULL REFERENCES submissions (id),
    seq BIGINT NOT NULL,
    first_row BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (submission_id, seq)
);

CREATE TABLE data_points (
    dataset_id BLOB NOT NULL REFERENCES datasets (id),
    partner_id BLOB NOT NULL REFERENCES partners (id),
    series TEXT NOT NULL,
    measure TEXT NOT NULL,
    period TEXT NOT NULL,
    value REAL NOT NULL,
    row_count BIGINT NOT NULL,
    submission_id BLOB NOT NULL REFERENCES submissions (id),
    PRIMARY KEY (dataset_id, partner_id, series, measure, period)
);
CREATE INDEX data_points_period ON data_points (dataset_id, measure, period, series);
-- Peer groups (a kind in a region) for benchmarks and anomaly detection.
CREATE INDEX partners_kind_region ON partners (kind, region);

CREATE TABLE anomalies (
    id BLOB PRIMARY KEY,
    dataset_id BLOB NOT NULL REFERENCES datasets (id),
    partner_id BLOB NOT NULL REFERENCES partners (id),
    submission_id BLOB NOT NULL REFERENCES submissions (id),
    series TEXT NOT NULL,
    measure TEXT NOT NULL,
    period TEXT NOT NULL,
    baseline TEXT NOT NULL,
    value REAL NOT NULL,
    expected REAL NOT NULL,
    score REAL NOT NULL,
    ratio REAL,
    peer_percentile REAL,
    periods BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'explained', 'corrected', 'closed')),
    owner_id BLOB REFERENCES users (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (dataset_id, partner_id, series, measure, period)
);
CREATE INDEX anomalies_state ON anomalies (state, created_at);
CREATE INDEX anomalies_partner ON anomalies (partner_id, created_at);

CREATE TABLE anomaly_events (
    id BLOB PRIMARY KEY,
    anomaly_id BLOB NOT NULL REFERENCES anomalies (id),
    author_id BLOB REFERENCES users (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX anomaly_events_anomaly ON anomaly_events (anomaly_id, created_at);

CREATE TABLE data_reminders (
    dataset_id BLOB NOT NULL REFERENCES datasets (id),
    partner_id BLOB NOT NULL REFERENCES partners (id),
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, partner_id, period, kind)
);
