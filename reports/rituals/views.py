"""Meetings pages: an agreement's meetings and cadences, a meeting (agenda, minutes,
attendance, action items, "propose a change") and its .ics. Party members and execs read;
managers of a party team write (the owner of an action item may close it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leads.reviews.models import ReviewSession
from portal import permissions
from portal.emails import absolute_url, ics_event
from reports.rituals import forms, services
from reports.rituals.agenda import version_now
from reports.rituals.models import Meeting, MeetingAction, MeetingKind, RitualCadence

SECTION_TITLES = {
    "commitments": gettext_lazy("Commitments missed or at risk"),
    "breaches": gettext_lazy("First-contact clocks breached"),
    "rejected": gettext_lazy("Rejected leads to review"),
    "actions": gettext_lazy("Open action items"),
    "incentives": gettext_lazy("Shared incentives of the month"),
    "review_session": gettext_lazy("The review session"),
}


def _agreement(request, pk: int):
    return permissions.get_visible_or_404(permissions.visible_agreements(request.user), pk=pk)


def _meeting(request, pk: int) -> Meeting:
    return permissions.get_visible_or_404(
        Meeting.objects.filter(
            agreement__in=permissions.visible_agreements(request.user)
        ).select_related("agreement", "organizer", "review_session", "proposed_version", "version"),
        pk=pk,
    )


def _tz(agreement) -> str:
    version = version_now(agreement.pk)
    return version.calendar_timezone if version else "UTC"


def _error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


@login_required
def meetings(request, pk: int, meeting_form=None, cadence_form=None):
    agreement = _agreement(request, pk)
    now = timezone.now()
    manages = permissions.can_manage_agreement(request.user, agreement)
    all_meetings = list(
        Meeting.objects.filter(agreement=agreement)
        .select_related("organizer")
        .order_by("scheduled_for")
    )
    cadences = list(RitualCadence.objects.filter(agreement=agreement))
    tz = _tz(agreement)
    next_times = {c.kind: services.next_occurrence(c, tz, now) for c in cadences}
    if manages and meeting_form is None:
        first = cadences[0] if cadences else None
        meeting_form = forms.MeetingForm(
            sessions=ReviewSession.objects.filter(agreement=agreement),
            people=services.party_people(agreement),
            initial={
                "kind": first.kind if first else MeetingKind.STANDUP,
                "scheduled_for": next_times.get(first.kind) if first else None,
                "duration_minutes": first.duration_minutes if first else 30,
            },
        )
    if manages and cadence_form is None:
        cadence_form = forms.CadenceForm()
    return render(
        request,
        "reports/meetings.html",
        {
            "agreement": agreement,
            "upcoming": [m for m in all_meetings if m.ends_at >= now],
            "past": list(reversed([m for m in all_meetings if m.ends_at < now])),
            "cadences": [(c, next_times[c.kind]) for c in cadences],
            "manages": manages,
            "meeting_form": meeting_form,
            "cadence_form": cadence_form,
            "tz": tz,
        },
    )


@login_required
@require_POST
def meeting_new(request, pk: int):
    agreement = _agreement(request, pk)
    permissions.require(permissions.can_manage_agreement(request.user, agreement))
    form = forms.MeetingForm(
        request.POST,
        sessions=ReviewSession.objects.filter(agreement=agreement),
        people=services.party_people(agreement),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=request.user,
                agreement=agreement,
                kind=data["kind"],
                scheduled_for=data["scheduled_for"],
                duration_minutes=data["duration_minutes"],
                title=data["title"],
                attendee_ids=[u.pk for u in data["attendees"]],
                review_session=data["review_session"],
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Meeting scheduled; its agenda is ready."))
            return redirect(meeting)
    return meetings(request, pk, meeting_form=form)


@login_required
@require_POST
def ritual_cadence(request, pk: int):
    agreement = _agreement(request, pk)
    permissions.require(permissions.can_manage_agreement(request.user, agreement))
    form = forms.CadenceForm(request.POST)
    if form.is_valid():
        try:
            services.ritual_cadence_set(
                actor=request.user, agreement=agreement, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Cadence saved."))
            return redirect("reports:meetings", pk=agreement.pk)
    return meetings(request, pk, cadence_form=form)


@login_required
def meeting(request, pk: int, minutes_form=None, action_form=None, propose_form=None):
    meeting = _meeting(request, pk)
    agreement = meeting.agreement
    manages = permissions.can_manage_agreement(request.user, agreement)
    attendees = list(meeting.attendees.select_related("user"))
    people = services.party_people(agreement)
    if manages:
        minutes_form = minutes_form or forms.MinutesForm(
            attendees=attendees,
            initial={
                "minutes": meeting.minutes,
                "held": meeting.held,
                "attended": [a.user_id for a in attendees if a.attended],
            },
        )
        action_form = action_form or forms.ActionForm(people=people)
        if meeting.may_propose and meeting.proposed_version_id is None:
            propose_form = propose_form or forms.ProposeForm()
    own_actions = list(meeting.actions.select_related("owner"))
    carried = list(
        MeetingAction.objects.filter(
            meeting__agreement=agreement,
            done_at__isnull=True,
            meeting__scheduled_for__lt=meeting.scheduled_for,
        )
        .exclude(meeting=meeting)
        .select_related("owner", "meeting")
    )
    sections = [
        {**section, "title": SECTION_TITLES.get(section["key"], section["key"])}
        for section in meeting.agenda
    ]
    return render(
        request,
        "reports/meeting.html",
        {
            "meeting": meeting,
            "agreement": agreement,
            "sections": sections,
            "attendees": attendees,
            "manages": manages,
            "minutes_form": minutes_form,
            "action_form": action_form,
            "propose_form": propose_form,
            "actions": [(a, services.can_close_action(request.user, a)) for a in own_actions],
            "carried": [(a, services.can_close_action(request.user, a)) for a in carried],
            "today": timezone.localdate(),
            "tz": _tz(agreement),
        },
    )


@login_required
@require_POST
def meeting_minutes(request, pk: int):
    meeting_obj = _meeting(request, pk)
    permissions.require(permissions.can_manage_agreement(request.user, meeting_obj.agreement))
    form = forms.MinutesForm(
        request.POST, attendees=list(meeting_obj.attendees.select_related("user"))
    )
    if form.is_valid():
        services.meeting_minutes_save(
            actor=request.user,
            meeting=meeting_obj,
            minutes=form.cleaned_data["minutes"],
            held=form.cleaned_data["held"],
            attended_ids=form.cleaned_data["attended"],
        )
        messages.success(request, _("Minutes saved."))
        return redirect(meeting_obj)
    return meeting(request, pk, minutes_form=form)


@login_required
@require_POST
def meeting_action_new(request, pk: int):
    meeting_obj = _meeting(request, pk)
    permissions.require(permissions.can_manage_agreement(request.user, meeting_obj.agreement))
    form = forms.ActionForm(request.POST, people=services.party_people(meeting_obj.agreement))
    if form.is_valid():
        try:
            services.meeting_action_add(
                actor=request.user, meeting=meeting_obj, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Action item added; its owner is told."))
            return redirect(meeting_obj)
    return meeting(request, pk, action_form=form)


@login_required
@require_POST
def meeting_action_done(request, pk: int):
    action = permissions.get_visible_or_404(
        MeetingAction.objects.filter(
            meeting__agreement__in=permissions.visible_agreements(request.user)
        ).select_related("meeting__agreement"),
        pk=pk,
    )
    permissions.require(services.can_close_action(request.user, action))
    services.meeting_action_done(
        actor=request.user, action=action, done=request.POST.get("done", "1") != "0"
    )
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = action.meeting.get_absolute_url()
    return redirect(back or action.meeting.get_absolute_url())


@login_required
@require_POST
def meeting_propose(request, pk: int):
    meeting_obj = _meeting(request, pk)
    permissions.require(permissions.can_manage_agreement(request.user, meeting_obj.agreement))
    form = forms.ProposeForm(request.POST)
    if form.is_valid():
        try:
            draft = services.meeting_propose_change(
                actor=request.user, meeting=meeting_obj, change=form.cleaned_data["change"]
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request, _("Draft v%(n)s started from this meeting.") % {"n": draft.number}
            )
            return redirect("slas:version_edit_start", pk=draft.pk)
    return meeting(request, pk, propose_form=form)


@login_required
def meeting_ics(request, pk: int):
    meeting_obj = _meeting(request, pk)
    text = ics_event(
        uid=f"meeting-{meeting_obj.pk}@sla-portal",
        start=meeting_obj.scheduled_for,
        end=meeting_obj.ends_at,
        summary=meeting_obj.title,
        description=meeting_obj.agreement.title,
        url=absolute_url(meeting_obj.get_absolute_url()),
        stamp=meeting_obj.created_at,
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting_obj.pk}.ics"'
    return response
