-- Version 4: how far this log has been replicated to the pharmacy's central database (package
-- replica). One row: the newest sequence number the central database has acknowledged, the
-- public chain link (audit.Linker) at that row, and the newest row covered by a signed head.
-- The seq and link are written together, so a cursor restored from a backup is still a
-- consistent pair and replication resumes from it (the central table ignores rows it holds).
CREATE TABLE replica_cursor (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	seq         INTEGER NOT NULL CHECK (seq >= 0),
	link        BLOB    NOT NULL,
	signed_seq  INTEGER NOT NULL DEFAULT 0,
	signed_ms   INTEGER NOT NULL DEFAULT 0,
	updated_ms  INTEGER NOT NULL
) STRICT;
