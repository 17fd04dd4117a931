"""
On PostgreSQL: append entries in one round trip (audit_append), and refuse TRUNCATE too.

audit_append takes the entries' columns and each one's canonical content prefix (audit.chain),
locks the chain, reads its head, gives each entry its place and hash, inserts them and returns
the places and hashes. Python's audit.chain.link_hash computes the same hash; verify_audit
recomputes every one in Python.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_append(p_rows jsonb, p_relaxed boolean)
RETURNS TABLE(out_seq bigint, out_prev text, out_hash text) AS $$
DECLARE
    r jsonb;
    v_seq bigint;
    v_hash text;
    v_prev text;
BEGIN
    PERFORM pg_advisory_xact_lock(7111111);
    IF p_relaxed THEN
        -- A request's reads, in a transaction of their own: the commit need not wait for the
        -- disk. A crash may lose the last of them; the chain stays whole.
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    -- A statement of its own after the lock: READ COMMITTED gives it a snapshot that sees
    -- every entry committed before the lock was granted.
    SELECT a.seq, a.hash INTO v_seq, v_hash FROM audit_auditentry a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_hash := repeat('0', 64);
    END IF;
    FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
        v_prev := v_hash;
        v_seq := v_seq + 1;
        v_hash := encode(sha256(convert_to(
            v_prev || ':' || (r->>'prefix') || ',"seq":' || v_seq::text || '}', 'UTF8'
        )), 'hex');
        INSERT INTO audit_auditentry (
            seq, at, actor_id, actor_username, organisation, organisation_id, action,
            object_type, object_id, case_id, outcome, ip, detail, prev_hash, hash
        ) VALUES (
            v_seq, (r->>'at')::timestamptz, (r->>'actor_id')::bigint, r->>'actor_username',
            r->>'organisation', r->>'organisation_id', r->>'action', r->>'object_type',
            r->>'object_id', r->>'case_id', r->>'outcome', (r->>'ip')::inet, r->'detail',
            v_prev, v_hash
        );
        out_seq := v_seq;
        out_prev := v_prev;
        out_hash := v_hash;
        RETURN NEXT;
    END LOOP;
END;
$$ LANGUAGE plpgsql;

-- TRUNCATE fires no row trigger: refuse it with a statement trigger. A test database (which
-- Django empties with TRUNCATE between transactional tests) sets audit.allow_truncate.
CREATE OR REPLACE FUNCTION audit_entry_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('audit.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_no_truncate();
DROP FUNCTION IF EXISTS audit_append(jsonb, boolean);
"""


def _run(schema_editor, sql):
    # A plain cursor without parameters: "%" in PL/pgSQL is not a placeholder.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, CREATE)


def backwards(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_organisation_id_case_index")]

    operations = [migrations.RunPython(forwards, backwards)]
