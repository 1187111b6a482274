-- The read version (issue 12) is kept on SQLite only: there one writer moves it inside each
-- writing transaction. On PostgreSQL concurrent writers would queue on its one row (and could
-- deadlock on it across tables), so counts are counted on every view there (`Db::kept`).
SELECT 1;
