-- Version 5: the SCR Governance Person's workspace. Both tables are caches that can be rebuilt
-- from the audit log alone (RebuildGovernance): the rule hits by running the rules over every
-- row again, the cases' states by replaying the case rows (notes, status changes, outcomes are
-- audit rows, never edited here).

-- One row per rule that flagged an entry.
CREATE TABLE rule_hit (
	seq         INTEGER NOT NULL,          -- the flagged audit entry
	rule        TEXT    NOT NULL,
	time_ms     INTEGER NOT NULL,
	user_id     TEXT    NOT NULL,
	nhs_number  TEXT    NOT NULL,
	workstation TEXT    NOT NULL,
	evidence    TEXT    NOT NULL,          -- what the rule saw, in plain words
	related     TEXT    NOT NULL DEFAULT '', -- other entries it used, comma-separated
	PRIMARY KEY (seq, rule)
) STRICT, WITHOUT ROWID;

CREATE INDEX rule_hit_by_rule ON rule_hit (rule, seq);

-- One case per flagged entry: the queue's row, sorted by risk then time.
CREATE TABLE gov_case (
	seq         INTEGER PRIMARY KEY,       -- the flagged audit entry
	time_ms     INTEGER NOT NULL,
	user_id     TEXT    NOT NULL,
	user_name   TEXT    NOT NULL,
	nhs_number  TEXT    NOT NULL,
	workstation TEXT    NOT NULL,
	risk        INTEGER NOT NULL,
	rules       TEXT    NOT NULL,          -- comma-separated rule ids
	state       TEXT    NOT NULL DEFAULT 'new',
	closed_ms   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX gov_case_queue   ON gov_case (risk DESC, seq DESC);
CREATE INDEX gov_case_state   ON gov_case (state, risk DESC, seq DESC);
CREATE INDEX gov_case_user    ON gov_case (user_id, risk DESC, seq DESC);
CREATE INDEX gov_case_patient ON gov_case (nhs_number, risk DESC, seq DESC);
CREATE INDEX gov_case_time    ON gov_case (time_ms);

-- Which audit rows are steps of which case (the rows themselves are in audit_event).
CREATE TABLE gov_step (
	case_seq  INTEGER NOT NULL,
	audit_seq INTEGER NOT NULL,
	PRIMARY KEY (case_seq, audit_seq)
) STRICT, WITHOUT ROWID;
