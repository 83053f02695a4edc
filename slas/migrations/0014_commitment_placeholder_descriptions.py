"""Clear commitment descriptions that are only a placeholder (a kind's name, such as the
editor's "First contact within H business hours"), so those commitments read from their
parameters in each reader's language (slas.sentences).

Drafts only: a version that left draft is sealed as it was signed, and its document hides
such a description when read (slas.models.commitment_description_clean)."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

# The kind names as they were when this migration was written (frozen, not imported).
KIND_NAMES = [
    "MQL volume",
    "First contact within H business hours",
    "Acceptance rate",
    "Attempts before recycle",
    "Reason documented",
    "Feedback coverage",
    "Conversion rate",
]


def _key(text) -> str:
    return " ".join(str(text or "").split()).rstrip(".").casefold()


def placeholders() -> set[str]:
    found = {_key(name) for name in KIND_NAMES}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update(_key(translation.gettext(name)) for name in KIND_NAMES)
    return found


def clear_placeholder_descriptions(apps, schema_editor):
    Commitment = apps.get_model("slas", "Commitment")
    known = placeholders()
    ids = [
        pk
        for pk, description in Commitment.objects.filter(version__status="draft")
        .exclude(description="")
        .values_list("pk", "description")
        if _key(description) in known
    ]
    if ids:
        Commitment.objects.filter(pk__in=ids).update(description="")


class Migration(migrations.Migration):
    dependencies = [
        ("slas", "0013_free_text_limits"),
    ]

    operations = [
        migrations.RunPython(clear_placeholder_descriptions, migrations.RunPython.noop),
    ]
