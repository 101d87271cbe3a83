-- Version 6: a row's time is the clock's reading as it was (a clock that stepped back, or a
-- forward jump corrected later, no longer pins the time of every later row). The rows whose time
-- is earlier than the row before them carry the detail clock_behind_ms; this index lists them,
-- so a time-range query knows at once whether the log's times follow its sequence (the fast
-- path) or not (then every row's own time is checked).
CREATE INDEX audit_clock_behind ON audit_event (seq) WHERE json_extract(body, '$.d.clock_behind_ms') IS NOT NULL;
