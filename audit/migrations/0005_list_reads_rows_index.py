"""
A list read is one entry naming the cases it showed in detail->'rows' (issue #11). On PostgreSQL
a GIN index on that array lets "who has read this case" and the auditor's search find them.
SQLite (the embedded demo) searches the array without an index.
"""

from django.db import migrations

INDEX = "audit_detail_rows"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON audit_auditentry "
        "USING gin ((detail -> 'rows') jsonb_path_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_append_truncate")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
