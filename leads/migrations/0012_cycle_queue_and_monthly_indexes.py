from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0011_visitorcount"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="cycle",
            index=models.Index(
                condition=models.Q(("ended_at__isnull", True)),
                fields=["owner", "deadline_at", "handoff_at", "id"],
                name="cycle_open_owner_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="cycle",
            index=models.Index(
                condition=models.Q(("ended_at__isnull", True)),
                fields=["deadline_at", "handoff_at", "id"],
                name="cycle_open_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="cycle",
            index=models.Index(
                condition=models.Q(("won_at__isnull", False)),
                fields=["agreement", "won_at"],
                name="cycle_won_by_agreement",
            ),
        ),
        migrations.AddIndex(
            model_name="cycle",
            index=models.Index(
                condition=models.Q(("rejected_at__isnull", False)),
                fields=["agreement", "rejected_at", "rejected_reason_code"],
                name="cycle_rejected_by_agreement",
            ),
        ),
    ]
