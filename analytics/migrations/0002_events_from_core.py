"""Events recorded before this app existed (``core.AnalyticsEvent``) move here, before core's
table is dropped (core 0002)."""

from django.db import migrations

COPY = """
INSERT INTO analytics_event (name, org_id, user_id, properties, at)
SELECT name, org_id, user_id, properties, created_at FROM core_analyticsevent ORDER BY id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_events"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunSQL(sql=COPY, reverse_sql=migrations.RunSQL.noop)]
