-- Version 1: the audit log itself, append-only.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- One row per thing that happened. seq is the row's position in the HMAC chain (from 1, no
-- gaps). body is the row's canonical form (package audit, Encode): one JSON object holding
-- every field. mac = HMAC-SHA256(key, previous mac || seq || body). Keeping every field in the
-- one MAC-covered body means no column can be changed without breaking the chain.
CREATE TABLE audit_event (
	seq  INTEGER PRIMARY KEY,
	body TEXT    NOT NULL,
	mac  BLOB    NOT NULL
);

-- There is no update or delete path: the database refuses both.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
	SELECT RAISE(ABORT, 'audit_event is append-only: rows cannot be changed');
END;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
	SELECT RAISE(ABORT, 'audit_event is append-only: rows cannot be deleted');
END;
