"""API shapes of the agreement area. Owner and actor fields are read-only: the server
sets them from the request."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal import permissions
from portal.api.fields import WallTimeField
from portal.models import Team
from slas.history import WHY_MAX_LENGTH
from slas.models import PART_MODELS, Agreement, Version, VersionState
from slas.services import EDITABLE_VERSION_FIELDS
from slas.stages import Stage


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


def _state_field():
    return serializers.ChoiceField(
        choices=VersionState.choices,
        read_only=True,
        help_text="What the version is, as every page says it (one vocabulary). `status` is "
        "the stored value, kept for compatibility.",
    )


def _state_label_field():
    return serializers.CharField(read_only=True, help_text="The state in the reader's language.")


class VersionRefSerializer(serializers.ModelSerializer):
    state = _state_field()
    state_label = _state_label_field()

    class Meta:
        model = Version
        fields = ["id", "number", "status", "state", "state_label", "effective_date", "end_date"]


class AgreementSerializer(serializers.ModelSerializer):
    parties = TeamRefSerializer(many=True, read_only=True)
    versions = VersionRefSerializer(many=True, read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Agreement
        fields = ["id", "title", "purpose", "parties", "versions", "created_by", "created_at"]
        read_only_fields = fields


class AgreementCreateSerializer(serializers.Serializer):
    """A new agreement. Its parties are ids of the teams the page offers the requesting
    user (`permissions.agreement_party_teams`); any other id is refused as one that does
    not exist, so the answer tells nothing about teams the user cannot see."""

    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField(required=False, allow_blank=True, default="")
    parties = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        many=True,
        help_text="Ids of two or more teams you can see (not of function other); you "
        "must manage one of them.",
    )
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["parties"].child_relation.queryset = permissions.agreement_party_teams(
                request.user
            )


class BasedOnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class VersionSerializer(serializers.ModelSerializer):
    work_start = WallTimeField(required=False)
    work_end = WallTimeField(required=False)
    edit_revision = serializers.IntegerField(
        required=False,
        help_text="Read: the draft's current revision. Write: the revision you edited, "
        "here or in the If-Match header (one of them is required, else 428); a stale one is "
        "refused with 409 instead of overwriting someone's changes.",
    )
    edit_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=WHY_MAX_LENGTH,
        help_text="Write: why, in one short line (shown in the history and on the compare "
        "page). Required once the draft was sent for signature and taken back.",
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )
    state = _state_field()
    state_label = _state_label_field()
    state_explanation = serializers.CharField(
        read_only=True, help_text="The state in one line, as shown on hover of its badge."
    )
    based_on = serializers.SerializerMethodField(
        help_text="The version this one was copied from (or rebased onto since)."
    )

    @extend_schema_field(BasedOnSerializer(allow_null=True))
    def get_based_on(self, version) -> dict | None:
        if version.based_on_id is None:
            return None
        return {"id": version.based_on_id, "number": version.based_on.number}

    class Meta:
        model = Version
        fields = [
            "id",
            "agreement",
            "number",
            "status",
            "state",
            "state_label",
            "state_explanation",
            "based_on",
            *sorted(EDITABLE_VERSION_FIELDS),
            "in_force_from",
            "in_force_until",
            "content_hash",
            "edit_revision",
            "edit_reason",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "agreement",
            "number",
            "status",
            "in_force_from",
            "in_force_until",
            "content_hash",
            "created_by",
            "created_at",
            "updated_at",
        ]


class VersionCreateSerializer(serializers.Serializer):
    agreement = serializers.PrimaryKeyRelatedField(
        queryset=Agreement.objects.all(),
        help_text="The agreement to amend: a version of it is copied into a new draft.",
    )
    from_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the version to copy: any version of the agreement but a draft. "
        "By default the one in force (else the newest).",
    )


def part_serializer_class(part: str) -> type[serializers.ModelSerializer]:
    model = PART_MODELS[part]
    field_names = ["id"] + [
        f.name for f in model._meta.concrete_fields if f.name not in ("id", "version")
    ]
    meta = type("Meta", (), {"model": model, "fields": field_names, "read_only_fields": ["id"]})
    name = f"{model.__name__}Serializer"
    attrs: dict = {"Meta": meta}
    if part == "process_steps":
        # A list of stage names in the schema, not an untyped JSON value.
        attrs["stages"] = serializers.ListField(
            child=serializers.ChoiceField(choices=Stage.choices),
            required=False,
            help_text="The lead stages the step covers (empty: a step before the lead "
            "exists, e.g. visitor).",
        )
    return type(name, (serializers.ModelSerializer,), attrs)


PART_SERIALIZERS = {name: part_serializer_class(name) for name in PART_MODELS}


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()
    redline = serializers.CharField(help_text="HTML with <del>/<ins>; all text escaped.")
    mode = serializers.ChoiceField(
        choices=["value", "list", "prose"],
        help_text="How the change reads: `value` (a date, number or name: old -> new, whole), "
        "`list` (items `added` and `removed`) or `prose` (a word-by-word redline).",
    )
    added = serializers.ListField(child=serializers.CharField(), help_text="List items added.")
    removed = serializers.ListField(child=serializers.CharField(), help_text="List items removed.")


class PartChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    fields = FieldChangeSerializer(many=True)


class PartDiffSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = PartChangeSerializer(many=True)


class ComponentDiffSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    fields = FieldChangeSerializer(many=True)
    parts = PartDiffSerializer(many=True)


class VersionSideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    state = serializers.ChoiceField(choices=VersionState.choices)


class ComparisonSerializer(serializers.Serializer):
    old = VersionSideSerializer()
    new = VersionSideSerializer()
    has_changes = serializers.BooleanField()
    components = ComponentDiffSerializer(many=True)


class DiscardSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Why."
    )


class MergeNoteSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="What: a field, or a part's row.")
    mine = serializers.CharField(help_text="Its value in the draft before the rebase.")
    theirs = serializers.CharField(help_text="Its value in the version in force.")


class RebaseSerializer(serializers.Serializer):
    version = VersionSerializer()
    taken = MergeNoteSerializer(many=True, help_text="What came in from the version in force.")
    kept = MergeNoteSerializer(
        many=True,
        help_text="What both changed, differently: the draft's value was kept.",
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    current_revision = serializers.IntegerField(required=False)
    changes = serializers.ListField(child=serializers.DictField(), required=False)
