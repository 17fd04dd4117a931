"""
A list read is one entry naming the cases it showed in detail->'rows' (issue #11). On PostgreSQL
a GIN index on that array lets "who has read this case" and the auditor's search find them. It
is partial: an entry without rows (most of them) costs the append nothing here, where a GIN
entry for its NULL cost ~20 ms. SQLite (the embedded demo) searches the array without an index.
"""

from django.db import migrations

INDEX = "audit_detail_rows"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON audit_auditentry "
        "USING gin ((detail -> 'rows') jsonb_path_ops) WHERE detail ? 'rows'"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_append_truncate")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
