"""Lead pages: my queue, the team queue, the lead page with its actions, CSV imports.

Every view: authorize (portal.permissions), validate (a form), call a service, then
render or redirect. A refused move re-renders the lead page with the person's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import urlencode as url_quote
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from leads import selectors, services
from leads.forms import ContactAttemptForm, MoveForm, NurtureForm, ReassignForm
from leads.ingest.formats import CHANNELS, EVENT_COLUMNS, EVENT_REQUIRED, KINDS, STAGES
from leads.ingest.forms import ImportForm
from leads.ingest.importers import issues_preview
from leads.ingest.models import ImportJob
from leads.ingest.uploads import import_job_create
from leads.lifecycle import MoveRefused
from leads.scoring import Rule, Score
from portal import csvsafe, dates, numbers, permissions
from portal.models import TeamFunction
from slas.stages import stage_label

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100

MOVE_BUTTONS = {
    "sal": gettext_lazy("Accept (SAL)"),
    "sql": gettext_lazy("Qualify (SQL)"),
    "opportunity": gettext_lazy("Open an opportunity"),
    "won": gettext_lazy("Won"),
    "lost": gettext_lazy("Lost"),
    "recycled": gettext_lazy("Recycle"),
    "disqualified": gettext_lazy("Disqualify"),
    "mql": gettext_lazy("Back to MQL"),
}


def _page(request, cycles):
    """A page of the queue; closed leads only behind ``?closed=1``."""
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = selectors.queue_page(
        cycles, number=number, size=PAGE_SIZE, closed=bool(request.GET.get("closed"))
    )
    return page, page.rows


@dataclass
class ScoreShown:
    """A score as leads/_score.html shows it, written out once in Python: the queue shows
    fifty, and each one's filters, translations and loop over its hits were a large share
    of the page."""

    total: str
    summary: str  # "fit 40 · interest 10"
    hits: list[tuple[str, str, str]]  # the rule as read, the lead's value, "+10 fit"


def _score_shown(score: Score, rules_read: dict[Rule, tuple[str, str]]) -> ScoreShown:
    """``rules_read``: each rule's wording and points, kept across the page's rows."""
    hits = []
    for hit in score.hits:
        rule = hit.rule
        if rule not in rules_read:
            dimension = _("interest") if rule.dimension == "interest" else _("fit")
            rules_read[rule] = (
                f"{rule.attribute_label} {rule.symbol} “{rule.value}”",
                f"+{numbers.number(rule.points)} {dimension}",
            )
        read, points = rules_read[rule]
        hits.append((read, hit.actual, points))
    summary = _("fit %(fit)s · interest %(interest)s") % {
        "fit": numbers.number(score.fit),
        "interest": numbers.number(score.interest),
    }
    return ScoreShown(numbers.number(score.total), summary, hits)


def _score_cell(score: ScoreShown) -> str:
    """leads/_score.html written out for a queue row: the explanation's loop over the
    hits was the largest part of a row's rendering (leads/tests/test_queue_cells.py)."""
    if score.hits:
        items = format_html_join(
            "",
            '\n    <li><span>{} <span class="muted">({})</span></span>'
            '<span class="points">{}</span></li>\n  ',
            score.hits,
        )
        why = format_html('<ul class="score-hits">{}</ul>', items)
    else:
        why = format_html('<p class="muted small">{}</p>', _("No qualification rule gave points."))
    return format_html(
        '<details class="score-why">\n  <summary><strong>{}</strong> '
        '<span class="muted small">{}</span></summary>\n  {}\n</details>\n',
        score.total,
        score.summary,
        why,
    )


@dataclass
class QueueLine:
    """A queue row with what its cells show, written out in the view: the queue's fifty
    rows used to include the clock, score and feedback templates and run date filters
    and {% url %} each, most of the page's time. queue.html writes these cells as
    leads/_clock.html, leads/_score.html and leads/reviews/_queue_action.html do
    (leads/tests/test_queue_cells.py holds them to it)."""

    row: selectors.QueueRow
    url: str
    handoff_iso: str
    handoff_text: str
    pause: str  # the clock's pause (portal/_clock_pause.html), "" when the page says it once
    score: ScoreShown
    feedback_url: str
    score_html: str = ""  # the score cell (_score_cell)


def _pk_url(viewname: str):
    """``reverse(viewname, args=[pk])`` for a page's many pks with one reverse(): the URL
    around the pk (the last part of the pattern) is the same for every pk."""
    marker = "918273645546372819"  # in no URL prefix of the site
    head, _marker, tail = reverse(viewname, args=[int(marker)]).rpartition(marker)
    return lambda pk: f"{head}{pk}{tail}"


def _queue_lines(request, rows, *, shared_pause: bool) -> list[QueueLine]:
    back = f"?next={url_quote(request.get_full_path())}"
    lead_url, feedback_url = _pk_url("leads:lead_detail"), _pk_url("reviews:feedback_create")
    rules_read: dict = {}
    scores: dict = {}  # each distinct score is written once (many leads score alike)
    pauses: dict = {}  # each distinct pause is written once (the page's rows share a few)
    lines = []
    for row in rows:
        pause = ""
        if row.clock.pause and not shared_pause:
            key = (row.clock.pause, row.clock.zone)
            if key not in pauses:
                pauses[key] = render_to_string(
                    "portal/_clock_pause.html", {"pause": row.clock.pause, "zone": row.clock.zone}
                )
            pause = pauses[key]
        score = row.score
        key = (score.fit, score.interest, *((hit.rule, hit.actual) for hit in score.hits))
        if key not in scores:
            shown = _score_shown(score, rules_read)
            scores[key] = (shown, _score_cell(shown))
        shown, score_html = scores[key]
        handoff_at = row.cycle.handoff_at
        lines.append(
            QueueLine(
                row,
                lead_url(row.lead.pk),
                dates.iso(handoff_at),
                dates.when_short(handoff_at),
                pause,
                shown,
                feedback_url(row.lead.pk) + back,
                score_html,
            )
        )
    return lines


def _shared_pause(rows) -> dict:
    """When every clock on the page stands still for the same reason until the same
    instant (a weekend, a holiday, the evening), the page says so once, not on each row."""
    pauses = {(row.clock.pause, row.clock.zone) for row in rows if row.clock}
    if len(rows) < 2 or len(pauses) != 1:
        return {}
    pause, zone = next(iter(pauses))
    return {"shared_pause": pause, "shared_zone": zone} if pause else {}


@login_required
def queue(request):
    page, rows = _page(request, selectors.my_cycles(request.user))
    shared = _shared_pause(rows)
    return render(
        request,
        "leads/queue.html",
        {
            "page": page,
            "rows": rows,
            "lines": _queue_lines(request, rows, shared_pause=bool(shared)),
            "team_view": False,
            "can_see_team": permissions.can_see_team_queue(request.user),
            # Marketing hands leads off rather than working them: its reps are pointed
            # to what sales said about their leads (reviews:my_feedback). Only an empty
            # queue says so, and only then is it asked.
            "works_no_leads": not rows
            and not request.user.memberships.filter(team__function=TeamFunction.SALES).exists(),
            **shared,
        },
    )


@login_required
def team_queue(request):
    permissions.require(permissions.can_see_team_queue(request.user))
    cycles = selectors.team_cycles(request.user)
    if request.GET.get("unassigned"):
        cycles = cycles.filter(lead__owner__isnull=True)
    page, rows = _page(request, cycles)
    shared = _shared_pause(rows)
    return render(
        request,
        "leads/queue.html",
        {
            "page": page,
            "rows": rows,
            "lines": _queue_lines(request, rows, shared_pause=bool(shared)),
            "team_view": True,
            "can_see_team": True,
            **shared,
        },
    )


def _lead_or_404(request, pk: int, *, locked: bool = False):
    """The lead the person may see, with what its page shows (404 otherwise); `locked`:
    read for a write in the caller's transaction (services.lead_locked), which then
    passes it on rather than reading it again."""
    leads = permissions.visible_leads(request.user).select_related(
        "owner", "marketing_team", "sales_team", "agreement"
    )
    if locked:
        leads = leads.select_for_update(of=("self",))
    return permissions.get_visible_or_404(leads, pk=pk)


def _render_lead(request, lead, *, status: int = 200, bound: dict | None = None):
    view = selectors.lead_page(lead)
    bound = bound or {}
    can_work = permissions.can_work_lead(request.user, lead)
    move_forms = []
    if can_work:
        for to in view.moves:
            form = bound.get(("move", to)) or MoveForm(
                initial={"to_stage": to}, reasons=view.reasons.get(to)
            )
            move_forms.append(
                {
                    "to": to,
                    "label": MOVE_BUTTONS.get(to, stage_label(to)),
                    "form": form,
                    "needs_reason": to in ("recycled", "disqualified"),
                }
            )
    closed = lead.stage in ("won", "lost", "disqualified")
    shown = {("move", m["to"]) for m in move_forms}
    if not closed:
        shown |= {"contact", "nurture"}  # their forms show their own errors
    stray_errors = [
        error
        for key, form in bound.items()
        if key not in shown and key != "reassign"
        for error in form.non_field_errors()
    ]
    tracks = list(view.rules.tracks) if view.rules else []
    timeline = selectors.lead_timeline_page(
        lead, before=request.GET.get("before"), size=TIMELINE_PAGE_SIZE
    )
    selectors.timeline_glossaries(lead, timeline.events, fallback=view.glossary, cycles=view.cycles)
    can_reassign = permissions.can_reassign_lead(request.user, lead)
    context = {
        "stray_errors": stray_errors,
        "lead": lead,
        "view": view,
        "score": _score_shown(view.score, {}),
        "timeline": timeline,
        "events": timeline.events,
        "can_work": can_work,
        "can_reassign": can_reassign,
        "can_override": permissions.can_override_lead_rules(request.user, lead),
        "contact_form": bound.get("contact") or ContactAttemptForm(),
        "move_forms": move_forms,
        "nurture_form": bound.get("nurture") or (NurtureForm(tracks=tracks) if tracks else None),
        # only a manager sees it; its list of the team's reps is a query to build
        "reassign_form": bound.get("reassign")
        or (ReassignForm(sales_team_id=lead.sales_team_id) if can_reassign else None),
        "closed": closed,
    }
    return render(request, "leads/lead_detail.html", context, status=status)


@login_required
def lead_detail(request, pk: int):
    return _render_lead(request, _lead_or_404(request, pk))


@login_required
@require_POST
def lead_contact(request, pk: int):
    # The lead is read once, locked, and handed to the service (the busiest write).
    with transaction.atomic():
        lead = _lead_or_404(request, pk, locked=True)
        permissions.require(permissions.can_work_lead(request.user, lead))
        form = ContactAttemptForm(request.POST)
        if form.is_valid():
            try:
                services.lead_contact_attempt_log(
                    lead=lead, actor=request.user, locked=True, **form.cleaned_data
                )
            except MoveRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Contact attempt logged."))
                return redirect(lead)
    return _render_lead(request, lead, status=400, bound={"contact": form})


@login_required
@require_POST
def lead_move(request, pk: int):
    lead = _lead_or_404(request, pk)
    permissions.require(permissions.can_work_lead(request.user, lead))
    to = request.POST.get("to_stage", "")
    view = selectors.lead_page(lead)
    form = MoveForm(request.POST, reasons=view.reasons.get(to))
    previous_stage = lead.stage
    if form.is_valid():
        try:
            services.lead_stage_change(
                lead=lead,
                actor=request.user,
                to_stage=form.cleaned_data["to_stage"],
                reason_code=form.cleaned_data["reason_code"],
                note=form.cleaned_data["note"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except MoveRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request, _("The lead is now in stage %(stage)s.") % {"stage": stage_label(to)}
            )
            if to in ("recycled", "disqualified") and permissions.can_rate_lead(request.user, lead):
                # Feedback is asked for right away (a prompt with a "skip" link, not a blocker).
                after = (
                    "reject"
                    if previous_stage == "mql"
                    else ("recycle" if to == "recycled" else "disqualify")
                )
                url = reverse("reviews:feedback_create", args=[lead.pk])
                return redirect(
                    f"{url}?{urlencode({'after': after, 'next': lead.get_absolute_url()})}"
                )
            return redirect(lead)
    return _render_lead(request, lead, status=400, bound={("move", to): form})


@login_required
@require_POST
def lead_nurture(request, pk: int):
    lead = _lead_or_404(request, pk)
    permissions.require(permissions.can_work_lead(request.user, lead))
    view = selectors.lead_page(lead)
    form = NurtureForm(request.POST, tracks=list(view.rules.tracks) if view.rules else [])
    if form.is_valid():
        try:
            services.lead_nurture(lead=lead, actor=request.user, **form.cleaned_data)
        except MoveRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("The lead is in nurture track “%(t)s”.") % {"t": form.cleaned_data["track"]},
            )
            return redirect(lead)
    return _render_lead(request, lead, status=400, bound={"nurture": form})


@login_required
@require_POST
def lead_reassign(request, pk: int):
    lead = _lead_or_404(request, pk)
    permissions.require(permissions.can_reassign_lead(request.user, lead))
    form = ReassignForm(request.POST, sales_team_id=lead.sales_team_id)
    if form.is_valid():
        try:
            services.lead_reassign(lead=lead, actor=request.user, owner=form.cleaned_data["owner"])
        except MoveRefused as refused:
            form.add_error("owner", str(refused))
        else:
            messages.success(request, _("Lead reassigned; the new owner was notified."))
            return redirect(lead)
    return _render_lead(request, lead, status=400, bound={"reassign": form})


# --------------------------------------------------------------------------- imports


def _visible_imports(user):
    jobs = ImportJob.objects.select_related("created_by", "marketing_team", "sales_team")
    if permissions.is_exec(user):
        return jobs
    ids = permissions.team_ids(user)
    return jobs.filter(marketing_team__in=ids) | jobs.filter(sales_team__in=ids)


@login_required
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if not permissions.can_import_leads(
                request.user, data["marketing_team"], data["sales_team"]
            ):
                form.add_error(
                    None,
                    _("Only a manager of the marketing or sales team can import leads for them."),
                )
            else:
                job = import_job_create(
                    user=request.user,
                    upload=data["file"],
                    format=data["format"],
                    tz=data["tz"],
                    marketing_team=data["marketing_team"],
                    sales_team=data["sales_team"],
                )
                if job.waiting_for_worker:
                    messages.warning(
                        request,
                        _(
                            "File received and kept. The background worker cannot be reached "
                            "right now: the import is queued and will start when it is back."
                        ),
                    )
                else:
                    messages.success(request, _("File received; the import is running."))
                return redirect(job)
        return render(request, "leads/imports.html", _imports_context(request, form), status=400)
    return render(request, "leads/imports.html", _imports_context(request, form))


def _imports_context(request, form: ImportForm) -> dict:
    """The import page: its form, the latest imports and what a file must hold."""
    return {
        "form": form,
        "jobs": _visible_imports(request.user)[:20],
        "required": EVENT_REQUIRED,
        "kinds": KINDS,
        "stages": STAGES,
        "channels": CHANNELS,
    }


@login_required
@require_GET
def import_template(request):
    """The events CSV's columns as a file to fill in (docs/formats.md#events-csv), with
    the byte-order mark that makes Excel read it as UTF-8 (the importer skips it)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="events-template.csv"'
    response.write("\ufeff")
    csvsafe.writer(response).writerow(EVENT_COLUMNS)
    return response


ISSUES_SHOWN = 50  # on the import page; the downloadable report has them all


@login_required
def import_detail(request, pk: int):
    job = permissions.get_visible_or_404(_visible_imports(request.user), pk=pk)
    issues = []
    if job.finished and job.issues_report:
        issues = issues_preview(job.issues_report, ISSUES_SHOWN)
    return render(
        request,
        "leads/import_detail.html",
        {"job": job, "issues": issues, "more_issues": len(issues) == ISSUES_SHOWN},
    )


def _job_status(job: ImportJob) -> dict:
    counts = ("rows", "created", "duplicates", "failed", "warnings")
    return {
        # As the page writes them, in the reader's language (the page shows these).
        "shown": {
            "percent": numbers.percent(job.percent),
            **{name: numbers.number(getattr(job, name)) for name in counts},
        },
        "status": job.status,
        "status_label": job.get_status_display(),
        "percent": job.percent,
        "finished": job.finished,
        "rows": job.rows,
        "created": job.created,
        "duplicates": job.duplicates,
        "failed": job.failed,
        "warnings": job.warnings,
        "error": job.error,
        "waiting_for_worker": job.waiting_for_worker,
        "queued_long": job.queued_long,
        "report_url": job.issues_report and f"{job.get_absolute_url()}issues.csv" or "",
    }


@login_required
@require_GET
def import_status(request, pk: int):
    job = permissions.get_visible_or_404(_visible_imports(request.user), pk=pk)
    return JsonResponse(_job_status(job))


@login_required
@require_GET
def import_issues(request, pk: int):
    job = permissions.get_visible_or_404(_visible_imports(request.user), pk=pk)
    if not job.issues_report:
        raise Http404
    return FileResponse(
        job.issues_report.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-issues.csv",
        content_type="text/csv; charset=utf-8",
    )
