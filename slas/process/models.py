"""The "process steps" part of a version (docs/compliance.md#process-steps).

A step is a version part like a term or a commitment: ordered by `position`, copied by
"new version", compared, sealed when signed (the seal introspects every `VersionPart`),
frozen once the version leaves draft. This module registers it in `PART_MODELS` when the
app loads its models (`SlasConfig.area_models`), so every generic part machinery (editor
formsets, compare, API, admin, history, copy) covers it without naming it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import limits
from portal.limits import limited_text
from portal.models import Team
from slas.models import (
    PART_MODELS,
    Version,
    VersionPart,
    _refuse_deleting_locked_content,
)
from slas.stages import Stage

#: Stages a step SLA may run on: those a handed-off lead leaves by a move of its own
#: (docs/compliance.md#step-sla). `lead` is before any handoff (no cycle to time);
#: `won`, `lost` and `disqualified` are final.
SLA_STAGES = frozenset({"mql", "sal", "sql", "opportunity", "recycled"})


class ProcessStep(VersionPart):
    """One step of the lead process. `stages`: the lead stages it covers (a list of
    `slas.stages.Stage` values; empty for a step before the lead exists, e.g. visitor)."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="process_steps")
    name = models.CharField(_("step"), max_length=120)
    stages = models.JSONField(_("stages covered"), default=list, blank=True)
    term = models.CharField(
        _("glossary term"),
        max_length=120,
        blank=True,
        help_text=_("The term of this version's definitions that defines the step."),
    )
    definition = limited_text(_("definition"), limits.LONG, blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="process_steps", verbose_name=_("owner team")
    )
    exit_criteria = limited_text(_("exit criteria"), limits.LONG, blank=True)
    metric = models.CharField(_("metric"), max_length=200, blank=True)
    sla_hours = models.DecimalField(
        _("step SLA (business hours)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Most business time a lead may stay in the step; empty: no step SLA."),
    )
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "name"], name="process_step_unique_per_version"
            ),
            models.CheckConstraint(
                condition=Q(sla_hours__isnull=True) | Q(sla_hours__gt=0),
                name="process_step_sla_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_sla(self) -> bool:
        return self.sla_hours is not None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        stages = self.stages if self.stages is not None else []
        known = set(Stage.values)
        if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
            errors["stages"] = [gettext("Stages are a list of stage names.")]
            stages = []
        elif not set(stages) <= known:
            errors["stages"] = [
                gettext("Unknown stage(s): %(names)s.")
                % {"names": ", ".join(sorted(set(stages) - known))}
            ]
        elif len(set(stages)) != len(stages):
            errors["stages"] = [gettext("A stage is listed twice.")]
        if self.sla_hours is not None:
            if self.sla_hours <= 0:
                errors.setdefault("sla_hours", []).append(
                    gettext("A step SLA is more than zero hours.")
                )
            elif not stages or not set(stages) <= SLA_STAGES:
                errors.setdefault("sla_hours", []).append(
                    gettext(
                        "A step SLA needs a step whose stages a lead leaves by moving on: "
                        "MQL, SAL, SQL, opportunity or recycled."
                    )
                )
        if self.version_id and stages and "stages" not in errors:
            others = ProcessStep.objects.filter(version_id=self.version_id).exclude(pk=self.pk)
            taken = {s for other in others.values_list("stages", flat=True) for s in other or []}
            twice = sorted(set(stages) & taken)
            if twice:
                errors["stages"] = [
                    gettext("Another step already covers: %(names)s.") % {"names": ", ".join(twice)}
                ]
        if self._owner_outside_parties():
            errors.setdefault("owner_team", []).append(
                gettext("The owner team must be a party to the agreement.")
            )
        if errors:
            raise ValidationError(errors)


PART_MODELS["process_steps"] = ProcessStep
pre_delete.connect(
    _refuse_deleting_locked_content, sender=ProcessStep, dispatch_uid="slas_lock_ProcessStep"
)
