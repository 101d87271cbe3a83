-- SCR Desk's central audit log (package replica). Applied by IT support, as the database's
-- owner, with `scrdesk audit central-schema | psql ...` or replica.ApplySchema. Idempotent.
--
-- Roles: scrdesk_writer (each workstation's login is a member) may only INSERT;
-- scrdesk_reader (the SGPs' logins) may only SELECT. Nobody may UPDATE, DELETE or TRUNCATE:
-- the grants do not allow it, and triggers refuse it even for the owner.
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scrdesk_writer') THEN
		CREATE ROLE scrdesk_writer NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scrdesk_reader') THEN
		CREATE ROLE scrdesk_reader NOLOGIN;
	END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS scrdesk;
REVOKE ALL ON SCHEMA scrdesk FROM PUBLIC;
GRANT USAGE ON SCHEMA scrdesk TO scrdesk_writer, scrdesk_reader;

-- One row per workstation log instance, written in the same transaction as its first rows:
-- its Ed25519 public key, which verifies its signed heads.
CREATE TABLE IF NOT EXISTS scrdesk.workstation (
	instance_id   uuid        PRIMARY KEY,
	public_key    bytea       NOT NULL CHECK (length(public_key) = 32),
	workstation   text        NOT NULL,
	ods_code      text        NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT now()
);

-- Every workstation's audit rows, as they are in its SQLite file. body is the MAC-covered
-- canonical JSON (package audit); mac is the HMAC only the workstation can check; link is the
-- keyless public chain value (audit.Linker) that signed heads cover. The searchable columns
-- are computed from body, so they cannot disagree with it.
CREATE TABLE IF NOT EXISTS scrdesk.audit_event (
	instance_id uuid   NOT NULL,
	seq         bigint NOT NULL CHECK (seq >= 1),
	body        text   NOT NULL,
	mac         bytea  NOT NULL,
	link        bytea  NOT NULL,
	time_ms     bigint GENERATED ALWAYS AS ((body::jsonb ->> 't')::bigint) STORED,
	workstation text   GENERATED ALWAYS AS (body::jsonb ->> 'ws') STORED,
	ods_code    text   GENERATED ALWAYS AS (body::jsonb ->> 'ods') STORED,
	action      text   GENERATED ALWAYS AS (body::jsonb ->> 'a') STORED,
	user_id     text   GENERATED ALWAYS AS (body::jsonb ->> 'uid') STORED,
	nhs_number  text   GENERATED ALWAYS AS (body::jsonb ->> 'nhs') STORED,
	PRIMARY KEY (instance_id, seq)
);
-- The SGP's pharmacy-wide queries, keyset-paged on (time_ms, instance_id, seq).
CREATE INDEX IF NOT EXISTS audit_by_ods_time    ON scrdesk.audit_event (ods_code, time_ms, instance_id, seq);
CREATE INDEX IF NOT EXISTS audit_by_ods_patient ON scrdesk.audit_event (ods_code, nhs_number, time_ms, instance_id, seq) WHERE nhs_number <> '';
CREATE INDEX IF NOT EXISTS audit_by_ods_user    ON scrdesk.audit_event (ods_code, user_id, time_ms, instance_id, seq);
-- The concurrent-sessions rule reads only sign-ins, unlocks, locks and sign-outs.
CREATE INDEX IF NOT EXISTS audit_sessions ON scrdesk.audit_event (ods_code, time_ms, instance_id, seq)
	WHERE action IN ('login', 'unlock', 'logout', 'lock-card-removed', 'lock-idle', 'lock-manual', 'lock-service-lost');

-- Signed chain heads: the workstation's statement that its chain reached seq with link.
CREATE TABLE IF NOT EXISTS scrdesk.chain_head (
	instance_id uuid   NOT NULL REFERENCES scrdesk.workstation (instance_id),
	seq         bigint NOT NULL CHECK (seq >= 1),
	link        bytea  NOT NULL,
	signed_ms   bigint NOT NULL,
	signature   bytea  NOT NULL,
	PRIMARY KEY (instance_id, seq)
);

CREATE OR REPLACE FUNCTION scrdesk.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'scrdesk.% is append-only: % is refused', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['workstation', 'audit_event', 'chain_head'] LOOP
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON scrdesk.%I', t || '_no_change', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON scrdesk.%I FOR EACH ROW EXECUTE FUNCTION scrdesk.append_only()', t || '_no_change', t);
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON scrdesk.%I', t || '_no_truncate', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON scrdesk.%I FOR EACH STATEMENT EXECUTE FUNCTION scrdesk.append_only()', t || '_no_truncate', t);
	END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA scrdesk FROM PUBLIC, scrdesk_writer, scrdesk_reader;
GRANT INSERT ON scrdesk.workstation, scrdesk.audit_event, scrdesk.chain_head TO scrdesk_writer;
-- A workstation reads back its own registration (to check its key) and nothing else's rows.
GRANT SELECT ON scrdesk.workstation TO scrdesk_writer;
-- It reads back the sequence numbers and links (hashes, no patient data) of rows the server
-- already held, to tell a retry of its own batch from an entry planted at its next number.
GRANT SELECT (instance_id, seq, link) ON scrdesk.audit_event TO scrdesk_writer;
GRANT SELECT ON scrdesk.workstation, scrdesk.audit_event, scrdesk.chain_head TO scrdesk_reader;
