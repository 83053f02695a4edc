"""API of the visitor stage: monthly visitor counts per source of an agreement.

A list of the counts of the agreements you can see, and a write that sets one month and
source (the page's service; a second write of the same month and source replaces it).
Party managers write; others of the parties get 403, agreements you cannot see 400 (an
unknown id)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from leads.visitors import services
from leads.visitors.models import VisitorCount
from portal import permissions
from portal.api.lists import IdFilter
from slas.models import Agreement


class VisitorCountSerializer(serializers.ModelSerializer):
    agreement = serializers.PrimaryKeyRelatedField(queryset=Agreement.objects.none())
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", help_text="The month, as YYYY-MM.", max_length=7
    )
    source = serializers.CharField(max_length=64, help_text="e.g. organic, paid, social")
    visitors = serializers.IntegerField(min_value=0, max_value=2_000_000_000)

    class Meta:
        model = VisitorCount
        fields = ["id", "agreement", "month", "source", "visitors", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # a second write of one month and source replaces the first

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["agreement"].queryset = permissions.visible_agreements(request.user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["month"] = instance.month.strftime("%Y-%m")
        return data

    def create(self, validated_data):
        agreement = validated_data["agreement"]
        user = self.context["request"].user
        if not permissions.can_manage_agreement(user, agreement):
            raise PermissionDenied(_("Only a manager of a party team enters visitor counts."))
        try:
            return services.visitor_count_set(
                actor=user,
                agreement=agreement,
                month=services.month_parse(validated_data["month"]),
                source=validated_data["source"],
                visitors=validated_data["visitors"],
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None


class VisitorCountFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement", label="Only this agreement's counts")

    class Meta:
        model = VisitorCount
        fields = ["source"]


class VisitorCountViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Monthly visitor counts per source of the agreements you can see."""

    serializer_class = VisitorCountSerializer
    filterset_class = VisitorCountFilter
    ordering_fields = ["month", "source", "id"]
    ordering = ["-month", "source", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return VisitorCount.objects.none()
        return VisitorCount.objects.filter(
            agreement__in=permissions.visible_agreements(self.request.user)
        )


def register(router) -> None:
    router.register("visitor-counts", VisitorCountViewSet, basename="visitor-count")
