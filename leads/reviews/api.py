"""API for lead feedback, review sessions and action items: the pages' services and rules.

Writers call the same services as the pages (leads.reviews.services); rule violations come back
as 400 with messages per field, acting on something visible but not yours as 403, and
anything outside your teams as 404.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS

from leads.models import Lead
from leads.reviews import selectors, services
from leads.reviews.models import (
    FEEDBACK_EDIT_WINDOW,
    ActionItem,
    ActionStatus,
    Feedback,
    PickReason,
    ReviewedLead,
    ReviewSession,
)
from portal import permissions
from portal.api.lists import IdFilter, TrueFalseFilter, is_true, since_until
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
    replied_by = serializers.CharField(
        source="replied_by.username", read_only=True, default=None, allow_null=True
    )

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
            "reply",
            "replied_by",
            "replied_at",
        ]
        # Marketing's one reply is written on the pages (leads.reviews.services.feedback_reply).
        read_only_fields = ["created_at", "updated_at", "reply", "replied_at"]

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


class FeedbackFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead", label="Only feedback on this lead")
    author = IdFilter(field_name="author", label="Only feedback by this person (user id)")
    rating = extend_schema_field({"type": "integer", "enum": [1, 2, 3, 4, 5]})(
        django_filters.ChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)])
    )
    created_after, created_before = since_until("created_at")

    class Meta:
        model = Feedback
        fields = []


class FeedbackViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lead-quality feedback. Filter with `?lead=<id>`. The author may update for 24 hours."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    ordering_fields = ["created_at", "updated_at", "rating", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return permissions.visible_feedback(self.request.user).select_related(
            "author", "replied_by"
        )


# Review sessions -----------------------------------------------------------------------


class ReviewedLeadSerializer(serializers.ModelSerializer):
    """A lead on a session's agenda. The session's managers set `outcome` and `note`."""

    class Meta:
        model = ReviewedLead
        fields = [
            "id",
            "session",
            "lead",
            "picked_because",
            "outcome",
            "note",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = ["id", "session", "lead", "picked_because", "decided_by", "decided_at"]

    def update(self, instance, data):
        try:
            return services.reviewed_lead_record(
                reviewed_lead=instance,
                user=self.context["request"].user,
                outcome=data.get("outcome", instance.outcome),
                note=data.get("note", instance.note),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None


class ReviewedLeadFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session", label="Only this session's agenda")
    lead = IdFilter(field_name="lead", label="Only this lead's reviews")

    class Meta:
        model = ReviewedLead
        fields = ["outcome", "picked_because"]


@extend_schema_view(
    list=extend_schema(summary="Leads on the agendas of the sessions you can see"),
    partial_update=extend_schema(
        summary="Record or change a reviewed lead's outcome and note (the session's managers)"
    ),
    destroy=extend_schema(summary="Take a lead off the agenda (the session's managers)"),
)
class ReviewedLeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Reviewed leads: read by everyone who sees the session, changed by its managers."""

    serializer_class = ReviewedLeadSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    filterset_class = ReviewedLeadFilter
    ordering_fields = ["position", "decided_at", "id"]
    ordering = ["session_id", "position", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewedLead.objects.none()
        return ReviewedLead.objects.filter(
            session__in=permissions.visible_review_sessions(self.request.user)
        ).select_related("session")

    def get_object(self):
        # Visible but not yours is 403 before any validation, as on the page.
        reviewed = super().get_object()
        if self.request.method not in SAFE_METHODS:
            permissions.require(
                permissions.can_manage_review_session(self.request.user, reviewed.session)
            )
        return reviewed

    def perform_destroy(self, instance):
        services.reviewed_lead_remove(reviewed_lead=instance, user=self.request.user)


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
        help_text=format_lazy(
            "{}: {}", gettext_lazy("Put leads on the agenda"), ", ".join(PickReason.values)
        ),
    )
    sample_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, write_only=True, allow_null=True
    )
    lead_source = serializers.CharField(
        required=False,
        write_only=True,
        allow_blank=True,
        max_length=255,
        help_text=gettext_lazy("With pick: only leads from this source"),
    )
    owner = serializers.IntegerField(
        required=False,
        write_only=True,
        allow_null=True,
        help_text=gettext_lazy("With pick: only leads of this rep (a member of the sales team)"),
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
            "lead_source",
            "owner",
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
            raise ValidationError(
                _("Pick one of %(kinds)s.") % {"kinds": ", ".join(PickReason.values)}
            )
        return value

    def validate(self, data):
        if not data.get("pick") and (data.get("lead_source") or data.get("owner") is not None):
            raise ValidationError(
                {"pick": [_("Say which leads to pick; the source and rep only narrow it.")]}
            )
        return data

    def _check_owner(self, sales_team_id: int, data) -> None:
        """The rep filter names a member of the sales party (one message for any other id)."""
        owner_id = data.get("owner")
        if owner_id is not None:
            if not selectors.party_people([sales_team_id]).filter(pk=owner_id).exists():
                raise ValidationError(
                    {"owner": [_("Pick a rep or manager of the sales team under review.")]}
                )

    def _pick(self, session: ReviewSession, user, data) -> None:
        """Put the leads matching `pick` (and the source and rep filters) on the agenda."""
        services.review_session_pick_leads(
            session=session,
            user=user,
            kind=data["pick"],
            sample_size=data.get("sample_size"),
            lead_source=data.get("lead_source", ""),
            owner_id=data.get("owner"),
        )

    def get_attendees(self, obj) -> list[int]:
        return [a.user_id for a in obj.attendees.all()]

    def get_attended(self, obj) -> list[int]:
        return [a.user_id for a in obj.attendees.all() if a.attended]

    def create(self, data):
        user = self.context["request"].user
        agreement = data["agreement"]
        try:
            _marketing, sales = services.review_parties(agreement)
            self._check_owner(sales.pk, data)
            period = None
            if data.get("period_label"):
                tz, cadence = services.agreement_reporting_frame(agreement)
                period = services.period_from_label(tz, cadence, data["period_label"])
            session, _added = services.review_session_create(
                organizer=user,
                agreement=agreement,
                period=period,
                scheduled_for=data["scheduled_for"],
                attendee_ids=data.get("attendee_ids", []),
                title=data.get("title", ""),
                pick=data.get("pick", ""),
                sample_size=data.get("sample_size"),
                lead_source=data.get("lead_source", ""),
                owner_id=data.get("owner"),
            )
        except DjangoValidationError as error:
            raise _drf(error) from None
        return session

    def update(self, instance, data):
        """Minutes: `summary`, `status` ("held"/"scheduled") and `attended_ids`."""
        user = self.context["request"].user
        self._check_owner(instance.sales_team_id, data)
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
                self._pick(instance, user, data)
        except DjangoValidationError as error:
            raise _drf(error) from None
        return ReviewSession.objects.prefetch_related("attendees", "leads").get(pk=instance.pk)


class ReviewSessionFilter(django_filters.FilterSet):
    agreement = IdFilter(field_name="agreement", label="Only this agreement's sessions")
    organizer = IdFilter(field_name="organizer", label="Only sessions this person organizes")
    scheduled_after, scheduled_before = since_until("scheduled_for")

    class Meta:
        model = ReviewSession
        fields = ["status", "period_label"]


class ReviewSessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lead review sessions: schedule (managers), read the minutes, update the minutes."""

    serializer_class = ReviewSessionSerializer
    filterset_class = ReviewSessionFilter
    ordering_fields = ["scheduled_for", "period_start", "created_at", "id"]
    ordering = ["-scheduled_for", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewSession.objects.none()
        return (
            permissions.visible_review_sessions(self.request.user)
            .select_related("organizer")
            .prefetch_related("attendees", "leads")
        )

    def perform_update(self, serializer):
        permissions.require(
            permissions.can_manage_review_session(self.request.user, serializer.instance)
        )
        serializer.save()


# Action items --------------------------------------------------------------------------


class ActionItemSerializer(serializers.ModelSerializer):
    session = serializers.PrimaryKeyRelatedField(queryset=ReviewSession.objects.none())
    reviewed_lead = serializers.PrimaryKeyRelatedField(
        queryset=ReviewedLead.objects.none(), required=False, allow_null=True
    )
    # An id checked against the session's party teams in validate(), so an id outside them
    # gets the same answer whether or not such a user exists.
    owner = serializers.IntegerField(
        source="owner_id", help_text=gettext_lazy("A rep or manager of either party team")
    )
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
            sessions = permissions.visible_review_sessions(request.user)
            self.fields["session"].queryset = sessions
            self.fields["reviewed_lead"].queryset = ReviewedLead.objects.filter(
                session__in=sessions
            )
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["session"].read_only = True
            self.fields["owner"].read_only = True
            self.fields["reviewed_lead"].read_only = True

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.localdate())

    def validate(self, data):
        if "owner_id" in data:
            session = data["session"]
            people = selectors.party_people([session.marketing_team_id, session.sales_team_id])
            owner = people.filter(pk=data.pop("owner_id")).first()
            if owner is None:
                raise ValidationError(
                    {"owner": [_("The owner must be a member of one of the two teams.")]}
                )
            data["owner"] = owner
        return data

    def create(self, data):
        if data.get("status", ActionStatus.OPEN) != ActionStatus.OPEN:
            raise ValidationError({"status": [_("A new action item starts open.")]})
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


class ActionItemFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session", label="Only this session's action items")
    owner = IdFilter(field_name="owner", label="Only items assigned to this person (user id)")
    reviewed_lead = IdFilter(field_name="reviewed_lead", label="Only items on this reviewed lead")
    due_after, due_before = since_until("due_date", dates=True)
    mine = TrueFalseFilter(method="filter_mine", label="Only your own open items (true or 1)")

    class Meta:
        model = ActionItem
        fields = ["status"]

    def filter_mine(self, queryset, name, value):
        if not is_true(value):
            return queryset
        return queryset.filter(owner=self.request.user).exclude(status=ActionStatus.DONE)


class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items of visible sessions; `?mine=1` for your own open ones."""

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "created_at", "done_at", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ActionItem.objects.none()
        return ActionItem.objects.filter(
            session__in=permissions.visible_review_sessions(self.request.user)
        ).select_related("session")


def register(router) -> None:
    router.register("feedback", FeedbackViewSet, basename="feedback")
    router.register("review-sessions", ReviewSessionViewSet, basename="review-session")
    router.register("reviewed-leads", ReviewedLeadViewSet, basename="reviewed-lead")
    router.register("action-items", ActionItemViewSet, basename="action-item")
