-- The read version (issue 12): one number every write to the tables behind the menu's numbers,
-- the ticket queue's counts and its pages moves, in the writing transaction itself (SQLite has one writer, so
-- the number and the rows it stands for become visible together). A count kept in a process
-- is valid while the number has not moved (`Db::kept`).
CREATE TABLE read_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO read_version (id, version) VALUES (1, 0);

CREATE TRIGGER tickets_rv_i AFTER INSERT ON tickets BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tickets_rv_u AFTER UPDATE ON tickets BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tickets_rv_d AFTER DELETE ON tickets BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_watchers_rv_i AFTER INSERT ON ticket_watchers BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_watchers_rv_u AFTER UPDATE ON ticket_watchers BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_watchers_rv_d AFTER DELETE ON ticket_watchers BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_rv_i AFTER INSERT ON notifications BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_rv_u AFTER UPDATE ON notifications BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER notifications_rv_d AFTER DELETE ON notifications BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER requests_rv_i AFTER INSERT ON requests BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER requests_rv_u AFTER UPDATE ON requests BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER requests_rv_d AFTER DELETE ON requests BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER threads_rv_i AFTER INSERT ON threads BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER threads_rv_u AFTER UPDATE ON threads BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER threads_rv_d AFTER DELETE ON threads BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER settings_rv_i AFTER INSERT ON settings BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER settings_rv_u AFTER UPDATE ON settings BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER settings_rv_d AFTER DELETE ON settings BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_breaches_rv_i AFTER INSERT ON ticket_breaches BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_breaches_rv_u AFTER UPDATE ON ticket_breaches BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER ticket_breaches_rv_d AFTER DELETE ON ticket_breaches BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER access_lists_rv_i AFTER INSERT ON access_lists BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER access_lists_rv_u AFTER UPDATE ON access_lists BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER access_lists_rv_d AFTER DELETE ON access_lists BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
-- The names a ticket page shows (its partner, people, department, product).
CREATE TRIGGER partners_rv_u AFTER UPDATE ON partners BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER partners_rv_d AFTER DELETE ON partners BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_rv_u AFTER UPDATE ON users BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_rv_d AFTER DELETE ON users BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER departments_rv_u AFTER UPDATE ON departments BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER departments_rv_d AFTER DELETE ON departments BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER products_rv_u AFTER UPDATE ON products BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER products_rv_d AFTER DELETE ON products BEGIN UPDATE read_version SET version = version + 1 WHERE id = 1; END;
