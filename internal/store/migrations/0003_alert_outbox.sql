-- Version 3: the durable outbox of privacy alerts for the SGP (SCR API POST /AuditEvent).
-- Each alert is queued in the same transaction as its "alert queued" audit row.
CREATE TABLE alert_outbox (
	id         INTEGER PRIMARY KEY,
	created_ms INTEGER NOT NULL,
	payload    TEXT    NOT NULL,                      -- JSON
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_ms    INTEGER NOT NULL,                      -- next attempt, Unix ms
	state      TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
	last_error TEXT    NOT NULL DEFAULT '',
	audit_seq  INTEGER NOT NULL REFERENCES audit_event (seq)
) STRICT;

CREATE INDEX alert_outbox_due ON alert_outbox (state, next_ms);
