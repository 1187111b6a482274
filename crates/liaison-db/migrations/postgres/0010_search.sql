-- One search index for every area (SPEC B10), written in the same transaction as the rows it
-- indexes (liaison-db `search`). A document per searchable object; postings per term, keyed so
-- that one term's postings are read best first and a query stops after its page: `rank` is
-- weight * 10^16 + the document's time in microseconds (title matches first, then newest). Confidential bodies are never in here: only their titles. The rows already stored
-- are indexed by the migration runner right after this script.

CREATE TABLE search_docs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    partner_id UUID,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- ' term term ... ': the document's terms, to check a query's other terms and to remove
    -- the postings when the document changes.
    terms TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX search_docs_partner ON search_docs (partner_id, at);

-- Terms compare byte by byte ("C"), so a prefix is a range of the key as on SQLite.
CREATE TABLE search_terms (
    term TEXT COLLATE "C" NOT NULL,
    rank BIGINT NOT NULL,
    doc_id UUID NOT NULL,
    PRIMARY KEY (term, rank, doc_id)
);
