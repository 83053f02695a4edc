"""API of the agreement area: agreements, versions (amend = create a draft), a draft's
parts, and comparisons. Every write goes through slas.services, like the pages.

Every write to a draft or one of its parts must say which `edit_revision` of the draft
it was based on (`If-Match` header, or an `edit_revision` field in the body): without
one it is refused with 428 `revision_required`, with a stale one with 409
`edit_conflict`, so two managers never overwrite each other silently. Answers about a
version carry its current revision in the `ETag` header. A write may say why in an
`edit_reason` field of the body (one short line, shown in the history and on the compare
page); once the draft was sent for signature and taken back it must (400 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal import permissions
from portal.api.lists import IdFilter, since_until
from slas import compare, selectors, services
from slas.api import serializers
from slas.exceptions import EditConflict, VersionLocked
from slas.history import Source
from slas.models import (
    PART_MODELS,
    Agreement,
    Commitment,
    Incentive,
    Version,
    VersionState,
    VersionStatus,
    version_state,
)

LOCKED = OpenApiResponse(
    serializers.ErrorSerializer,
    description="The version is not a draft (code version_locked), or somebody else saved "
    "it since the given revision (code edit_conflict).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    required=True,
    description="The draft's edit_revision you based this change on (the `edit_revision` "
    "of GET /api/v1/versions/{id}/, also sent as the ETag of answers about the version). "
    "Required: a stale one gets 409 edit_conflict, none 428 revision_required. "
    "An `edit_revision` field in the body is accepted instead of the header. "
    "Say why in an `edit_reason` field of the body (one short line): required, else 400, "
    "once the draft was sent for signature and taken back.",
)
REVISION_REQUIRED = OpenApiResponse(
    description="No revision given (code revision_required): send the draft's "
    "edit_revision in the If-Match header or the edit_revision field."
)
WRITE_ERRORS = {409: LOCKED, 428: REVISION_REQUIRED}


class RevisionRequired(Exception):
    """A write to a draft that does not say which revision it was based on."""

    status_code = 428  # Precondition Required (RFC 6585)

    def __init__(self, version):
        self.message = _(
            "Say which revision of the draft you changed, so that nobody's edit is "
            "overwritten: send the edit_revision you read (GET %(url)s) in the If-Match "
            "header or in an edit_revision field."
        ) % {"url": f"/api/v1/versions/{version.pk}/"}
        super().__init__(self.message)


def _etag(revision: int) -> str:
    return f'"{revision}"'


class AgreementAreaErrors:
    """Turn the area's errors into clear API answers."""

    def handle_exception(self, exc):
        if isinstance(exc, VersionLocked):
            return Response(
                {"detail": str(exc), "code": "version_locked"}, status=status.HTTP_409_CONFLICT
            )
        if isinstance(exc, RevisionRequired):
            return Response(
                {
                    "detail": exc.message,
                    "code": "revision_required",
                    "header": "If-Match",
                    "field": "edit_revision",
                },
                status=exc.status_code,
            )
        if isinstance(exc, EditConflict):
            return Response(
                {
                    "detail": str(exc),
                    "code": "edit_conflict",
                    "current_revision": exc.current_revision,
                    "changes": [
                        {
                            "when": entry.when.isoformat(),
                            "user": entry.user_name,
                            "source": entry.source,
                            "reason": entry.reason,
                            "items": [
                                {
                                    "kind": item.kind,
                                    "subject": item.subject,
                                    "changes": [
                                        {"label": c.label, "old": c.old, "new": c.new}
                                        for c in item.changes
                                    ],
                                }
                                for item in entry.items
                            ],
                        }
                        for entry in exc.changes
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        if isinstance(exc, DjangoValidationError):
            detail = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
            exc = exceptions.ValidationError(detail)
        return super().handle_exception(exc)

    def edit_reason(self, request) -> str:
        """The short reason this write gives (`edit_reason` in the body), or ""."""
        if isinstance(request.data, Mapping):
            return str(request.data.get("edit_reason") or "")
        return ""

    def required_revision(self, request, version) -> int:
        """The draft's `edit_revision` this write was based on: the `If-Match` header
        (`5`, `"5"` or `W/"5"`) or an `edit_revision` field in the body.

        Required: a write without it would overwrite whatever another manager saved in
        the meantime. A version that is no longer a draft answers version_locked (409)
        whatever was sent: no revision would make that write possible.
        """
        if not version.is_draft:
            raise VersionLocked(version)
        raw = request.headers.get("If-Match")
        if raw in (None, "") and isinstance(request.data, Mapping):
            raw = request.data.get("edit_revision")
        if raw in (None, ""):
            raise RevisionRequired(version)
        text = str(raw).strip()
        if text.startswith("W/"):
            text = text[2:]
        try:
            return int(text.strip('"'))
        except ValueError:
            raise exceptions.ValidationError(
                {"edit_revision": _("The revision must be a whole number.")}
            ) from None


class AgreementFilter(django_filters.FilterSet):
    party = IdFilter(field_name="parties", label="Only agreements this team (id) is a party to")
    created_after, created_before = since_until("created_at")

    class Meta:
        model = Agreement
        fields = []


class VersionFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement", label="Only this agreement's versions")
    state = django_filters.ChoiceFilter(
        choices=VersionState.choices, method="filter_state", label="Only versions in this state"
    )

    def filter_state(self, queryset, name, value):
        return queryset.filter(
            status__in=[status for status in VersionStatus.values if version_state(status) == value]
        )

    class Meta:
        model = Version
        fields = ["agreement", "status"]


@extend_schema_view(
    list=extend_schema(summary="Agreements you can see", tags=["agreements"]),
    retrieve=extend_schema(summary="One agreement with its versions", tags=["agreements"]),
)
class AgreementViewSet(
    AgreementAreaErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields = ["title", "created_at", "id"]
    ordering = ["title"]

    def get_queryset(self):
        return selectors.agreement_list_for(self.request.user).select_related("created_by")

    @extend_schema(
        summary="Start an agreement (with draft version 1)",
        tags=["agreements"],
        request=serializers.AgreementCreateSerializer,
        responses={201: serializers.AgreementSerializer},
    )
    def create(self, request):
        if not permissions.can_create_agreement(request.user):
            raise exceptions.PermissionDenied(_("Only managers start agreements."))
        payload = serializers.AgreementCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        agreement = services.agreement_create(
            actor=request.user, source=Source.API, **payload.validated_data
        )
        agreement = self.get_queryset().get(pk=agreement.pk)
        return Response(self.get_serializer(agreement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Compare two versions of the agreement",
        tags=["agreements"],
        parameters=[
            OpenApiParameter("a", int, description="Version id (from)", required=True),
            OpenApiParameter("b", int, description="Version id (to)", required=True),
        ],
        responses={200: serializers.ComparisonSerializer},
    )
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        agreement = self.get_object()
        try:
            ids = int(request.query_params["a"]), int(request.query_params["b"])
        except (KeyError, ValueError):
            raise exceptions.ValidationError(
                {"detail": _("Give two version ids of this agreement: ?a=<id>&b=<id>.")}
            ) from None
        versions = {v.pk: v for v in agreement.versions.filter(pk__in=ids)}
        if len({*ids} - set(versions)):
            raise exceptions.NotFound(_("Both versions must belong to this agreement."))
        comparison = compare.version_compare(versions[ids[0]], versions[ids[1]])
        return Response(comparison.as_dict())


@extend_schema_view(
    list=extend_schema(
        summary="Versions you can see",
        tags=["versions"],
    ),
    retrieve=extend_schema(summary="One version's fields", tags=["versions"]),
)
class VersionViewSet(
    AgreementAreaErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.VersionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = VersionFilter
    ordering_fields = ["number", "effective_date", "in_force_from", "created_at", "id"]

    def get_queryset(self):
        queryset = (
            permissions.visible_versions(self.request.user)
            .select_related("agreement", "created_by", "based_on")
            .order_by("agreement_id", "-number")
        )
        return queryset

    @extend_schema(
        summary="New version: copy a version (by default the one in force) into a draft",
        tags=["versions"],
        request=serializers.VersionCreateSerializer,
        responses={
            201: serializers.VersionSerializer,
            400: OpenApiResponse(
                description="A draft is already open, or `from_version` is not a version of "
                "the agreement that could be copied."
            ),
        },
    )
    def create(self, request):
        payload = serializers.VersionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = permissions.get_visible_or_404(
            permissions.visible_agreements(request.user), pk=payload.validated_data["agreement"].pk
        )
        if not permissions.can_manage_agreement(request.user, agreement):
            raise exceptions.PermissionDenied(
                _("Only managers of a party team amend this agreement.")
            )
        base = None
        if payload.validated_data["from_version"] is not None:
            base = (
                agreement.versions.exclude(status=VersionStatus.DRAFT)
                .filter(pk=payload.validated_data["from_version"])
                .first()
            )
            if base is None:
                raise exceptions.ValidationError(
                    {"from_version": _("Give a version of this agreement that is not a draft.")}
                )
        version = services.version_amend(
            actor=request.user, agreement=agreement, base=base, source=Source.API
        )
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        version = self.get_object()
        response = Response(self.get_serializer(version).data)
        response["ETag"] = _etag(version.edit_revision)
        return response

    @extend_schema(
        summary="Edit a draft's fields",
        tags=["versions"],
        parameters=[IF_MATCH],
        responses={200: serializers.VersionSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        version = self.get_object()
        if not permissions.can_manage_agreement(request.user, version.agreement):
            raise exceptions.PermissionDenied(
                _("Only managers of a party team edit this agreement.")
            )
        revision = self.required_revision(request, version)
        serializer = self.get_serializer(version, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("edit_revision", None)
        data.pop("edit_reason", None)
        version = services.version_update(
            actor=request.user,
            version=version,
            data=data,
            expected_revision=revision,
            source=Source.API,
            what=gettext_noop("version fields"),
            why=self.edit_reason(request),
        )
        response = Response(self.get_serializer(version).data)
        response["ETag"] = _etag(version.edit_revision)
        return response

    @extend_schema(
        summary="Rebase a draft onto the version in force",
        description="For a draft based on a version older than the one in force (it would "
        "undo what came since): keeps every change the draft made, brings in what the "
        "version in force changed, keeps the draft's value where both changed one thing "
        "(listed in `kept`), and records the new base. One edit: the revision goes up.",
        tags=["versions"],
        request=None,
        parameters=[IF_MATCH],
        responses={
            200: serializers.RebaseSerializer,
            409: OpenApiResponse(
                serializers.ErrorSerializer,
                description="`not_needed`: the draft already starts from the version in "
                "force; `version_locked`: not a draft; `edit_conflict`: somebody saved the "
                "draft since the given revision.",
            ),
            428: REVISION_REQUIRED,
        },
    )
    @action(detail=True, methods=["post"])
    def rebase(self, request, pk=None):
        version = self.get_object()
        if not permissions.can_manage_agreement(request.user, version.agreement):
            raise exceptions.PermissionDenied(
                _("Only managers of a party team edit this agreement.")
            )
        revision = self.required_revision(request, version)
        try:
            merge = services.version_rebase(
                actor=request.user, version=version, expected_revision=revision, source=Source.API
            )
        except DjangoValidationError as error:
            if error.code != "not_needed":
                raise
            return Response(
                {"detail": error.messages[0], "code": "not_needed"},
                status=status.HTTP_409_CONFLICT,
            )
        version = self.get_queryset().get(pk=version.pk)
        response = Response(
            {
                "version": self.get_serializer(version).data,
                "taken": [vars(note) for note in merge.taken],
                "kept": [vars(note) for note in merge.kept],
            }
        )
        response["ETag"] = _etag(version.edit_revision)
        return response

    @extend_schema(
        summary="Discard a draft",
        description="The draft stays, read-only, in state `discarded` (nothing is deleted; "
        "a new version can start from it). Audited with the comment.",
        tags=["versions"],
        request=serializers.DiscardSerializer,
        responses={
            200: serializers.VersionSerializer,
            409: OpenApiResponse(
                serializers.ErrorSerializer,
                description="`version_locked`: only a draft is discarded (a version "
                "awaiting signatures is withdrawn from signature first).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        version = self.get_object()
        if not permissions.can_manage_agreement(request.user, version.agreement):
            raise exceptions.PermissionDenied(
                _("Only managers of a party team discard this agreement's drafts.")
            )
        payload = serializers.DiscardSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.version_discard(
            actor=request.user,
            version=version,
            comment=payload.validated_data["comment"],
            source=Source.API,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)


VERSION_PK = OpenApiParameter("version_pk", int, OpenApiParameter.PATH, description="Version id")


class PartViewSet(
    AgreementAreaErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A draft's rows of one kind. Writes only while the version is a draft (else 409)."""

    part_name = ""
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_version(self):
        if not hasattr(self, "_version"):
            self._version = permissions.get_visible_or_404(
                permissions.visible_versions(self.request.user).select_related("agreement"),
                pk=self.kwargs["version_pk"],
            )
        return self._version

    def get_queryset(self):
        model = PART_MODELS[self.part_name]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return model.objects.none()
        queryset = model.objects.filter(version=self.get_version())
        if model is Commitment or model is Incentive:
            queryset = queryset.select_related("owner_team")
        return queryset

    def get_serializer_class(self):
        return serializers.PART_SERIALIZERS[self.part_name]

    def _start_write(self) -> None:
        """Who may write, and on which revision: before the input is even validated."""
        version = self.get_version()
        if not permissions.can_manage_agreement(self.request.user, version.agreement):
            raise exceptions.PermissionDenied(
                _("Only managers of a party team edit this agreement.")
            )
        self._revision = self.required_revision(self.request, version)

    def create(self, request, *args, **kwargs):
        self._start_write()
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self._start_write()
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self._start_write()
        return super().destroy(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        version = getattr(self, "_version", None)
        if version is not None and response.status_code < 400:
            response["ETag"] = _etag(version.edit_revision)
        return response

    def perform_create(self, serializer):
        serializer.instance = services.version_part_create(
            actor=self.request.user,
            version=self.get_version(),  # shows the new revision afterwards
            part=self.part_name,
            data=serializer.validated_data,
            expected_revision=self._revision,
            source=Source.API,
            why=self.edit_reason(self.request),
        )

    def perform_update(self, serializer):
        services.version_part_update(
            actor=self.request.user,
            instance=serializer.instance,
            data=serializer.validated_data,
            expected_revision=self._revision,
            source=Source.API,
            why=self.edit_reason(self.request),
        )
        self.get_version().edit_revision = serializer.instance.version.edit_revision

    def perform_destroy(self, instance):
        services.version_part_delete(
            actor=self.request.user,
            instance=instance,
            expected_revision=self._revision,
            source=Source.API,
            why=self.edit_reason(self.request),
        )
        self.get_version().edit_revision = instance.version.edit_revision


# Filters and extra sort columns per part (every part orders by position and id; its
# default order is its model's).
PART_FILTERS: dict[str, dict] = {
    "scoring_rules": {"fields": ["dimension", "attribute"]},
    "reason_codes": {"fields": ["applies_to", "code"]},
    "commitments": {
        "fields": ["kind", "period"],
        "filters": {"owner_team": lambda: IdFilter(field_name="owner_team", label="Owner team")},
    },
    "holidays": {"dates": "date", "ordering": ["date"]},
    "escalation_steps": {"fields": ["action"], "ordering": ["at_percent"]},
    "incentives": {
        "fields": ["measure", "condition", "period"],
        "filters": {"owner_team": lambda: IdFilter(field_name="owner_team", label="Team paid")},
    },
}


def _part_filterset(name: str) -> type[django_filters.FilterSet] | None:
    spec = PART_FILTERS.get(name)
    if spec is None:
        return None
    model = PART_MODELS[name]
    attrs: dict = {key: make() for key, make in spec.get("filters", {}).items()}
    if "dates" in spec:
        attrs["date_after"], attrs["date_before"] = since_until(spec["dates"], dates=True)
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": spec.get("fields", [])})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)


def _part_viewset(name: str) -> type[PartViewSet]:
    label = str(PART_MODELS[name]._meta.verbose_name_plural)
    tag = [f"version {label}"]
    describe = extend_schema_view(
        list=extend_schema(summary=f"List a version's {label}", tags=tag, parameters=[VERSION_PK]),
        retrieve=extend_schema(
            summary=f"One of a version's {label}", tags=tag, parameters=[VERSION_PK]
        ),
        create=extend_schema(
            summary=f"Add to a draft's {label}",
            tags=tag,
            parameters=[VERSION_PK, IF_MATCH],
            responses={201: serializers.PART_SERIALIZERS[name], **WRITE_ERRORS},
        ),
        partial_update=extend_schema(
            summary=f"Change one of a draft's {label}",
            tags=tag,
            parameters=[VERSION_PK, IF_MATCH],
            responses={200: serializers.PART_SERIALIZERS[name], **WRITE_ERRORS},
        ),
        destroy=extend_schema(
            summary=f"Remove one of a draft's {label}",
            tags=tag,
            parameters=[VERSION_PK, IF_MATCH],
            responses={204: None, **WRITE_ERRORS},
        ),
    )
    attrs = {
        "part_name": name,
        "filterset_class": _part_filterset(name),
        "ordering_fields": ["position", "id", *PART_FILTERS.get(name, {}).get("ordering", [])],
    }
    cls = type(f"{PART_MODELS[name].__name__}ViewSet", (PartViewSet,), attrs)
    return describe(cls)


PART_VIEWSETS = {name: _part_viewset(name) for name in PART_MODELS}
