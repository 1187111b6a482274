-- Confidential and secret tickets and meetings are found by their title (and a ticket's
-- product) only, §7.2.2: the rows indexed before that rule are indexed again right after this
-- migration (`liaison_db::search::reindex_sealed`, terms are computed in Rust).
SELECT 1;
