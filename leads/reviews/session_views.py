"""Pages of review sessions: schedule one, its page (agenda, outcomes, minutes, attendance), and its action items. Each view: authorize, validate, call a service, render or redirect."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leads.models import Cycle
from leads.reviews import selectors, services
from leads.reviews.forms import (
    ActionItemForm,
    ActionStatusForm,
    MinutesForm,
    OutcomeForm,
    PickLeadsForm,
    SessionForm,
)
from leads.reviews.models import ActionItem, ReviewedLead
from leads.reviews.views import _apply_errors, _next_url, _party_people, _schedulable_agreements
from portal import permissions
from portal.models import Role
from slas.models import Cadence


@login_required
def session_create(request):
    choices = _schedulable_agreements(request.user)
    permissions.require(bool(choices))
    wanted = request.GET.get("agreement") or request.POST.get("agreement")
    agreement, marketing, sales = next((c for c in choices if str(c[0].pk) == wanted), choices[0])
    tz, cadence = services.agreement_reporting_frame(agreement)
    now = timezone.now()
    periods = services.recent_periods(tz, cadence, now=now, count=7)
    people = _party_people([marketing.pk, sales.pk])
    default_period = periods[1]
    form = SessionForm(
        request.POST or None,
        periods=periods,
        people=people,
        initial={
            "period": default_period.label,
            "attendees": list(people.values_list("pk", flat=True)),
            "pick": "rejected",
            "scheduled_for": (timezone.localtime(now) + dt.timedelta(days=7)).replace(
                hour=10, minute=0, second=0, microsecond=0
            ),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        period = next(p for p in periods if p.label == data["period"])
        try:
            session, added = services.review_session_create(
                organizer=request.user,
                agreement=agreement,
                period=period,
                scheduled_for=data["scheduled_for"],
                attendee_ids=[u.pk for u in data["attendees"]],
                title=data["title"],
                pick=data["pick"],
                sample_size=data["sample_size"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Lead review scheduled with %(count)s leads on the agenda; the invited were told."
                )
                % {"count": added},
            )
            return redirect(session)
    return render(
        request,
        "leads/reviews/session_form.html",
        {
            "form": form,
            "agreement": agreement,
            "choices": choices,
            "cadence": dict(Cadence.choices).get(cadence, cadence),
        },
    )


def _session_page(request, session, **forms):
    may_manage = permissions.can_manage_review_session(request.user, session)
    people = _party_people([session.marketing_team_id, session.sales_team_id])
    reps = people.filter(memberships__team_id=session.sales_team_id, memberships__role=Role.REP)
    sources = sorted(
        {
            s
            for s in Cycle.objects.filter(agreement_id=session.agreement_id)
            .values_list("lead__lead_source", flat=True)
            .distinct()
            if s
        }
    )
    invited = get_user_model().objects.filter(pk__in=[a.user_id for a in session.attendee_rows])
    labels = selectors.reason_labels(session.agreement)
    for reviewed in session.reviewed:
        code = reviewed.cycle.rejected_reason_code if reviewed.cycle else ""
        reviewed.rejected_label = labels.get(code, code)
        reviewed.entries = list(reviewed.lead.feedback.all())
        for entry in reviewed.entries:
            entry.reason_labels = [labels.get(code, code) for code in entry.reason_codes]
    today = timezone.localdate()
    for item in session.action_rows:
        item.overdue = item.is_overdue(today)
        item.may_update = permissions.can_update_action_item(request.user, item)
    context = {
        "session": session,
        "may_manage": may_manage,
        "pick_form": forms.get("pick_form") or PickLeadsForm(sources=sources, reps=reps),
        "action_form": forms.get("action_form")
        or ActionItemForm(people=people, reviewed=session.reviewed),
        "minutes_form": forms.get("minutes_form")
        or MinutesForm(
            invited=invited,
            initial={
                "attended": [a.user_id for a in session.attendee_rows if a.attended],
                "summary": session.summary,
                "held": session.status == "held",
            },
        ),
        "outcome_choices": OutcomeForm.base_fields["outcome"].choices,
        "status_choices": ActionStatusForm.base_fields["status"].choices,
    }
    status = 400 if forms else 200
    return render(request, "leads/reviews/session_detail.html", context, status=status)


@login_required
def session_detail(request, pk: int):
    session = selectors.review_session_detail(request.user, pk)
    return _session_page(request, session)


def _managed_session(request, pk: int):
    session = selectors.review_session_detail(request.user, pk)
    permissions.require(permissions.can_manage_review_session(request.user, session))
    return session


@login_required
@require_POST
def session_pick_leads(request, pk: int):
    session = _managed_session(request, pk)
    sources = list(
        Cycle.objects.filter(agreement_id=session.agreement_id)
        .values_list("lead__lead_source", flat=True)
        .distinct()
    )
    reps = _party_people([session.sales_team_id])
    form = PickLeadsForm(request.POST, sources=[s for s in sources if s], reps=reps)
    if form.is_valid():
        data = form.cleaned_data
        added = services.review_session_pick_leads(
            session=session,
            user=request.user,
            kind=data["kind"],
            sample_size=data["sample_size"],
            lead_source=data["lead_source"],
            owner_id=data["owner"],
        )
        if added:
            messages.success(request, _("%(count)s leads added to the agenda.") % {"count": added})
        else:
            messages.warning(request, _("No new leads match these filters in this period."))
        return redirect(f"{session.get_absolute_url()}#agenda")
    return _session_page(request, session, pick_form=form)


@login_required
@require_POST
def reviewed_lead_outcome(request, pk: int, reviewed_pk: int):
    session = _managed_session(request, pk)
    reviewed = permissions.get_visible_or_404(
        ReviewedLead.objects.filter(session=session), pk=reviewed_pk
    )
    form = OutcomeForm(request.POST)
    if form.is_valid():
        services.reviewed_lead_record(
            reviewed_lead=reviewed, user=request.user, **form.cleaned_data
        )
        messages.success(request, _("Outcome saved for %(lead)s.") % {"lead": reviewed.lead})
    else:
        messages.error(
            request, _("Pick one of the outcomes for %(lead)s.") % {"lead": reviewed.lead}
        )
    return redirect(f"{session.get_absolute_url()}#reviewed-{reviewed.pk}")


@login_required
@require_POST
def reviewed_lead_remove(request, pk: int, reviewed_pk: int):
    session = _managed_session(request, pk)
    reviewed = permissions.get_visible_or_404(
        ReviewedLead.objects.filter(session=session), pk=reviewed_pk
    )
    services.reviewed_lead_remove(reviewed_lead=reviewed, user=request.user)
    messages.success(request, _("%(lead)s is off the agenda.") % {"lead": reviewed.lead})
    return redirect(f"{session.get_absolute_url()}#agenda")


@login_required
@require_POST
def session_minutes(request, pk: int):
    session = _managed_session(request, pk)
    invited = get_user_model().objects.filter(pk__in=[a.user_id for a in session.attendee_rows])
    form = MinutesForm(request.POST, invited=invited)
    if form.is_valid():
        data = form.cleaned_data
        services.review_session_record_minutes(
            session=session,
            user=request.user,
            attended_ids=[u.pk for u in data["attended"]],
            summary=data["summary"],
            held=data["held"],
        )
        messages.success(request, _("The minutes are saved."))
        return redirect(session)
    return _session_page(request, session, minutes_form=form)


@login_required
@require_POST
def action_item_create(request, pk: int):
    session = _managed_session(request, pk)
    people = _party_people([session.marketing_team_id, session.sales_team_id])
    form = ActionItemForm(request.POST, people=people, reviewed=session.reviewed)
    if form.is_valid():
        data = form.cleaned_data
        reviewed = next((r for r in session.reviewed if r.pk == data["reviewed_lead"]), None)
        try:
            item = services.action_item_create(
                session=session,
                user=request.user,
                title=data["title"],
                owner=data["owner"],
                due_date=data["due_date"],
                reviewed_lead=reviewed,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Action assigned to %(owner)s.") % {"owner": item.owner})
            return redirect(item.get_absolute_url())
    return _session_page(request, session, action_form=form)


@login_required
@require_POST
def action_item_status(request, pk: int):
    visible = ActionItem.objects.filter(
        session__in=permissions.visible_review_sessions(request.user)
    ).select_related("session")
    item = permissions.get_visible_or_404(visible, pk=pk)
    permissions.require(permissions.can_update_action_item(request.user, item))
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_item_update(
            item=item, user=request.user, status=form.cleaned_data["status"]
        )
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": item.title, "status": item.get_status_display().lower()},
        )
    else:
        messages.error(request, _("Pick open, in progress or done."))
    return redirect(_next_url(request, item.get_absolute_url()))
