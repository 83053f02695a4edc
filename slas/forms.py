"""Forms of the agreement area. They validate input and shape it for the services; the
models' own `clean()` rules apply here too (ModelForm), and the services check again."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Team
from slas import funnel
from slas.history import WHY_MAX_LENGTH
from slas.models import (
    CHANNELS,
    COMMITMENT_PARAMS,
    FUNNEL_STAGES,
    PART_MODELS,
    WEEKDAYS,
    Agreement,
    Cadence,
    Commitment,
    CommitmentKind,
    Incentive,
    Version,
)
from slas.selectors import COMPONENTS
from slas.stages import Stage, stage_label

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class AgreementForm(forms.ModelForm):
    parties = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Parties"),
        help_text=gettext_lazy("Two or more teams; you must manage one of them."),
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Version 1 takes effect on"),
        widget=DATE,
        required=False,
        help_text=gettext_lazy("Defaults to today; ends 12 months later, review after 6."),
    )

    class Meta:
        model = Agreement
        fields = ["title", "purpose", "parties"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def clean_parties(self):
        parties = self.cleaned_data["parties"]
        if len(parties) < 2:
            raise forms.ValidationError(_("Choose at least two teams."))
        return parties


class RevisionMixin(forms.Form):
    """What every save of a draft posts with it: the `edit_revision` the editor loaded
    (optimistic locking) and the short reason for the change, which the history and the
    compare page show. The reason is required once the draft was sent for signature and
    taken back (`reason_required`, from `Version.was_sent_before`); the service checks
    the same."""

    edit_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    edit_reason = forms.CharField(
        label=gettext_lazy("Why this change (optional)"),
        required=False,
        max_length=WHY_MAX_LENGTH,
        help_text=gettext_lazy(
            "One short line, shown in the history and when versions are compared."
        ),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            field = self.fields["edit_reason"]
            field.required = True
            field.label = _("Why this change")
            field.help_text = _(
                "Required: this draft was sent for signature before and taken back. One short "
                "line, shown in the history and when versions are compared."
            )
            field.error_messages["required"] = _(
                "Say why you change this draft: it was sent for signature before and taken back."
            )


def component_form_class(component: str) -> type[forms.ModelForm] | None:
    """A ModelForm for the version fields of one component (None: it has none)."""
    component_fields = next(f for key, _t, f, _p in COMPONENTS if key == component)
    if not component_fields:
        return None

    widgets = {
        "effective_date": DATE,
        "end_date": DATE,
        "review_date": DATE,
        "work_start": TIME,
        "work_end": TIME,
        "change_summary": forms.Textarea(attrs={"rows": 3}),
        "goal_statements": forms.Textarea(attrs={"rows": 3}),
        "handoff_trigger": forms.Textarea(attrs={"rows": 2}),
        "handoff_information": forms.Textarea(attrs={"rows": 2}),
    }

    class ComponentForm(forms.ModelForm):
        class Meta:
            model = Version
            fields = [f for f in component_fields if f not in ("working_days", "channels")]

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "working_days" in component_fields:
                self.fields["working_days"] = forms.TypedMultipleChoiceField(
                    choices=WEEKDAYS,
                    coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                    label=_("Working days"),
                    required=False,
                    initial=self.instance.working_days,
                )
            if "channels" in component_fields:
                self.fields["channels"] = forms.MultipleChoiceField(
                    choices=CHANNELS,
                    widget=forms.CheckboxSelectMultiple,
                    label=_("Channels"),
                    required=False,
                    initial=self.instance.channels,
                )
            if "calendar_timezone" in component_fields:
                self.fields["calendar_timezone"].help_text = _(
                    "An IANA time zone, e.g. Europe/Bucharest or America/New_York."
                )
            if "change_summary" in component_fields:
                self.fields["change_summary"].help_text = _(
                    "What this version changes and why. Required before it is sent for signature."
                )
            for name, widget in widgets.items():
                if name in self.fields:
                    self.fields[name].widget = widget
                    if self.instance.pk and not self.is_bound:
                        self.initial[name] = getattr(self.instance, name)

        def _post_clean(self):
            for name in ("working_days", "channels"):
                if name in self.cleaned_data:
                    setattr(self.instance, name, self.cleaned_data[name])
            super()._post_clean()

    return ComponentForm


class PartForm(forms.ModelForm):
    """A row of a part formset; `version` is set by the view before validation."""

    def __init__(self, *args, version: Version | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if version is not None:
            self.instance.version = version


class PartyChoiceField(forms.ModelChoiceField):
    """The agreement's party teams, from a list read once per formset.

    A plain ModelChoiceField runs its queryset for every form that renders or validates,
    so a formset of N commitments would cost N queries; this one looks up in the list.
    """

    def __init__(self, parties: list[Team], **kwargs):
        self._parties = {str(team.pk): team for team in parties}
        super().__init__(queryset=Team.objects.filter(pk__in=list(self._parties)), **kwargs)
        self.choices = [("", self.empty_label), *((team.pk, str(team)) for team in parties)]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = str(value.pk if isinstance(value, Team) else value)
        if key not in self._parties:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return self._parties[key]


def _stage_choices() -> list[tuple[str, str]]:
    """The funnel stages with the leads area's translated labels (read per form, so in the
    language of the request)."""
    return [("", "—"), *((stage, stage_label(stage)) for stage in FUNNEL_STAGES)]


def plain_number(value: Decimal) -> str:
    """A decimal as a person writes it: 130 (not 130.00), 92.5, 0.25."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class PlainNumberInput(forms.NumberInput):
    """A number box that shows a stored decimal without its trailing zeros."""

    def __init__(self, attrs=None):
        super().__init__({"step": "any", "inputmode": "decimal", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal):
            return plain_number(value)
        return super().format_value(value)


#: The unit a commitment's target is counted in, by kind (rates are percentages).
def target_unit(kind: str | None) -> str:
    return _("MQLs") if kind == CommitmentKind.MQL_VOLUME else "%"


class CommitmentForm(PartForm):
    """One commitment of the editor's cards. `position` is hidden: the move buttons set
    it (`UniqueRowsFormSet.reorder`), nobody types it. The target shows in its unit."""

    hours = forms.DecimalField(
        label=gettext_lazy("Hours (H)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=6,
        widget=PlainNumberInput(attrs={"min": "0.01"}),
    )
    attempts = forms.IntegerField(label=gettext_lazy("Attempts (K)"), required=False, min_value=1)
    from_stage = forms.ChoiceField(
        label=gettext_lazy("From stage"), required=False, choices=_stage_choices
    )
    to_stage = forms.ChoiceField(
        label=gettext_lazy("To stage"), required=False, choices=_stage_choices
    )

    class Meta:
        model = Commitment
        fields = ["owner_team", "kind", "target", "period", "description", "position"]

    def __init__(
        self,
        *args,
        version: Version | None = None,
        parties: list[Team] | None = None,
        next_position: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, version=version, **kwargs)
        self.fields["position"].widget = forms.HiddenInput()
        self.fields["target"].widget = PlainNumberInput(attrs={"min": "0"})
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 2, "maxlength": 255})
        if next_position is not None and self.instance.pk is None:
            self.initial["position"] = next_position
        if parties is None and version is not None:
            parties = list(version.agreement.parties.all())
        if parties is not None:
            self.fields["owner_team"] = PartyChoiceField(
                parties,
                label=self.fields["owner_team"].label,
                required=self.fields["owner_team"].required,
            )
        params = self.instance.params or {}
        for name in ("hours", "attempts", "from_stage", "to_stage"):
            if name in params and not self.is_bound:
                self.initial[name] = params[name]
        self.fields["target"].help_text = _("A count for MQL volume; a percentage otherwise.")

    @property
    def kind_value(self) -> str:
        return self["kind"].value() or ""

    @property
    def unit(self) -> str:
        return target_unit(self.kind_value)

    @property
    def card_label(self) -> str:
        """What the card is, for the move buttons' labels: its kind and owner."""
        kind = dict(CommitmentKind.choices).get(self.kind_value)
        if kind is None:
            return _("new commitment")
        owner = self.fields["owner_team"]
        team = {str(key): label for key, label in owner.choices}.get(
            str(self["owner_team"].value() or "")
        )
        return f"{kind} · {team}" if team else str(kind)

    def param_fields(self) -> list[tuple]:
        """(bound field, kinds that use it as a space-separated list, used by this kind)."""
        rows = []
        for name in ("hours", "attempts", "from_stage", "to_stage"):
            kinds = [kind for kind, names in COMMITMENT_PARAMS.items() if name in names]
            rows.append((self[name], " ".join(kinds), self.kind_value in kinds))
        return rows

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        target = cleaned.get("target")
        if (
            kind == CommitmentKind.MQL_VOLUME
            and target is not None
            and target != target.to_integral_value()
        ):
            self.add_error("target", _("A count of MQLs is a whole number."))
        params = {}
        for name in COMMITMENT_PARAMS.get(kind, ()):
            value = cleaned.get(name)
            if value in (None, ""):
                self.add_error(name, _("This kind needs this parameter."))
                continue
            if name == "hours":
                value = int(value) if value == value.to_integral() else float(value)
            params[name] = value
        cleaned["params"] = params
        self.instance.params = params
        return cleaned


class IncentiveForm(PartForm):
    """A row of the incentives formset: the team paid is one of the agreement's parties."""

    class Meta:
        model = Incentive
        fields = [
            "owner_team",
            "name",
            "measure",
            "amount",
            "rate_percent",
            "cap",
            "condition",
            "period",
            "position",
        ]

    def __init__(
        self,
        *args,
        version: Version | None = None,
        parties: list[Team] | None = None,
        **kwargs,
    ):
        super().__init__(*args, version=version, **kwargs)
        if parties is None and version is not None:
            parties = list(version.agreement.parties.all())
        if parties is not None:
            self.fields["owner_team"] = PartyChoiceField(
                parties, label=self.fields["owner_team"].label, required=True
            )
        self.fields["amount"].help_text = _("For won deals, SQLs and commitments met.")
        self.fields["rate_percent"].help_text = _("For revenue only.")
        self.fields["cap"].help_text = _("Empty: no cap.")


PART_FIELDS = {
    "terms": ["term", "definition", "position"],
    "scoring_rules": ["attribute", "operator", "value", "points", "dimension", "position"],
    "reason_codes": ["code", "label", "applies_to", "position"],
    "nurture_tracks": ["name", "description", "duration_days", "position"],
    "commitments": None,  # CommitmentForm
    "holidays": ["date", "name"],
    "sections": ["title", "body", "position"],
    "escalation_steps": ["at_percent", "action"],
    "incentives": None,  # IncentiveForm
}
PART_WIDGETS = {
    "definition": forms.Textarea(attrs={"rows": 2}),
    "description": forms.Textarea(attrs={"rows": 2}),
    "body": forms.Textarea(attrs={"rows": 6}),
    "date": DATE,
}


class ProcessStepForm(PartForm):
    """A step of the lead-process map: stages as checkboxes, the owner among the parties."""

    stages = forms.MultipleChoiceField(
        label=gettext_lazy("Stages covered"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "stage-checks"}),
        choices=Stage.choices,
    )

    class Meta:
        model = PART_MODELS["process_steps"]
        fields = [
            "name",
            "stages",
            "term",
            "definition",
            "owner_team",
            "exit_criteria",
            "metric",
            "sla_hours",
            "position",
        ]
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 2}),
            "exit_criteria": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(
        self,
        *args,
        version: Version | None = None,
        parties: list[Team] | None = None,
        **kwargs,
    ):
        super().__init__(*args, version=version, **kwargs)
        self.fields["stages"].choices = [(s.value, str(s.label)) for s in Stage]
        if parties is None and version is not None:
            parties = list(version.agreement.parties.all())
        if parties is not None:
            self.fields["owner_team"] = PartyChoiceField(
                parties,
                label=self.fields["owner_team"].label,
                required=self.fields["owner_team"].required,
            )


#: Part formsets whose rows need more than `PartForm` (an owner among the parties...).
PART_FORMS = {
    "commitments": CommitmentForm,
    "process_steps": ProcessStepForm,
    "incentives": IncentiveForm,
}


class UniqueRowsFormSet(forms.BaseModelFormSet):
    """Refuse two rows with the same key (e.g. one term defined twice) with a clear message."""

    unique_keys: tuple[str, ...] = ()

    def __init__(self, *args, version: Version, **kwargs):
        self.version = version
        kwargs.setdefault("queryset", self.model.objects.filter(version=version))
        form_kwargs = kwargs.setdefault("form_kwargs", {})
        form_kwargs["version"] = version
        if issubclass(self.form, (CommitmentForm, ProcessStepForm, IncentiveForm)):
            form_kwargs.setdefault("parties", list(version.agreement.parties.all()))
        super().__init__(*args, **kwargs)
        if issubclass(self.form, CommitmentForm):
            # New rows go after every saved one, whatever their positions (ties included).
            rows = list(self.get_queryset().values_list("position", flat=True))
            self.form_kwargs["next_position"] = max([len(rows), *rows]) + 1

    def display_forms(self) -> list:
        """The forms in the order the document reads: by position (as posted, when the
        form is bound), then as loaded; new rows last."""

        def key(indexed):
            index, form = indexed
            try:
                position = int(form["position"].value())
            except (TypeError, ValueError):
                position = 10**9
            return (form.instance.pk is None, position, index)

        return [form for _index, form in sorted(enumerate(self.forms), key=key)]

    def reorder(self, data, *, prefix: str, direction: str):
        """A copy of the posted `data` with the saved row `prefix` moved one place up or
        down, the saved rows numbered 1..n in their new order (new rows already come
        after them). The no-JavaScript path of the move buttons; nothing is saved."""
        saved = [form for form in self.display_forms() if form.instance.pk is not None]
        prefixes = [form.prefix for form in saved]
        data = data.copy()
        if prefix in prefixes:
            index = prefixes.index(prefix)
            other = index - 1 if direction == "up" else index + 1
            if 0 <= other < len(prefixes):
                prefixes[index], prefixes[other] = prefixes[other], prefixes[index]
        for number, row in enumerate(prefixes, start=1):
            data[f"{row}-position"] = str(number)
        return data

    def clean(self):
        super().clean()
        if not self.unique_keys:
            return
        seen = set()
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            key = tuple(
                str(form.cleaned_data.get(name, "")).strip().lower() for name in self.unique_keys
            )
            if key in seen:
                raise forms.ValidationError(
                    _("Two rows have the same %(fields)s: keep one.")
                    % {
                        "fields": ", ".join(
                            str(self.model._meta.get_field(n).verbose_name)
                            for n in self.unique_keys
                        )
                    }
                )
            seen.add(key)

    def changes(self):
        """(create, update, delete) for `services.version_edit`."""
        create, update, delete = [], [], []
        for form in self.forms:
            data = {
                name: value
                for name, value in form.cleaned_data.items()
                if name not in ("id", "DELETE", "hours", "attempts", "from_stage", "to_stage")
            }
            if form.instance.pk is not None:
                if self._should_delete_form(form):
                    delete.append(form.instance)
                elif form.has_changed():
                    update.append((form.instance, data))
            elif form.has_changed() and not self._should_delete_form(form):
                create.append(data)
        return create, update, delete


UNIQUE_KEYS = {
    "terms": ("term",),
    "reason_codes": ("code",),
    "holidays": ("date",),
    "escalation_steps": ("at_percent", "action"),
    "process_steps": ("name",),
    "incentives": ("owner_team", "name"),
}


def part_formset_class(part: str):
    model = PART_MODELS[part]
    form = PART_FORMS.get(part, PartForm)
    fields = PART_FIELDS.get(part)
    formset = forms.modelformset_factory(
        model,
        form=form,
        formset=UniqueRowsFormSet,
        fields=fields if fields is not None else form.Meta.fields,
        widgets={k: v for k, v in PART_WIDGETS.items() if fields and k in fields},
        extra=1,
        can_delete=True,
    )
    formset.unique_keys = UNIQUE_KEYS.get(part, ())
    return formset


class CompareForm(forms.Form):
    a = forms.ModelChoiceField(queryset=Version.objects.none(), label=gettext_lazy("From"))
    b = forms.ModelChoiceField(queryset=Version.objects.none(), label=gettext_lazy("To"))

    def __init__(
        self, *args, agreement: Agreement, versions: list[Version] | None = None, **kwargs
    ):
        """``versions``: the agreement's versions, newest first, when the page has them
        already: the choices are drawn from them instead of two more queries (what is
        submitted is still checked against the database)."""
        super().__init__(*args, **kwargs)
        queryset = agreement.versions.order_by("-number")
        for name in ("a", "b"):
            field = self.fields[name]
            field.queryset = queryset
            field.label_from_instance = lambda v: f"v{v.number} · {v.state_label}"
            if versions is not None:
                empty = [("", field.empty_label)] if field.empty_label is not None else []
                field.choices = empty + [(v.pk, field.label_from_instance(v)) for v in versions]


class NewVersionForm(forms.Form):
    """Which version "New version" copies: any version of the agreement but a draft
    (empty: the one in force, `selectors.version_default_base`)."""

    base = forms.ModelChoiceField(
        queryset=Version.objects.none(),
        required=False,
        label=gettext_lazy("Start from"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Select a valid choice: a version of this agreement that is not a draft."
            )
        },
    )

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base"].queryset = agreement.versions.exclude(status="draft").order_by(
            "-number"
        )


class DiscardForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Why (optional, kept in the audit log)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FunnelForm(forms.Form):
    revenue_goal = forms.DecimalField(
        label=gettext_lazy("Revenue goal"), min_value=Decimal("0.01"), max_digits=14
    )
    avg_deal_size = forms.DecimalField(
        label=gettext_lazy("Average deal size"), min_value=Decimal("0.01"), max_digits=14
    )
    periods = forms.IntegerField(
        label=gettext_lazy("Periods"),
        min_value=1,
        max_value=120,
        help_text=gettext_lazy("How many reporting periods the goal covers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "lead_to_mql": _("Lead → MQL"),
            "mql_to_sal": _("MQL → SAL"),
            "sal_to_sql": _("SAL → SQL"),
            "sql_to_opportunity": _("SQL → opportunity"),
            "opportunity_to_won": _("Opportunity → won"),
        }
        for key in funnel.RATE_KEYS:
            self.fields[key] = forms.DecimalField(
                label=labels[key],
                min_value=Decimal("0.1"),
                max_value=Decimal("100"),
                decimal_places=2,
                help_text=_("percent"),
            )

        self.fields["visitor_to_lead"] = forms.DecimalField(
            label=_("Visitor → lead"),
            required=False,
            min_value=Decimal("0.01"),
            max_value=Decimal("100"),
            decimal_places=2,
            help_text=_("percent; empty: the plan starts from leads"),
        )

    def plan(self) -> funnel.FunnelPlan:
        data = self.cleaned_data
        visitor_rate = data.get("visitor_to_lead")
        return funnel.reverse_funnel(
            revenue_goal=data["revenue_goal"],
            avg_deal_size=data["avg_deal_size"],
            periods=data["periods"],
            rates={key: data[key] / Decimal(100) for key in funnel.RATE_KEYS},
            visitor_to_lead=visitor_rate / Decimal(100) if visitor_rate else None,
        )


class ApplyMqlVolumeForm(RevisionMixin):
    mql_target = forms.IntegerField(min_value=0)
    period = forms.ChoiceField(choices=Cadence.choices)
