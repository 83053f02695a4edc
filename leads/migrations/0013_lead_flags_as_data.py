"""A lead's flags become data (`Lead.flags`: instant, code, untranslated reason) instead
of finished text (`flag_note`, lines of "YYYY-MM-DD HH:MM: why" in UTC and in the
language of whoever wrote them).

The old text cannot be taken apart into a reason and its values, so each line keeps its
instant (parsed, UTC) and its words as they were, under the code "legacy"; the next
derivation of the lead (any new event, a re-import) writes its flags as data again."""

import datetime as dt
import re

from django.db import migrations, models

LINE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}): (.*)$", re.DOTALL)


def flags_from_note(note: str) -> list[dict]:
    flags = []
    for line in note.splitlines():
        if not line.strip():
            continue
        match = LINE.match(line)
        at, why = (match.group(1), match.group(2)) if match else (None, line)
        instant = (
            dt.datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC).isoformat()
            if at
            else None
        )
        flags.append({"at": instant, "code": "legacy", "msgid": why, "params": {}})
    return flags


def note_from_flags(flags: list[dict]) -> str:
    lines = []
    for flag in flags or ():
        at = dt.datetime.fromisoformat(flag["at"]) if flag.get("at") else None
        why = flag.get("msgid", "")
        lines.append(f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M}: {why}" if at else why)
    return "\n".join(lines)


def forwards(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    changed = []
    for lead in Lead.objects.exclude(flag_note="").only("pk", "flag_note").iterator(2000):
        lead.flags = flags_from_note(lead.flag_note)
        changed.append(lead)
        if len(changed) >= 2000:
            Lead.objects.bulk_update(changed, ["flags"])
            changed = []
    Lead.objects.bulk_update(changed, ["flags"])


def backwards(apps, schema_editor):
    # Back to text, in the reasons' source language (parameters are not filled in).
    Lead = apps.get_model("leads", "Lead")
    changed = []
    for lead in Lead.objects.exclude(flags=[]).only("pk", "flags").iterator(2000):
        lead.flag_note = note_from_flags(lead.flags)
        changed.append(lead)
    Lead.objects.bulk_update(changed, ["flag_note"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0012_cycle_queue_and_monthly_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="flags",
            field=models.JSONField(blank=True, default=list, verbose_name="why flagged"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name="lead",
            name="flag_note",
        ),
    ]
