-- Version 2: the fields the SGP searches on, as virtual columns computed from the MAC-covered
-- body (so they cannot disagree with it), indexes for each query (paged by seq, never by
-- OFFSET), settings, and the last role each user chose.
ALTER TABLE audit_event ADD COLUMN time_ms    INTEGER GENERATED ALWAYS AS (json_extract(body, '$.t'))   VIRTUAL;
ALTER TABLE audit_event ADD COLUMN action     TEXT    GENERATED ALWAYS AS (json_extract(body, '$.a'))   VIRTUAL;
ALTER TABLE audit_event ADD COLUMN outcome    TEXT    GENERATED ALWAYS AS (json_extract(body, '$.o'))   VIRTUAL;
ALTER TABLE audit_event ADD COLUMN user_id    TEXT    GENERATED ALWAYS AS (json_extract(body, '$.uid')) VIRTUAL;
ALTER TABLE audit_event ADD COLUMN nhs_number TEXT    GENERATED ALWAYS AS (json_extract(body, '$.nhs')) VIRTUAL;

CREATE INDEX audit_by_time    ON audit_event (time_ms);
CREATE INDEX audit_by_patient ON audit_event (nhs_number, seq) WHERE nhs_number <> '';
CREATE INDEX audit_by_user    ON audit_event (user_id, seq);
CREATE INDEX audit_by_action  ON audit_event (action, outcome, seq);

-- One settings document (package settings, JSON). Secrets never go here.
CREATE TABLE settings (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	doc        TEXT    NOT NULL,
	updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE last_role (
	user_id    TEXT PRIMARY KEY,
	urid       TEXT NOT NULL,
	updated_ms INTEGER NOT NULL
) STRICT;
