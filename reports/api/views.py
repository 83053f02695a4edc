"""Compliance per version and period, as JSON: the numbers of the pages and exports."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from portal import permissions
from portal.api.lists import IdFilter
from reports import exports, selectors
from slas.glossary import glossaries_load, version_glossary
from slas.models import Version


class ComplianceVersionFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement", label="Only this agreement's versions")

    class Meta:
        model = Version
        fields = ["agreement", "status"]


class VersionComplianceSerializer(serializers.Serializer):
    """The shape of `reports.exports.version_compliance_json` (documentation only)."""

    version = serializers.DictField(read_only=True)
    as_of = serializers.JSONField(read_only=True)
    periods = serializers.ListField(child=serializers.CharField(), read_only=True)
    ungoverned_handoffs = serializers.JSONField(read_only=True)
    scorecards = serializers.ListField(child=serializers.DictField(), read_only=True)
    stage_definitions = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The stages the commitments count, as this version defines them (its "
        "glossary terms): stage, stage_label, term, definition, version.",
    )


class ComplianceViewSet(viewsets.GenericViewSet):
    """`GET compliance/versions/` lists the visible versions that have been in force
    with their latest period's result per commitment, a page at a time (each version's
    numbers are computed for its page only); `GET compliance/versions/<id>/` gives every
    commitment in every period (`?period=2026-03` keeps one period)."""

    lookup_value_regex = r"\d+"
    queryset = Version.objects.none()  # for the schema: filters and pages of versions
    filterset_class = ComplianceVersionFilter
    ordering_fields = ["number", "in_force_from", "id"]
    ordering = ["agreement_id", "number"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Version.objects.none()
        return (
            permissions.visible_versions(self.request.user)
            .filter(in_force_from__isnull=False)
            .select_related("agreement")
        )

    @extend_schema(
        operation_id="compliance_versions_list",
        responses=VersionComplianceSerializer(many=True),
    )
    def list(self, request):
        versions = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        comps = selectors.compliance_for_versions(versions) if versions else {}
        glossaries = glossaries_load(v.pk for v in versions)
        data = []
        for version in versions:
            body = exports.version_compliance_json(comps[version.pk], glossaries.get(version.pk))
            label = comps[version.pk].current_label
            for card in body["scorecards"]:
                for commitment in card["commitments"]:
                    commitment["results"] = [
                        r for r in commitment["results"] if r["period"] == label
                    ]
            data.append(body)
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="compliance_versions_retrieve",
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="Version id"),
            OpenApiParameter("period", str, description="Keep one period, e.g. 2026-03"),
        ],
    )
    def retrieve(self, request, pk=None):
        version = permissions.get_visible_or_404(
            permissions.visible_versions(request.user).select_related("agreement"), pk=pk
        )
        body = exports.version_compliance_json(
            selectors.version_compliance(version), version_glossary(version.pk)
        )
        label = request.query_params.get("period")
        if label:
            for card in body["scorecards"]:
                for commitment in card["commitments"]:
                    commitment["results"] = [
                        r for r in commitment["results"] if r["period"] == label
                    ]
        return Response(body)
