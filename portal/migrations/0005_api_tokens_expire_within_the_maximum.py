"""Tokens made to "never" expire get the maximum lifetime, counted from when they were made
(settings.API_TOKEN_MAX_DAYS; portal.tokens refuses them after that already)."""

import datetime

from django.conf import settings
from django.db import migrations


def give_every_token_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("portal", "ApiToken")
    longest = datetime.timedelta(days=settings.API_TOKEN_MAX_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + longest)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_notification_message"),
    ]

    operations = [
        migrations.RunPython(give_every_token_an_expiry, migrations.RunPython.noop),
    ]
