"""API for the people side: the signed-in user's notifications and their preferences."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.lists import since_until
from portal.models import EmailDelivery, Notification
from portal.notifications import (
    KINDS,
    PREFERENCE_KINDS,
    notification_mark_read,
    notification_preferences_update,
    notifications_mark_all_read,
    preferences_for,
)


class NotificationSerializer(serializers.ModelSerializer):
    # In the language of the request (Accept-Language), like the pages.
    title = serializers.CharField(source="title_text", read_only=True)
    body = serializers.CharField(source="body_text", read_only=True)
    reason = serializers.CharField(source="reason_text", read_only=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "reason", "url", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[(v, v) for v in ("true", "false", "1", "0")],
        method="filter_unread",
        label="Only unread (true or 1) or only read (false or 0)",
    )

    created_after, created_before = since_until("created_at")

    class Meta:
        model = Notification
        fields = ["kind"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value in ("true", "1"))


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your notifications, newest first. `?unread=true` keeps the unread ones."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "kind", "id"]
    queryset = Notification.objects.none()  # typed path parameters in the schema
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-id"
        )

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", {"marked_read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked_read": notifications_mark_all_read(user=request.user)})


def _preferences_schema(*, required: bool) -> dict:
    """The body inline rather than as a component: drf-spectacular would hoist the one
    choice set of every kind into an enum component named after one of them."""
    schema = {
        "type": "object",
        "description": "Your email choice per kind of notification that may email: "
        "`immediate`, `digest` (the daily digest email) or `off` (in the portal only).",
        "properties": {
            kind.code: {
                "type": "string",
                "enum": list(EmailDelivery.values),
                "description": f"{kind.label}. {kind.reason}",
            }
            for kind in PREFERENCE_KINDS
        },
        "additionalProperties": False,
    }
    if required:
        schema["required"] = [kind.code for kind in PREFERENCE_KINDS]
    return schema


class NotificationPreferencesSerializer(serializers.Serializer):
    """{kind: email choice}. Kind codes hold dots (`signing.reminder`), which DRF would
    read as nested sources: a field per kind checks its value, mapped here by code."""

    def get_fields(self):
        return {
            kind.code: serializers.ChoiceField(
                choices=EmailDelivery.choices, required=not self.partial
            )
            for kind in PREFERENCE_KINDS
        }

    def to_representation(self, instance):
        return dict(instance)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [ErrorDetail(_("Send a JSON object."), code="invalid")]}
            )
        fields = self.fields
        errors: dict[str, list] = {}
        choices: dict[str, str] = {}
        for kind, value in data.items():
            if kind not in fields:
                message = (
                    _("This kind of notification is shown in the portal only; it never emails.")
                    if kind in KINDS
                    else _("Not a kind of notification.")
                )
                errors[kind] = [ErrorDetail(message, code="unknown_kind")]
                continue
            try:
                choices[kind] = fields[kind].run_validation(value)
            except serializers.ValidationError as error:
                errors[kind] = error.detail
        if not self.partial:
            for kind in fields:
                if kind not in data:
                    errors[kind] = [ErrorDetail(_("This field is required."), code="required")]
        if errors:
            raise serializers.ValidationError(errors)
        return choices


@extend_schema(tags=["notifications"])
class NotificationPreferencesView(APIView):
    """Your email choice per kind of notification (`immediate`, `digest` or `off`); in-app
    notifications are always on. PUT sets every kind, PATCH the kinds it names."""

    @extend_schema(
        summary="Your notification email preferences",
        responses={200: _preferences_schema(required=True)},
    )
    def get(self, request):
        return Response(preferences_for(request.user))

    def _save(self, request, *, partial: bool):
        payload = NotificationPreferencesSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        notification_preferences_update(user=request.user, choices=payload.validated_data)
        return Response(preferences_for(request.user))

    @extend_schema(
        summary="Set every kind's email preference",
        request={"application/json": _preferences_schema(required=True)},
        responses={200: _preferences_schema(required=True)},
    )
    def put(self, request):
        return self._save(request, partial=False)

    @extend_schema(
        summary="Change some kinds' email preferences",
        request={"application/json": _preferences_schema(required=False)},
        responses={200: _preferences_schema(required=True)},
    )
    def patch(self, request):
        return self._save(request, partial=True)
