"""Preferences stored under the registry's old kind names now use the kinds the code sends.

The registry once listed `signature_*`, `version_activated`, `version_superseded` and
`lead_handed` while signing and leads wrote `signing.*` and `lead_assigned`, so choices
saved under the old names were never applied. They are carried over to the new names
(a choice already stored under the new name wins).
"""

from django.db import migrations

RENAMED = {
    "lead_handed": "lead_assigned",
    "signature_requested": "signing.requested",
    "signature_reminder": "signing.reminder",
    "signature_declined": "signing.declined",
    "signature_withdrawn": "signing.withdrawn",
    "version_activated": "signing.activated",
    "version_superseded": "signing.superseded",
    "signature_request_expired": "signing.expired",
}


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


def _rename(apps, mapping: dict[str, str]) -> None:
    Preference = apps.get_model("portal", "NotificationPreference")
    for old, new in mapping.items():
        taken = Preference.objects.filter(kind=new).values("user_id")
        Preference.objects.filter(kind=old, user_id__in=taken).delete()
        Preference.objects.filter(kind=old).update(kind=new)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_notification_preferences_and_digest")]

    operations = [migrations.RunPython(forwards, backwards)]
