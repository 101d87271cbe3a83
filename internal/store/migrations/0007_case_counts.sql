-- Version 7: Home's count of open cases and the coverage over four review periods at ten million
-- rows. The count of cases in each state is kept beside the cases by triggers (Home counted every
-- case row: 1.4 s at 10 million rows), and the coverage reads the four columns it needs from an
-- index (CasesSince). Like gov_case it is a cache: rebuilding the cases rebuilds it, and
-- verify compares it with the cases.
CREATE TABLE gov_case_count (
	state TEXT    PRIMARY KEY,
	n     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO gov_case_count (state, n) SELECT state, count(*) FROM gov_case GROUP BY state;

CREATE TRIGGER gov_case_count_insert AFTER INSERT ON gov_case BEGIN
	INSERT INTO gov_case_count (state, n) VALUES (NEW.state, 1)
		ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER gov_case_count_delete AFTER DELETE ON gov_case BEGIN
	UPDATE gov_case_count SET n = n - 1 WHERE state = OLD.state;
END;

CREATE TRIGGER gov_case_count_state AFTER UPDATE OF state ON gov_case WHEN OLD.state IS NOT NEW.state BEGIN
	UPDATE gov_case_count SET n = n - 1 WHERE state = OLD.state;
	INSERT INTO gov_case_count (state, n) VALUES (NEW.state, 1)
		ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE INDEX gov_case_coverage ON gov_case (time_ms, seq, state, rules);
