"""A lead is its team pair plus (source, external id), an event is unique per lead
(issue 17: ingest for one team pair must never reach another pair's leads).

The old constraints imply the new ones, so existing rows always satisfy them. The
index on marketing_team alone goes: the new unique index starts with it. It is dropped
by name, as in 0004 (an AlterField would also drop and re-add the foreign key)."""

import django.db.models.deletion
from django.db import migrations, models

MARKETING_TEAM_INDEX = "leads_lead_marketing_team_id_19e1772d"


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0007_importjob_lease_and_chunks"),
        ("portal", "0004_notification_message"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.UniqueConstraint(
                fields=("marketing_team", "sales_team", "source", "external_id"),
                name="lead_unique_per_team_pair_and_source",
            ),
        ),
        migrations.RemoveConstraint(model_name="lead", name="lead_unique_per_source"),
        migrations.AddConstraint(
            model_name="leadevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source_event_id", ""), _negated=True),
                fields=("lead", "source", "source_event_id"),
                name="lead_event_unique_per_lead_and_source",
            ),
        ),
        migrations.RemoveConstraint(model_name="leadevent", name="lead_event_unique_per_source"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{MARKETING_TEAM_INDEX}"',
                    reverse_sql=f'CREATE INDEX "{MARKETING_TEAM_INDEX}" ON "leads_lead" '
                    '("marketing_team_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="lead",
                    name="marketing_team",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="marketing_leads",
                        to="portal.team",
                    ),
                ),
            ],
        ),
    ]
