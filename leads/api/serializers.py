from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leads.models import Channel, Lead, LeadEvent


class LeadEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # Stage names as plain strings (one enum per field would give the schema many names).
    from_stage = serializers.CharField(read_only=True)
    to_stage = serializers.CharField(read_only=True)

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
        ]


class LeadSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    marketing_team = serializers.StringRelatedField()
    sales_team = serializers.StringRelatedField()
    stage = serializers.CharField(read_only=True)

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
