"""Pages of the feedback loop: feedback on a lead, review sessions (their minutes),
action items, and the feedback analysis. Each view: authorize, validate, call a service,
render or redirect."""

from __future__ import annotations

import csv
import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leads.models import Cycle, Lead
from leads.reviews import selectors, services
from leads.reviews.forms import (
    ActionItemForm,
    ActionStatusForm,
    FeedbackForm,
    MinutesForm,
    OutcomeForm,
    PickLeadsForm,
    SessionForm,
)
from leads.reviews.models import ActionItem, ReviewedLead
from portal import charts, permissions
from portal.models import Role, TeamFunction
from slas.models import Cadence
from slas.periods import Period

# Helpers -------------------------------------------------------------------------------


def _apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form (by field when the field exists)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _party_people(team_ids):
    return selectors.party_people(team_ids)


# Feedback on a lead --------------------------------------------------------------------

PROMPTS = {
    "reject": gettext_lazy("You just returned this lead — tell marketing why"),
    "recycle": gettext_lazy("You just returned this lead — tell marketing why"),
    "disqualify": gettext_lazy("You just disqualified this lead — tell marketing why"),
}


@login_required
def feedback_create(request, lead_pk: int):
    lead = permissions.get_visible_or_404(permissions.visible_leads(request.user), pk=lead_pk)
    permissions.require(permissions.can_comment_on_lead(request.user, lead))
    may_rate = permissions.can_rate_lead(request.user, lead)
    version = services.lead_governing_version(lead)
    reasons = services.reason_codes_for(version)
    after = request.GET.get("after", "")
    prompt = PROMPTS.get(after, "")
    initial = {}
    if prompt:
        last_exit = services.lead_last_exit(lead)
        if last_exit and last_exit.reason_code in {r.code for r in reasons}:
            initial["reason_codes"] = [last_exit.reason_code]
    form = FeedbackForm(request.POST or None, reasons=reasons, may_rate=may_rate, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_create(lead=lead, author=request.user, **form.service_kwargs())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("Thank you: your feedback on %(lead)s is saved.") % {"lead": lead}
            )
            return redirect(_next_url(request, lead.get_absolute_url()))
    return render(
        request,
        "leads/reviews/feedback_form.html",
        {
            "lead": lead,
            "form": form,
            "prompt": prompt,
            "after": after,
            "version": version,
            "entries": selectors.lead_feedback_panel(lead, request.user)["entries"],
            "next": _next_url(request, ""),
        },
    )


@login_required
def feedback_edit(request, pk: int):
    feedback = permissions.get_visible_or_404(
        permissions.visible_feedback(request.user).select_related("lead"), pk=pk
    )
    permissions.require(permissions.can_edit_feedback(request.user, feedback, timezone.now()))
    lead = feedback.lead
    may_rate = permissions.can_rate_lead(request.user, lead)
    reasons = services.reason_codes_for(services.lead_governing_version(lead))
    initial = {
        "rating": feedback.rating,
        "reason_codes": feedback.reason_codes,
        "helped": feedback.helped,
        "went_wrong": feedback.went_wrong,
        "note": feedback.note,
    }
    form = FeedbackForm(request.POST or None, reasons=reasons, may_rate=may_rate, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_update(feedback=feedback, user=request.user, **form.service_kwargs())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your feedback is updated."))
            return redirect(_next_url(request, lead.get_absolute_url()))
    return render(
        request,
        "leads/reviews/feedback_form.html",
        {"lead": lead, "form": form, "editing": feedback, "entries": [], "next": ""},
    )


# Review sessions -----------------------------------------------------------------------


@login_required
def index(request):
    sessions = selectors.review_sessions_for(request.user)[:50]
    return render(
        request,
        "leads/reviews/index.html",
        {
            "sessions": sessions,
            "actions": selectors.action_items_open_for(request.user),
            "today": timezone.localdate(),
            # Only when there is an agreement the user may schedule for (else the form is a 403).
            "may_schedule": bool(_schedulable_agreements(request.user)),
        },
    )


def _schedulable_agreements(user):
    agreements = permissions.visible_agreements(user).prefetch_related("parties").order_by("title")
    result = []
    for agreement in agreements:
        parties = list(agreement.parties.all())
        marketing = next((t for t in parties if t.function == TeamFunction.MARKETING), None)
        sales = next((t for t in parties if t.function == TeamFunction.SALES), None)
        if (
            marketing
            and sales
            and permissions.can_schedule_review_session(user, marketing.pk, sales.pk)
        ):
            result.append((agreement, marketing, sales))
    return result


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


# Analysis ------------------------------------------------------------------------------

DIMENSION_LABELS = {
    "source": gettext_lazy("Lead source"),
    "campaign": gettext_lazy("Campaign"),
    "industry": gettext_lazy("Industry"),
    "company_size": gettext_lazy("Company size"),
    "rep": gettext_lazy("Rep"),
    "period": gettext_lazy("Period"),
}


def _analysis_scope(request) -> tuple[selectors.AnalysisScope, list, list[Period]]:
    """Read the analysis filters from the query string (unknown values fall back to defaults)."""
    agreements = list(permissions.visible_agreements(request.user).order_by("title"))
    wanted = request.GET.get("agreement", "")
    agreement = next((a for a in agreements if str(a.pk) == wanted), None)
    if agreement is None and agreements:
        with_leads = set(
            Lead.objects.filter(agreement__in=agreements)
            .values_list("agreement_id", flat=True)
            .distinct()[:50]
        )
        agreement = next((a for a in agreements if a.pk in with_leads), agreements[0])
    tz, cadence = services.agreement_reporting_frame(agreement) if agreement else ("UTC", "month")
    available = list(reversed(services.recent_periods(tz, cadence, now=timezone.now(), count=12)))
    labels = [p.label for p in available]
    start = request.GET.get("from", "")
    end = request.GET.get("to", "")
    first = labels.index(start) if start in labels else max(0, len(labels) - 6)
    last = labels.index(end) if end in labels else len(labels) - 1
    if last < first:
        first, last = last, first
    filters = {dim: request.GET[dim] for dim in selectors.DIMENSIONS if request.GET.get(dim)}
    scope = selectors.AnalysisScope(
        agreement=agreement,
        tz=tz,
        cadence=cadence,
        periods=available[first : last + 1],
        filters=filters,
        reason=request.GET.get("reason", ""),
        rejected_reason=request.GET.get("rejected_reason", ""),
        rated=request.GET.get("rated") == "1",
    )
    return scope, agreements, available


def _scope_query(scope: selectors.AnalysisScope, **extra) -> str:
    params = {
        "agreement": scope.agreement.pk if scope.agreement else "",
        "from": scope.periods[0].label,
        "to": scope.periods[-1].label,
        **scope.filters,
    }
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode({k: v for k, v in params.items() if v != ""})


@login_required
def analysis(request):
    scope, agreements, available = _analysis_scope(request)
    dimension = request.GET.get("by", "source")
    if dimension not in selectors.DIMENSIONS:
        dimension = "source"
    result = selectors.feedback_analysis(request.user, scope, dimension)
    leads_url = reverse("reviews:analysis_leads")
    rows = []
    for group in result.groups:
        query = {dimension: group.value}
        rows.append(
            {
                "group": group,
                "label": group.label if group.value != selectors.NONE else _("(not set)"),
                "leads_url": f"{leads_url}?{_scope_query(scope, **query)}",
                "rated_url": f"{leads_url}?{_scope_query(scope, rated=1, **query)}",
                "cells": [
                    (
                        group.reasons.get(code, 0),
                        f"{leads_url}?{_scope_query(scope, reason=code, **query)}",
                    )
                    for code, _label in result.reason_columns
                ],
            }
        )
    trend_labels = [g.label for g in result.trend]
    rating_chart = charts.line_chart(
        [charts.Series(_("Average rating"), [g.avg_rating for g in result.trend], "series-0")],
        x_labels=trend_labels,
        y_label=_("rating (1-5)"),
        title=_("Average rating per period"),
    )
    top_codes = [code for code, _label in result.reason_columns[:3]]
    reason_series = [
        charts.Series(label, [g.reasons.get(code, 0) for g in result.trend], f"series-{i}")
        for i, (code, label) in enumerate(result.reason_columns[:3])
    ]
    reasons_chart = (
        charts.line_chart(
            reason_series, x_labels=trend_labels, title=_("Leads citing the top reasons per period")
        )
        if top_codes
        else None
    )
    trend_rows = [
        {
            "group": g,
            "leads_url": f"{leads_url}?{_scope_query(scope, period=g.value)}",
            "rated_url": f"{leads_url}?{_scope_query(scope, period=g.value, rated=1)}",
            "cells": [
                (
                    g.reasons.get(code, 0),
                    f"{leads_url}?{_scope_query(scope, period=g.value, reason=code)}",
                )
                for code in top_codes
            ],
        }
        for g in result.trend
    ]
    rejections = [
        {
            "code": code,
            "label": label or (_("(no reason given)") if code == selectors.NONE else code),
            "count": count,
            "url": f"{leads_url}?{_scope_query(scope, rejected_reason=code)}",
        }
        for code, label, count in result.rejection_reasons
    ]
    return render(
        request,
        "leads/reviews/analysis.html",
        {
            "scope": scope,
            "result": result,
            "rows": rows,
            "agreements": agreements,
            "available": available,
            "dimension": dimension,
            "dimension_links": [
                (key, label, f"{reverse('reviews:analysis')}?{_scope_query(scope, by=key)}")
                for key, label in DIMENSION_LABELS.items()
            ],
            "dimension_label": DIMENSION_LABELS[dimension],
            "rating_chart": rating_chart,
            "reasons_chart": reasons_chart,
            "rejections": rejections,
            "totals_url": f"{leads_url}?{_scope_query(scope)}",
            "totals_rated_url": f"{leads_url}?{_scope_query(scope, rated=1)}",
            "trend_rows": trend_rows,
            "trend_reasons": result.reason_columns[:3],
            "export_url": f"{reverse('reviews:analysis_export')}?{_scope_query(scope, by=dimension)}",
            "filters": [(DIMENSION_LABELS[k], v) for k, v in scope.filters.items()],
            "clear_url": f"{reverse('reviews:analysis')}?{urlencode({'agreement': scope.agreement.pk if scope.agreement else '', 'by': dimension})}",
        },
    )


@login_required
def analysis_leads(request):
    scope, _agreements, _available = _analysis_scope(request)
    leads = selectors.analysis_leads(request.user, scope)[:500]
    labels = selectors.reason_labels(scope.agreement)
    described = [
        (DIMENSION_LABELS[k], v if v != selectors.NONE else _("(not set)"))
        for k, v in scope.filters.items()
    ]
    if scope.reason:
        described.append((_("Reason in feedback"), labels.get(scope.reason, scope.reason)))
    if scope.rejected_reason:
        described.append(
            (_("Rejected with reason"), labels.get(scope.rejected_reason, _("(no reason given)")))
        )
    if scope.rated:
        described.append((_("Feedback"), _("with a rating")))
    return render(
        request,
        "leads/reviews/analysis_leads.html",
        {
            "scope": scope,
            "leads": leads,
            "described": described,
            "back_url": f"{reverse('reviews:analysis')}?{_scope_query(scope)}",
        },
    )


def _csv_safe(text: str) -> str:
    """Keep spreadsheet apps from running a cell as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def analysis_export(request):
    scope, _agreements, _available = _analysis_scope(request)
    dimension = request.GET.get("by", "source")
    if dimension not in selectors.DIMENSIONS:
        dimension = "source"
    result = selectors.feedback_analysis(request.user, scope, dimension)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"feedback-by-{dimension}-{scope.periods[0].label}-{scope.periods[-1].label}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    codes = [code for code, _label in result.reason_columns]
    writer.writerow([dimension, "feedback_entries", "leads", "rated", "average_rating", *codes])
    for group in result.groups:
        avg = f"{group.avg_rating:.2f}" if group.avg_rating is not None else ""
        value = "" if group.value == selectors.NONE else _csv_safe(group.label)
        writer.writerow(
            [
                value,
                group.entries,
                group.leads,
                group.rated,
                avg,
                *[group.reasons.get(c, 0) for c in codes],
            ]
        )
    return response
