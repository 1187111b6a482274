-- Product information (policy §3.2; SPEC D4-D6): the catalogue with typed technical parameters
-- and documents (§3.2.1), planned launches whose announcement is drafted ahead of the notice
-- date (§3.2.2), and partners' product feedback triaged by R&D (§3.2.3). Parameters and
-- visibility are JSON text, read and checked by liaison-core::product.

CREATE TABLE products (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'launched', 'discontinued')),
    features TEXT NOT NULL DEFAULT '',
    advantages TEXT NOT NULL DEFAULT '',
    usage_md TEXT NOT NULL DEFAULT '',
    parameters TEXT NOT NULL DEFAULT '[]',
    visibility TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX products_category ON products (category, code);

-- Datasheets and manuals, kept like request attachments (type-checked, base64 text).
CREATE TABLE product_documents (
    id UUID PRIMARY KEY,
    product_id UUID NOT NULL REFERENCES products (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX product_documents_product ON product_documents (product_id, id);

-- launch_on is a calendar day (YYYY-MM-DD) in the company's zone.
CREATE TABLE launches (
    id UUID PRIMARY KEY,
    product_id UUID NOT NULL REFERENCES products (id),
    title TEXT NOT NULL,
    launch_on TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    owner_id UUID NOT NULL REFERENCES users (id),
    request_id UUID REFERENCES requests (id),
    drafted_at TIMESTAMPTZ,
    warned_at TIMESTAMPTZ,
    version BIGINT NOT NULL DEFAULT 1,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX launches_on ON launches (launch_on, id);

CREATE TABLE feedback (
    id UUID PRIMARY KEY,
    product_id UUID NOT NULL REFERENCES products (id),
    partner_id UUID NOT NULL REFERENCES partners (id),
    author_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('customer_need', 'improvement')),
    description TEXT NOT NULL,
    customer_impact TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('new', 'under_review', 'planned', 'declined', 'shipped')),
    answer TEXT,
    answered_by UUID REFERENCES users (id),
    merged_into UUID REFERENCES feedback (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_partner ON feedback (partner_id, id);
CREATE INDEX feedback_queue ON feedback (state, id);
CREATE INDEX feedback_merged ON feedback (merged_into);
