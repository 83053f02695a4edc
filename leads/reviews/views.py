"""Pages of lead feedback: give or edit feedback on a lead, and the reviews home (sessions, action items). Sessions: leads.reviews.session_views; the analysis: leads.reviews.analysis_views. Each view: authorize, validate, call a service, render or redirect."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from leads.reviews import selectors, services
from leads.reviews.forms import (
    FeedbackForm,
    FeedbackReplyForm,
    MyFeedbackFilterForm,
)
from portal import dates, permissions
from portal.models import TeamFunction
from slas.glossary import version_glossary

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
PROMPTS_LATER = {
    "reject": gettext_lazy("You returned this lead on %(day)s — tell marketing why"),
    "recycle": gettext_lazy("You returned this lead on %(day)s — tell marketing why"),
    "disqualify": gettext_lazy("You disqualified this lead on %(day)s — tell marketing why"),
}
# "Just" is for the page the move leads to; a link followed later names the day.
JUST_NOW = dt.timedelta(minutes=15)


def _prompt(after: str, last_exit) -> str:
    if after not in PROMPTS:
        return ""
    if last_exit is None or timezone.now() - last_exit.occurred_at <= JUST_NOW:
        return str(PROMPTS[after])
    return str(PROMPTS_LATER[after]) % {"day": dates.day_short(last_exit.occurred_at)}


@login_required
def feedback_create(request, lead_pk: int):
    lead = permissions.get_visible_or_404(permissions.visible_leads(request.user), pk=lead_pk)
    permissions.require(permissions.can_comment_on_lead(request.user, lead))
    may_rate = permissions.can_rate_lead(request.user, lead)
    version = services.lead_governing_version(lead)
    reasons = services.reason_codes_for(version)
    after = request.GET.get("after", "")
    last_exit = services.lead_last_exit(lead) if after in PROMPTS else None
    prompt = _prompt(after, last_exit)
    initial = {}
    if prompt:
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
            "glossary": version_glossary(version.pk if version else None),
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
    version = services.lead_governing_version(lead)
    reasons = services.reason_codes_for(version)
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
        {
            "lead": lead,
            "form": form,
            "editing": feedback,
            "glossary": version_glossary(version.pk if version else None),
            "entries": [],
            "next": "",
        },
    )


# Feedback on my leads --------------------------------------------------------------------

MY_FEEDBACK_PAGE = 50


@login_required
def my_feedback(request):
    """The feedback others left on the leads this person brought in or owns, newest first."""
    labels = selectors.reason_labels_visible(request.user)
    form = MyFeedbackFilterForm(request.GET or None, reasons=labels)
    if form.is_bound:
        form.is_valid()  # errors show by their fields; the valid filters still apply
    entries = selectors.feedback_on_my_leads(request.user, **form.filters())
    page = Paginator(entries, MY_FEEDBACK_PAGE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.reason_labels = [labels.get(code, code) for code in entry.reason_codes]
        entry.may_reply = not entry.has_reply and permissions.can_reply_to_feedback(
            request.user, entry
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "leads/reviews/my_feedback.html",
        {
            "form": form,
            "page": page,
            "entries": page.object_list,
            "filtered": any(form.filters().values()),
            "query": query.urlencode(),
            "reply_form": FeedbackReplyForm(),
        },
    )


@login_required
@require_POST
def feedback_reply(request, pk: int):
    feedback = permissions.get_visible_or_404(
        permissions.visible_feedback(request.user).select_related("lead"), pk=pk
    )
    permissions.require(permissions.can_reply_to_feedback(request.user, feedback))
    back = _next_url(request, services.feedback_entry_url(feedback))
    form = FeedbackReplyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        services.feedback_reply(
            feedback=feedback, user=request.user, text=form.cleaned_data["reply"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your reply is saved; the author is told."))
    return redirect(back)


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


# Analysis ------------------------------------------------------------------------------


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
