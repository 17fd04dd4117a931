"""
Issue #11: every clock now names its commune (0007 filled it) and the open-work indexes exist.
A migration of its own: on PostgreSQL the fill's deferred foreign-key checks must be done before
the column can be altered.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_deadline_commune_open_indexes")]

    operations = [
        migrations.AlterField(
            model_name="casedeadline",
            name="commune",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.administrativeunit",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["province", "status", "commune"], name="case_province_open"),
        ),
        migrations.AddIndex(
            model_name="casedeadline",
            index=models.Index(
                condition=models.Q(("met_at__isnull", True), ("waived_at__isnull", True)),
                fields=["commune", "due_at", "id"],
                name="deadline_open_by_commune",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("read_at__isnull", True)),
                fields=["recipient", "created_at", "id"],
                name="notification_unread_order",
            ),
        ),
    ]
