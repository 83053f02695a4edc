"""Reads across agreement models."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q, QuerySet

from portal import permissions
from slas.models import Agreement, Version


def agreement_list_for(user) -> QuerySet[Agreement]:
    return (
        permissions.visible_agreements(user)
        .prefetch_related(
            "parties", Prefetch("versions", queryset=Version.objects.order_by("-number"))
        )
        .order_by("title")
    )


def version_in_force(agreement_id: int, at: datetime.datetime) -> Version | None:
    """The version of the agreement in force at instant `at` (None: ungoverned)."""
    return (
        Version.objects.filter(agreement_id=agreement_id, in_force_from__lte=at)
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=at))
        .order_by("-in_force_from")
        .first()
    )
