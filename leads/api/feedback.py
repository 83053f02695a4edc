"""API for lead feedback, review sessions and action items: the pages' services and rules.

Writers call the same services as the pages (leads.feedback); rule violations come back
as 400 with messages per field, acting on something visible but not yours as 403, and
anything outside your teams as 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from leads import feedback as services
from leads import feedback_selectors as selectors
from leads.feedback_models import (
    FEEDBACK_EDIT_WINDOW,
    ActionItem,
    ActionStatus,
    PickReason,
    ReviewedLead,
    ReviewSession,
)
from leads.models import Feedback, Lead
from portal import permissions
from portal.models import TeamFunction
from slas.models import Agreement


def _drf(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


# Feedback ------------------------------------------------------------------------------


class FeedbackSerializer(serializers.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none())
    author = serializers.CharField(source="author.username", read_only=True)
    reason_codes = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, default=list
    )
    rating = serializers.IntegerField(required=False, allow_null=True, default=None)
    editable_until = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "lead",
            "author",
            "rating",
            "reason_codes",
            "helped",
            "went_wrong",
            "note",
            "created_at",
            "updated_at",
            "editable_until",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["lead"].queryset = permissions.visible_leads(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["lead"].read_only = True

    def get_editable_until(self, obj) -> dt.datetime:
        return obj.created_at + FEEDBACK_EDIT_WINDOW

    def _service_kwargs(self, data) -> dict:
        return {
            "rating": data.get("rating"),
            "reason_codes": data.get("reason_codes", []),
            "helped": data.get("helped", ""),
            "went_wrong": data.get("went_wrong", ""),
            "note": data.get("note", ""),
        }

    def create(self, validated_data):
        try:
            return services.feedback_create(
                lead=validated_data["lead"],
                author=self.context["request"].user,
                **self._service_kwargs(validated_data),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None

    def update(self, instance, validated_data):
        current = {
            "rating": instance.rating,
            "reason_codes": instance.reason_codes,
            "helped": instance.helped,
            "went_wrong": instance.went_wrong,
            "note": instance.note,
        }
        current.update(validated_data)
        try:
            return services.feedback_update(
                feedback=instance,
                user=self.context["request"].user,
                **self._service_kwargs(current),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None


class FeedbackViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lead-quality feedback. Filter with `?lead=<id>`. The author may update for 24 hours."""

    serializer_class = FeedbackSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        queryset = (
            selectors.visible_feedback(self.request.user)
            .select_related("author")
            .order_by("-created_at", "-id")
        )
        lead = self.request.query_params.get("lead")
        if lead and lead.isdigit():
            queryset = queryset.filter(lead_id=int(lead))
        return queryset


# Review sessions -----------------------------------------------------------------------


class ReviewedLeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewedLead
        fields = ["id", "lead", "picked_because", "outcome", "note", "decided_at"]
        read_only_fields = fields


class ReviewSessionSerializer(serializers.ModelSerializer):
    organizer = serializers.CharField(source="organizer.username", read_only=True)
    agreement = serializers.PrimaryKeyRelatedField(queryset=Agreement.objects.none())
    period = serializers.CharField(
        source="period_label", required=False, help_text="2026-03 or 2026-Q1; default: last one"
    )
    attendee_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, write_only=True
    )
    attendees = serializers.SerializerMethodField()
    attended = serializers.SerializerMethodField()
    pick = serializers.CharField(
        required=False,
        write_only=True,
        allow_blank=True,
        help_text="Put leads on the agenda: " + ", ".join(PickReason.values),
    )
    sample_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, write_only=True, allow_null=True
    )
    attended_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, write_only=True
    )
    leads = ReviewedLeadSerializer(many=True, read_only=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = ReviewSession
        fields = [
            "id",
            "title",
            "agreement",
            "period",
            "period_start",
            "period_end",
            "cadence",
            "scheduled_for",
            "status",
            "summary",
            "organizer",
            "attendees",
            "attended",
            "attendee_ids",
            "attended_ids",
            "pick",
            "sample_size",
            "leads",
        ]
        read_only_fields = ["period_start", "period_end", "cadence", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["agreement"].queryset = permissions.visible_agreements(request.user)

    def validate_pick(self, value: str) -> str:
        if value and value not in PickReason.values:
            raise ValidationError(f"Pick one of {', '.join(PickReason.values)}.")
        return value

    def get_attendees(self, obj) -> list[int]:
        return [a.user_id for a in obj.attendees.all()]

    def get_attended(self, obj) -> list[int]:
        return [a.user_id for a in obj.attendees.all() if a.attended]

    def create(self, data):
        user = self.context["request"].user
        agreement = data["agreement"]
        parties = list(agreement.parties.all())
        marketing = next((t for t in parties if t.function == TeamFunction.MARKETING), None)
        sales = next((t for t in parties if t.function == TeamFunction.SALES), None)
        if marketing is None or sales is None:
            raise ValidationError(
                {"agreement": ["Review sessions need a marketing and a sales party."]}
            )
        tz, cadence = services.agreement_reporting_frame(agreement)
        try:
            period = (
                services.period_from_label(tz, cadence, data["period_label"])
                if data.get("period_label")
                else services.default_review_period(agreement)
            )
            session = services.review_session_schedule(
                organizer=user,
                agreement=agreement,
                marketing_team_id=marketing.pk,
                sales_team_id=sales.pk,
                period=period,
                cadence=cadence,
                scheduled_for=data["scheduled_for"],
                attendee_ids=data.get("attendee_ids", []),
                title=data.get("title", ""),
            )
            if data.get("pick"):
                services.review_session_pick_leads(
                    session=session,
                    user=user,
                    kind=data["pick"],
                    sample_size=data.get("sample_size"),
                )
        except DjangoValidationError as error:
            raise _drf(error) from None
        return session

    def update(self, instance, data):
        """Minutes: `summary`, `status` ("held"/"scheduled") and `attended_ids`."""
        user = self.context["request"].user
        held = self.initial_data.get("status", instance.status) == "held"
        attended = data.get(
            "attended_ids", [a.user_id for a in instance.attendees.all() if a.attended]
        )
        try:
            services.review_session_record_minutes(
                session=instance,
                user=user,
                attended_ids=attended,
                summary=data.get("summary", instance.summary),
                held=held,
            )
            if data.get("pick"):
                services.review_session_pick_leads(
                    session=instance,
                    user=user,
                    kind=data["pick"],
                    sample_size=data.get("sample_size"),
                )
        except DjangoValidationError as error:
            raise _drf(error) from None
        return ReviewSession.objects.prefetch_related("attendees", "leads").get(pk=instance.pk)


class ReviewSessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lead review sessions: schedule (managers), read the minutes, update the minutes."""

    serializer_class = ReviewSessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewSession.objects.none()
        return (
            permissions.visible_review_sessions(self.request.user)
            .select_related("organizer")
            .prefetch_related("attendees", "leads")
            .order_by("-scheduled_for", "-id")
        )

    def perform_update(self, serializer):
        permissions.require(
            permissions.can_manage_review_session(self.request.user, serializer.instance)
        )
        serializer.save()


# Action items --------------------------------------------------------------------------


class ActionItemSerializer(serializers.ModelSerializer):
    session = serializers.PrimaryKeyRelatedField(queryset=ReviewSession.objects.none())
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "session",
            "reviewed_lead",
            "title",
            "owner",
            "due_date",
            "status",
            "done_at",
            "overdue",
        ]
        read_only_fields = ["done_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["session"].queryset = permissions.visible_review_sessions(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["session"].read_only = True
            self.fields["owner"].read_only = True
            self.fields["reviewed_lead"].read_only = True

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.localdate())

    def create(self, data):
        if data.get("status", ActionStatus.OPEN) != ActionStatus.OPEN:
            raise ValidationError({"status": ["A new action item starts open."]})
        try:
            return services.action_item_create(
                session=data["session"],
                user=self.context["request"].user,
                title=data["title"],
                owner=data["owner"],
                due_date=data["due_date"],
                reviewed_lead=data.get("reviewed_lead"),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None

    def update(self, instance, data):
        try:
            return services.action_item_update(
                item=instance,
                user=self.context["request"].user,
                status=data.get("status"),
                due_date=data.get("due_date"),
                title=data.get("title"),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None


class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items of visible sessions; `?mine=1` for your own open ones."""

    serializer_class = ActionItemSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ActionItem.objects.none()
        queryset = ActionItem.objects.filter(
            session__in=permissions.visible_review_sessions(self.request.user)
        ).select_related("session")
        if self.request.query_params.get("mine"):
            queryset = queryset.filter(owner=self.request.user).exclude(status=ActionStatus.DONE)
        return queryset.order_by("due_date", "id")


def register(router) -> None:
    router.register("feedback", FeedbackViewSet, basename="feedback")
    router.register("review-sessions", ReviewSessionViewSet, basename="review-session")
    router.register("action-items", ActionItemViewSet, basename="action-item")
