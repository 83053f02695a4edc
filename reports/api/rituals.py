"""Read-only API of shared incentives (what each team earned under a version, per period;
docs/incentives.md) and of meetings (their agenda, attendance and action items;
docs/rituals.md). Writes stay on the pages."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal import permissions
from portal.api.lists import IdFilter, TrueFalseFilter, since_until
from reports import incentives as engine
from reports.rituals.models import Meeting, MeetingAction, MeetingAttendee, MeetingKind
from slas.models import Version

# Incentives ------------------------------------------------------------------------------


class TeamEarningSerializer(serializers.Serializer):
    team = serializers.DictField(read_only=True)
    earned = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    projected = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


class RuleEarningSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    team = serializers.DictField(read_only=True)
    name = serializers.CharField(read_only=True)
    measure = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True, help_text="The rule's period, e.g. 2026-03")
    units = serializers.IntegerField(read_only=True, help_text="Deals, SQLs or commitments met")
    revenue = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )
    before_cap = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    capped = serializers.BooleanField(read_only=True)
    condition = serializers.CharField(read_only=True)
    condition_status = serializers.CharField(
        read_only=True, help_text="none, met, pending, at_risk or failed"
    )
    earned = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    projected = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    cycle_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    commitment_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class IncentiveReportSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    period = serializers.CharField(read_only=True)
    periods = serializers.ListField(child=serializers.CharField(), read_only=True)
    final = serializers.BooleanField(read_only=True, help_text="The period is over")
    currency = serializers.CharField(read_only=True)
    teams = TeamEarningSerializer(many=True, read_only=True)
    rules = RuleEarningSerializer(many=True, read_only=True)


def _team(team) -> dict:
    return {"id": team.pk, "name": team.name}


def incentive_report_data(report: engine.IncentiveReport, periods) -> dict:
    return {
        "version": report.version.pk,
        "period": report.period.label,
        "periods": [p.label for p in periods],
        "final": report.complete,
        "currency": report.currency,
        "teams": [
            {"team": _team(t.team), "earned": t.earned, "projected": t.projected}
            for t in report.teams
        ],
        "rules": [
            {
                "id": r.rule.pk,
                "team": _team(r.rule.owner_team),
                "name": r.rule.name,
                "measure": r.rule.measure,
                "period": r.period.label,
                "units": r.units,
                "revenue": r.revenue,
                "before_cap": r.gross,
                "capped": r.capped,
                "condition": r.rule.condition,
                "condition_status": r.condition,
                "earned": r.earned,
                "projected": r.projected,
                "cycle_ids": r.cycle_ids,
                "commitment_ids": r.commitment_ids,
            }
            for r in report.results
        ],
    }


class IncentiveViewSet(viewsets.GenericViewSet):
    """`GET incentives/versions/<id>/?period=2026-03`: what each party team earned under
    the version's incentive rules in a period (default: the latest), and at this pace.
    Managers of a party team and execs (others who see the version: 403)."""

    lookup_value_regex = r"\d+"
    queryset = Version.objects.none()
    pagination_class = None

    @extend_schema(
        operation_id="incentives_versions_retrieve",
        responses=IncentiveReportSerializer,
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="Version id"),
            OpenApiParameter("period", str, description="A period of the rules, e.g. 2026-03"),
        ],
    )
    def retrieve(self, request, pk=None):
        version = permissions.get_visible_or_404(
            permissions.visible_versions(request.user).select_related("agreement"), pk=pk
        )
        permissions.require(permissions.can_view_incentives(request.user, version.agreement))
        periods = engine.incentive_periods(version)
        label = request.query_params.get("period")
        period = next((p for p in periods if p.label == label), None) if label else None
        if label and period is None:
            raise ValidationError({"period": ["Not a period of this version's rules."]})
        period = period or (periods[0] if periods else None)
        if period is None:
            raise ValidationError(
                {"period": ["This version has no incentive rules or was never in force."]}
            )
        report = engine.version_incentives(version, period)
        return Response(IncentiveReportSerializer(incentive_report_data(report, periods)).data)


# Meetings --------------------------------------------------------------------------------


class MeetingAttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingAttendee
        fields = ["user", "attended"]
        read_only_fields = fields


class MeetingActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingAction
        fields = ["id", "title", "owner", "due_date", "done_at"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    attendees = MeetingAttendeeSerializer(many=True, read_only=True)
    actions = MeetingActionSerializer(many=True, read_only=True)
    agenda = serializers.JSONField(read_only=True, help_text="Built when it was scheduled")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "agreement",
            "kind",
            "title",
            "scheduled_for",
            "duration_minutes",
            "organizer",
            "version",
            "held",
            "minutes",
            "review_session",
            "proposed_version",
            "agenda",
            "attendees",
            "actions",
        ]
        read_only_fields = fields


class MeetingFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement", label="Only this agreement's meetings")
    scheduled_after, scheduled_before = since_until("scheduled_for")
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices)
    held = TrueFalseFilter(field_name="held", label="Held (true or 1) or not (false or 0)")

    class Meta:
        model = Meeting
        fields = ["kind", "held"]


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Meetings of the agreements you can see (read only)."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["scheduled_for", "id"]
    ordering = ["-scheduled_for", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return Meeting.objects.filter(
            agreement__in=permissions.visible_agreements(self.request.user)
        ).prefetch_related("attendees", "actions")
