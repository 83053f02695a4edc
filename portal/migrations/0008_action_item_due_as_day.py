"""Action item notifications stored their due date as ISO text ("2026-12-26"), which read
as that text in every language; store it as a day (portal.text), written when read."""

import re

from django.db import migrations

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def due_as_day(apps, schema_editor):
    Notification = apps.get_model("portal", "Notification")
    rows = Notification.objects.filter(kind="action_item_assigned").only("id", "message")
    for notification in rows.iterator():
        params = ((notification.message or {}).get("body") or {}).get("params") or {}
        due = params.get("due")
        if isinstance(due, str) and ISO_DAY.match(due):
            params["due"] = {"day": due}
            notification.save(update_fields=["message"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_profile_language"),
    ]

    operations = [migrations.RunPython(due_as_day, migrations.RunPython.noop)]
