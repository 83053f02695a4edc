import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from leads.ingest.csvread import looks_like_formula, neutralise
from leads.ingest.formats import LIMITS, TEXT_COLUMNS
from leads.models import Channel, Lead, LeadEvent
from portal.api.fields import StrictCharField
from portal.models import Team, TeamFunction


class LeadEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # Stage names as plain strings (one enum per field would give the schema many names).
    from_stage = serializers.CharField(read_only=True)
    to_stage = serializers.CharField(read_only=True)
    override = serializers.SerializerMethodField(
        help_text="A manager's override of an agreed rule on this move (null: none): rule, "
        "by (user id), by_name, reason, attempts, required, version."
    )

    class Meta:
        model = LeadEvent
        fields = [
            "id",
            "kind",
            "occurred_at",
            "actor",
            "from_stage",
            "to_stage",
            "channel",
            "outcome",
            "reason_code",
            "note",
            "source",
            "source_event_id",
            "override",
        ]

    def get_override(self, event) -> dict | None:
        return (event.data or {}).get("override") if event.kind == "stage_changed" else None


class FlagSerializer(serializers.Serializer):
    """One rule break on a lead (`Lead.flag_list`)."""

    at = serializers.DateTimeField(
        default_timezone=dt.UTC, allow_null=True, help_text="when, ISO 8601 in UTC"
    )
    code = serializers.CharField(
        help_text="what broke, a stable code: final_stage, move_not_allowed, same_stage, "
        "not_a_stage, no_handoff, reason_missing, reason_not_allowed, "
        "recycle_attempts_short, move_not_applied (legacy: written before codes)"
    )
    text = serializers.CharField(source="reason", help_text="why, in the request's language")


class LeadSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    marketing_team = serializers.StringRelatedField()
    sales_team = serializers.StringRelatedField()
    stage = serializers.CharField(read_only=True)
    flags = FlagSerializer(source="flag_list", many=True, read_only=True)
    flag_note = serializers.CharField(
        read_only=True, help_text="the flags as lines of text in the request's language"
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "source",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "company",
            "job_title",
            "industry",
            "company_size",
            "lead_source",
            "attributes",
            "marketing_team",
            "sales_team",
            "owner",
            "stage",
            "fit_score",
            "interest_score",
            "nurture_track",
            "flagged",
            "flags",
            "flag_note",
            "created_at",
        ]


class LeadActionSerializer(serializers.Serializer):
    """One move or contact attempt on a lead, bound by the same rules as the pages."""

    action = serializers.ChoiceField(choices=["contact_attempt", "move", "nurture"])
    to_stage = serializers.CharField(required=False, allow_blank=True, default="")
    reason_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    track = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text=_(
            "move to recycled below the contact attempts the governing version asks for: a "
            "manager of the lead's sales team lets it through with this reason (recorded, "
            "and counted as an override in compliance)"
        ),
    )

    def validate(self, data):
        if data["action"] == "contact_attempt" and not data.get("channel"):
            raise serializers.ValidationError(
                {"channel": _("channel is required for a contact attempt")}
            )
        if data["action"] == "move" and not data.get("to_stage"):
            raise serializers.ValidationError({"to_stage": _("to_stage is required for a move")})
        if data["action"] == "nurture" and not data.get("track"):
            raise serializers.ValidationError({"track": _("track is required")})
        return data


# What the portal derives or decides for a lead: a client that sends one of these is told
# so (code read_only) rather than having it silently dropped.
SERVER_SET = frozenset(
    {
        "id",
        "owner",
        "stage",
        "fit_score",
        "interest_score",
        "nurture_track",
        "flagged",
        "flags",
        "flag_note",
        "agreement",
        "actor",
        "created_at",
        "updated_at",
    }
)


def _text(name: str) -> StrictCharField:
    return StrictCharField(
        max_length=LIMITS.get(name, 255), required=False, allow_blank=True, default=""
    )


MAX_ATTRIBUTE_NUMBER = 10**15  # scores compare numbers as floats: keep them exact and finite


class LeadAttributesField(serializers.DictField):
    """Attributes scoring rules may read: a flat object of strings, numbers, booleans
    or nulls (what integrations send). Nested values and NUL characters are refused."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        errors = {}
        for key, value in data.items():
            if not key or len(key) > 64 or "\x00" in key:
                errors[key] = [_("A name of 1 to 64 characters.")]
            elif isinstance(value, str):
                if len(value) > 1000 or "\x00" in value:
                    errors[key] = [_("Text of at most 1000 characters.")]
            elif isinstance(value, bool) or value is None:
                pass
            elif isinstance(value, int | float):
                if not -MAX_ATTRIBUTE_NUMBER <= value <= MAX_ATTRIBUTE_NUMBER:
                    errors[key] = [_("A number between -10^15 and 10^15.")]
            else:
                errors[key] = [_("A string, number, boolean or null.")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class LeadCreateSerializer(serializers.Serializer):
    """A new lead: its own fields and its two teams. Owner, stage and scores are the
    portal's (round robin at handoff, events, the version's scoring rules)."""

    source = StrictCharField(
        max_length=LIMITS["source"],
        required=False,
        default="api",
        help_text=_("The system the lead comes from; with external_id it names the lead."),
    )
    external_id = StrictCharField(
        max_length=LIMITS["lead_external_id"],
        help_text=_(
            "The lead's id in its source system (unique per source within the lead's teams)."
        ),
    )
    first_name = _text("first_name")
    last_name = _text("last_name")
    email = serializers.EmailField(
        max_length=LIMITS["email"], required=False, allow_blank=True, default=""
    )
    company = _text("company")
    job_title = _text("job_title")
    industry = _text("industry")
    company_size = _text("company_size")
    lead_source = _text("lead_source")
    attributes = LeadAttributesField(
        required=False,
        default=dict,
        help_text=_('Other attributes scoring rules may read, e.g. {"visits": 7}.'),
    )
    marketing_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(function=TeamFunction.MARKETING),
        help_text=_("Id of the lead's marketing team"),
    )
    sales_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(function=TeamFunction.SALES),
        help_text=_("Id of the sales team the lead is handed to"),
    )

    @staticmethod
    def duplicate_error() -> ErrorDetail:
        return ErrorDetail(
            str(_("A lead with this source and external id already exists.")), code="duplicate"
        )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name in sorted(set(data) - set(self.fields)):
                if name in SERVER_SET:
                    message, code = _("The portal sets this field; leave it out."), "read_only"
                else:
                    message, code = _("Not a field of a new lead."), "unknown_field"
                errors[name] = [ErrorDetail(str(message), code=code)]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate(self, data):
        too_long = {}
        for name in sorted(TEXT_COLUMNS & set(data)):
            if looks_like_formula(data[name]):
                data[name] = neutralise(data[name])  # as the CSV import keeps it: inert
                limit = Lead._meta.get_field(name).max_length
                if len(data[name]) > limit:  # the quote made it one too long for the column
                    too_long[name] = [
                        ErrorDetail(
                            str(_("At most %(n)d characters.") % {"n": limit - 1}),
                            code="max_length",
                        )
                    ]
        if too_long:
            raise serializers.ValidationError(too_long)
        # Whether the lead exists is not checked here: only for a team pair the caller
        # may write, by `lead_create` (LeadExists), so the answer says nothing about
        # leads of other pairs (docs/security.md#who-can-write-what).
        return data
