"""Leads API: read leads, act on one lead, and the bulk events endpoint for integrations.

The bulk endpoint takes up to 10,000 events per request in the events format (JSON
objects with the CSV's columns, plus an optional `attributes` object), for one team pair
(a marketing and a sales team the caller manages one of). Items are checked by the very
parser the CSV import uses, so both give the same messages. Valid items are stored even
when others fail; the response counts created, duplicate and failed items with each
failure's index (0-based) and message. Items name leads of that pair only, and are
idempotent per lead by (source, event_id) (docs/security.md#who-can-write-what).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import services
from leads.api.serializers import (
    LeadActionSerializer,
    LeadCreateSerializer,
    LeadEventSerializer,
    LeadSerializer,
)
from leads.derive import IngestContext
from leads.ingest.events_csv import iter_event_records
from leads.ingest.formats import EVENT_COLUMNS, ParsedEvent
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import MoveRefused
from leads.models import Lead, LeadEvent
from portal import permissions
from portal.api.lists import IdFilter, TrueFalseFilter, is_true, since_until
from portal.models import Team, TeamFunction

MAX_BULK_EVENTS = 10_000


class LeadFilter(django_filters.FilterSet):
    owner = IdFilter(field_name="owner", label="Only leads of this rep (user id)")
    marketing_team = IdFilter(field_name="marketing_team", label="Marketing team id")
    sales_team = IdFilter(field_name="sales_team", label="Sales team id")
    agreement = IdFilter(field_name="agreement", label="Agreement id")
    created_after, created_before = since_until("created_at")
    mine = TrueFalseFilter(method="filter_mine", label="Only leads you own (true or 1)")
    flagged = TrueFalseFilter(field_name="flagged", label="Only flagged (true) or unflagged")

    class Meta:
        model = Lead
        fields = ["stage", "source", "lead_source"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(owner=self.request.user) if is_true(value) else queryset


def _visible_leads(user):
    return permissions.visible_leads(user).select_related("owner", "marketing_team", "sales_team")


@extend_schema_view(
    get=extend_schema(summary="Leads of your teams"),
    post=extend_schema(
        summary="Create one lead (managers of its marketing or sales team)",
        request=LeadCreateSerializer,
        responses={
            201: LeadSerializer,
            400: OpenApiResponse(
                description="Invalid input; a lead with this source and external_id "
                "already exists for these two teams (code duplicate); a field the portal "
                "sets (code read_only)."
            ),
        },
    ),
)
class LeadList(generics.ListCreateAPIView):
    """Leads of your teams. POST creates one through `leads.services.lead_create`: the
    portal scores it, hands it off when it qualifies and picks its owner; the client
    names only the lead's own fields and its two teams."""

    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    ordering_fields = ["created_at", "updated_at", "fit_score", "interest_score", "id"]
    ordering = ["-created_at", "-id"]
    queryset = Lead.objects.none()  # for the schema; get_queryset scopes to the user

    def get_queryset(self):
        return _visible_leads(self.request.user)

    def post(self, request, *args, **kwargs):
        # Who may create comes before what was sent, as for the bulk endpoint.
        if not permissions.is_manager(request.user):
            raise PermissionDenied(_("Only a manager of a marketing or sales team creates leads."))
        payload = LeadCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        marketing_team, sales_team = data.pop("marketing_team"), data.pop("sales_team")
        if not permissions.can_import_leads(request.user, marketing_team, sales_team):
            raise PermissionDenied(
                _("Only a manager of the lead's marketing or sales team can create it.")
            )
        occurred_at = timezone.now()
        try:
            lead = services.lead_create(
                marketing_team=marketing_team,
                sales_team=sales_team,
                actor=request.user,
                occurred_at=occurred_at,
                **data,
            )
        except MoveRefused as refused:
            raise ValidationError({"non_field_errors": [str(refused)]}) from None
        except services.LeadExists:
            # The pair already has this (source, external_id); asked only once the
            # caller may write the pair, so it tells nothing about other pairs' leads.
            raise ValidationError(
                {"external_id": [LeadCreateSerializer.duplicate_error()]}
            ) from None
        lead = _visible_leads(request.user).get(pk=lead.pk)
        url = reverse("api-lead-detail", args=[lead.pk])
        return Response(
            LeadSerializer(lead, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(url)},
        )


class LeadDetail(generics.RetrieveAPIView):
    serializer_class = LeadSerializer

    def get_queryset(self):
        return _visible_leads(self.request.user)


class LeadEventFilter(django_filters.FilterSet):
    occurred_after, occurred_before = since_until("occurred_at")

    class Meta:
        model = LeadEvent
        fields = ["kind"]


@extend_schema_view(get=extend_schema(summary="A lead's events, oldest first"))
class LeadEvents(generics.ListAPIView):
    """The lead's timeline: every event, by `occurred_at`. Leads you cannot see are 404."""

    serializer_class = LeadEventSerializer
    filterset_class = LeadEventFilter
    ordering_fields = ["occurred_at", "id"]
    ordering = ["occurred_at", "id"]
    queryset = LeadEvent.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadEvent.objects.none()
        lead = get_object_or_404(permissions.visible_leads(self.request.user), pk=self.kwargs["pk"])
        return LeadEvent.objects.filter(lead=lead).select_related("actor")


class LeadActions(APIView):
    """POST an action on a lead: contact_attempt, move (to_stage, reason_code; and
    override_reason: a manager of the lead's sales team recycling it below the agreed
    contact attempts) or nurture (a track of the version in force). The pages' rules and
    messages: leads.services."""

    @extend_schema(request=LeadActionSerializer, responses={201: LeadEventSerializer})
    def post(self, request, pk: int):
        lead = get_object_or_404(permissions.visible_leads(request.user), pk=pk)
        if not permissions.can_work_lead(request.user, lead):
            raise PermissionDenied(
                _("Only the lead's owner or a sales manager can work this lead.")
            )
        serializer = LeadActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["action"] == "contact_attempt":
                event = services.lead_contact_attempt_log(
                    lead=lead,
                    actor=request.user,
                    channel=data["channel"],
                    outcome=data["outcome"],
                    note=data["note"],
                )
            elif data["action"] == "move":
                event = services.lead_stage_change(
                    lead=lead,
                    actor=request.user,
                    to_stage=data["to_stage"],
                    reason_code=data["reason_code"],
                    note=data["note"],
                    override_reason=data["override_reason"],
                )
            else:
                event = services.lead_nurture(
                    lead=lead, actor=request.user, track=data["track"], note=data["note"]
                )
        except MoveRefused as refused:
            raise ValidationError({"detail": str(refused)}) from None
        return Response(LeadEventSerializer(event).data, status=status.HTTP_201_CREATED)


def _team(name: str, function: str) -> Team:
    """The team of this name, which must have this function (as the upload form and the
    lead API ask: a marketing team and a sales team)."""
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise ValidationError({"detail": _("Unknown team “%(name)s”.") % {"name": name}})
    if team.function != function:
        if function == TeamFunction.MARKETING:
            message = _("“%(name)s” is not a marketing team.")
        else:
            message = _("“%(name)s” is not a sales team.")
        raise ValidationError({"detail": message % {"name": name}})
    return team


def _text(value) -> str:
    text = "" if value is None else str(value).replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") cannot be stored
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def parse_bulk_items(items: list) -> tuple[list[ParsedEvent], list[tuple[int, str, str]]]:
    """Check items as rows of the events format (the CSV import's checks, without a
    CSV round trip); (events, [(index, column, message)])."""
    failures: list[tuple[int, str, str]] = []
    attributes: dict[int, dict] = {}

    def records():
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                failures.append((index, "", _("the item is not a JSON object")))
                continue
            extra = item.get("attributes")
            if extra is not None and not isinstance(extra, dict):
                failures.append((index, "attributes", _("attributes must be a JSON object")))
                continue
            rec = {column: _text(item.get(column)) for column in EVENT_COLUMNS}
            if not any(v.strip() for v in rec.values()):
                failures.append((index, "", _("the item has none of the events columns")))
                continue
            if extra:
                attributes[index] = extra
            yield index, rec, []

    events: list[ParsedEvent] = []
    for record in iter_event_records(records()):
        if isinstance(record, ParsedEvent):
            if record.row in attributes:
                record.lead["attributes"] = attributes[record.row]
            events.append(record)
        elif record.severity == "error":
            failures.append((record.row, record.column, record.message))
    return events, failures


class BulkEvents(APIView):
    """POST up to 10,000 lead events (a JSON array, or {"events": [...], "marketing_team",
    "sales_team"}); teams default to settings.HUBSPOT_MARKETING_TEAM / HUBSPOT_SALES_TEAM."""

    @extend_schema(request=None, responses=None)
    def post(self, request):
        # Who may send comes before what was sent: a rep learns nothing from the errors.
        if not permissions.is_manager(request.user):
            raise PermissionDenied(
                _("Only a manager of the marketing or sales team can send events for them.")
            )
        body = request.data
        marketing = getattr(settings, "HUBSPOT_MARKETING_TEAM", "Marketing")
        sales = getattr(settings, "HUBSPOT_SALES_TEAM", "Sales")
        if isinstance(body, dict):
            marketing = body.get("marketing_team") or marketing
            sales = body.get("sales_team") or sales
            body = body.get("events")
        if not isinstance(body, list):
            raise ValidationError(
                {"detail": _("Send a JSON array of events, or an object with an “events” array.")}
            )
        if len(body) > MAX_BULK_EVENTS:
            raise ValidationError(
                {
                    "detail": _("At most %(n)d events per request; this one has %(m)d.")
                    % {"n": MAX_BULK_EVENTS, "m": len(body)}
                }
            )
        marketing_team = _team(str(marketing), TeamFunction.MARKETING)
        sales_team = _team(str(sales), TeamFunction.SALES)
        if not permissions.can_import_leads(request.user, marketing_team, sales_team):
            raise PermissionDenied(
                _("Only a manager of the marketing or sales team can send events for them.")
            )
        events, failures = parse_bulk_items(body)
        context = IngestContext(
            marketing_team=marketing_team,
            sales_team=sales_team,
            mode="history",
            handoff_on_score=True,
        )
        result = lead_events_ingest(items=events, context=context) if events else None
        all_failures = failures + (
            [(f.index, f.column, f.message) for f in result.failures] if result else []
        )
        all_failures.sort()
        return Response(
            {
                "created": result.created if result else 0,
                "duplicates": result.duplicates if result else 0,
                "failed": len({index for index, _c, _m in all_failures}),
                "failures": [
                    {"index": index, "column": column, "message": message}
                    for index, column, message in all_failures
                ],
            }
        )
