"""Compliance per version and period, as JSON: the numbers of the pages and exports."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from portal import permissions
from reports import exports, selectors


class ComplianceViewSet(viewsets.ViewSet):
    """`GET compliance/versions/` lists the visible versions that have been in force
    with their latest period's result per commitment; `GET compliance/versions/<id>/`
    gives every commitment in every period (`?period=2026-03` keeps one period)."""

    lookup_value_regex = r"\d+"

    def _versions(self, request):
        return (
            permissions.visible_versions(request.user)
            .filter(in_force_from__isnull=False)
            .select_related("agreement")
            .order_by("agreement_id", "number")
        )

    @extend_schema(operation_id="compliance_versions_list", responses=OpenApiTypes.OBJECT)
    def list(self, request):
        versions = list(self._versions(request))
        comps = selectors.compliance_for_versions(versions) if versions else {}
        data = []
        for version in versions:
            body = exports.version_compliance_json(comps[version.pk])
            label = comps[version.pk].current_label
            for card in body["scorecards"]:
                for commitment in card["commitments"]:
                    commitment["results"] = [
                        r for r in commitment["results"] if r["period"] == label
                    ]
            data.append(body)
        return Response({"count": len(data), "results": data})

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
        body = exports.version_compliance_json(selectors.version_compliance(version))
        label = request.query_params.get("period")
        if label:
            for card in body["scorecards"]:
                for commitment in card["commitments"]:
                    commitment["results"] = [
                        r for r in commitment["results"] if r["period"] == label
                    ]
        return Response(body)
