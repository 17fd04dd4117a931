"""
Issue #11: each clock keeps its commune, so the officer's due list is one index range.

Each clock keeps its case's responsible commune (filled here from the case; set by the deadline
engine when a clock starts, moved by a transfer). The province's open cases are counted by
commune from one index; the unread badge reads its notices in index order.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_communes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE cases_casedeadline d SET commune_id = c.commune_id "
            "FROM cases_case c WHERE c.id = d.case_id AND d.commune_id IS NULL"
        )
    else:
        schema_editor.execute(
            "UPDATE cases_casedeadline SET commune_id = (SELECT c.commune_id FROM cases_case c "
            "WHERE c.id = cases_casedeadline.case_id) WHERE commune_id IS NULL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0006_list_order_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_province_status"),
        migrations.RemoveIndex(model_name="notification", name="notification_unread"),
        migrations.AddField(
            model_name="casedeadline",
            name="commune",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.administrativeunit",
            ),
        ),
        migrations.RunPython(fill_communes, migrations.RunPython.noop, elidable=False),
    ]
