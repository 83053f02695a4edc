"""Every URL of the portal, pages and API, against every member of the cast.

The URLs are found by walking the URL configuration, so a new URL fails
`test_every_url_is_in_the_matrix` until somebody says who may use it. For each URL the
matrix names an audience; the test then calls it as Alice (marketing manager), Bob
(marketing rep), Carol (sales manager, also customer-success manager), Dan (sales rep),
Erin (exec), Mallory (customer-success rep) and an anonymous visitor, and asserts:

- the audience succeeds (no 401/403/404 and no server error);
- people who may see the object but not do this get 403 (or 404);
- people who may not see the object get 404, never 403: existence is not leaked;
- anonymous visitors are sent to the sign-in page (pages) or get 401 (API);
- every HTML answer carries a Content-Security-Policy whose scripts exclude
  'unsafe-inline'.

Writes (issue 17: no team writes what it cannot read): every write endpoint and form
(`WRITES`; `test_every_url_says_how_it_writes` fails until a new URL or API method is
placed) is called with a request that would succeed, by the cast and by Priya (manager of
APAC Sales, another team pair). The allowed must change something; everybody else must
change nothing at all (the whole database is compared) and answer 404, or 403 when they
may know the object exists. `OTHER_WRITES` does the same on other teams' objects (the
Sales-Customer Success draft, the APAC lead), and ingest rows (bulk API, CSV upload)
that name another pair's lead must leave it untouched and be answered as rows naming an
unused id.

Objects: a Marketing-Sales agreement (v2 active, v3 draft) and a signed one, a
Sales-Customer Success agreement with a draft, a lead handed to Dan (and another not yet
on the review's agenda), Dan's feedback on it, a review session with an action item for
Dan, Dan's notification, API token and lead import; the APAC pair (Hana, Priya, Kenji,
Ravi) and its lead (leads/tests/other_pair.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portal.models import Notification
from portal.tokens import api_token_create

CAST = ("alice", "bob", "carol", "dan", "erin", "mallory")
FORM = "application/x-www-form-urlencoded"
EVERYONE = frozenset(CAST)
MARKETING_SALES = frozenset({"alice", "bob", "carol", "dan", "erin"})
SALES_CS = frozenset({"carol", "dan", "mallory", "erin"})
MS_MANAGERS = frozenset({"alice", "carol"})
SALES_WORKERS = frozenset({"carol", "dan"})


@dataclass(frozen=True)
class Rule:
    """Who succeeds (`allowed`), who may know the object exists (`sees`; everybody
    else must get 404), the method, and the URL's arguments from the world."""

    allowed: frozenset
    sees: frozenset = EVERYONE
    method: str = "get"
    kwargs: str = ""
    public: bool = False
    fresh: bool = False  # the action uses the object up (a removal): a new world per person
    signed: bool = False  # authenticated by a request signature, not by a person: 401 for all


def r(allowed, sees=None, method="get", kwargs="", public=False, fresh=False, signed=False):
    allowed = frozenset(allowed)
    sees = frozenset(sees) if sees is not None else EVERYONE
    return Rule(allowed, sees, method, kwargs, public, fresh, signed)


MS = dict(sees=MARKETING_SALES)
# kwargs names, resolved by World.kwargs
MATRIX: dict[str, Rule] = {
    # people
    "home": r(EVERYONE),
    "login": r(EVERYONE, public=True),
    "logout": r(EVERYONE, method="post", public=True),
    "password_change": r(EVERYONE),
    "password_reset": r(EVERYONE, public=True),
    "password_reset_done": r(EVERYONE, public=True),
    "password_reset_confirm": r(EVERYONE, kwargs="reset_link", public=True),
    "password_reset_complete": r(EVERYONE, public=True),
    "people": r(EVERYONE),
    "team_detail": r({"alice", "bob", "erin"}, sees={"alice", "bob", "erin"}, kwargs="marketing"),
    "profile": r(EVERYONE),
    "token_list": r(EVERYONE),
    "token_revoke": r({"dan"}, sees={"dan"}, method="post", kwargs="token"),
    "api_schema": r(EVERYONE, public=True),
    "api_docs": r(EVERYONE, public=True),
    "notifications": r(EVERYONE),
    "notifications_read_all": r(EVERYONE, method="post"),
    "notification_open": r({"dan"}, sees={"dan"}, kwargs="notification"),
    "notification_read": r({"dan"}, sees={"dan"}, method="post", kwargs="notification"),
    "notification_preferences": r(EVERYONE),
    "set_language": r(EVERYONE, method="post", public=True),
    # agreements
    "slas:agreement_list": r(EVERYONE),
    "slas:agreement_create": r({"alice", "carol"}),
    "slas:agreement_detail": r(MARKETING_SALES, kwargs="ms", **MS),
    "slas:version_amend": r(MS_MANAGERS, method="post", kwargs="ms", **MS),
    "slas:agreement_compare": r(MARKETING_SALES, kwargs="ms", **MS),
    "slas:agreement_history": r(MARKETING_SALES, kwargs="ms", **MS),
    "slas:signing_audit": r(MARKETING_SALES, kwargs="ms", **MS),
    "slas:version_detail": r(MARKETING_SALES, kwargs="v3", **MS),
    "slas:version_edit_start": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:version_edit": r(MS_MANAGERS, kwargs="v3_component", **MS),
    "slas:version_planner": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:version_rebase": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:version_discard": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:version_planner_apply": r(MS_MANAGERS, method="post", kwargs="v3", **MS),
    "slas:signing_send": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:signing_sign": r(MS_MANAGERS, kwargs="v3_pending", **MS),
    "slas:signing_decline": r(MS_MANAGERS, method="post", kwargs="v3_pending", **MS),
    "slas:signing_withdraw": r({"alice"}, method="post", kwargs="v3_pending", **MS),
    "slas:signing_certificate": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_certificate_pdf": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_export_json": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_export_seal": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_document_pdf": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_verify": r(EVERYONE),
    # leads
    "leads:queue": r(EVERYONE),
    "leads:team_queue": r({"alice", "carol", "erin"}),
    "leads:lead_detail": r(MARKETING_SALES, kwargs="lead", **MS),
    "leads:lead_contact": r(SALES_WORKERS, method="post", kwargs="lead", **MS),
    "leads:lead_move": r(SALES_WORKERS, method="post", kwargs="lead", **MS),
    "leads:lead_nurture": r(SALES_WORKERS, method="post", kwargs="lead", **MS),
    "leads:lead_reassign": r({"carol"}, method="post", kwargs="lead", **MS),
    # Members of the teams see their teams' imports; only managers upload (POST).
    "leads:imports": r(EVERYONE),
    "leads:import_template": r(EVERYONE),
    "leads:import_detail": r(MARKETING_SALES, kwargs="import", **MS),
    "leads:import_status": r(MARKETING_SALES, kwargs="import", **MS),
    "leads:import_issues": r(MARKETING_SALES, kwargs="import", **MS),
    # reports
    "reports:index": r(EVERYONE),
    "reports:version": r(MARKETING_SALES, kwargs="v2", **MS),
    "reports:breakdown": r(MARKETING_SALES, kwargs="breakdown", **MS),
    "reports:process_step": r(MARKETING_SALES, kwargs="process_step", **MS),
    "visitors:counts": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:whatif": r(MARKETING_SALES, kwargs="v3", **MS),
    "reports:agreement": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:ungoverned": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:monthly_latest": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:monthly": r(MARKETING_SALES, kwargs="ms_month", **MS),
    "reports:monthly_csv": r(MARKETING_SALES, kwargs="ms_month", **MS),
    "reports:monthly_pdf": r(MARKETING_SALES, kwargs="ms_month", **MS),
    # what each team earns: managers of the parties and execs; the parties' reps see
    # the version but not the pay (403)
    "reports:incentives": r({"alice", "carol", "erin"}, kwargs="v2", **MS),
    "reports:incentives_csv": r({"alice", "carol", "erin"}, kwargs="v2_incentive_month", **MS),
    "reports:incentive_leads": r({"alice", "carol", "erin"}, kwargs="v2_incentive_rule", **MS),
    # meetings: the parties read, their managers organise; an action's owner closes it
    "reports:meetings": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:meeting_new": r(MS_MANAGERS, method="post", kwargs="ms", **MS),
    "reports:ritual_cadence": r(MS_MANAGERS, method="post", kwargs="ms", **MS),
    "reports:meeting": r(MARKETING_SALES, kwargs="meeting", **MS),
    "reports:meeting_ics": r(MARKETING_SALES, kwargs="meeting", **MS),
    "reports:meeting_minutes": r(MS_MANAGERS, method="post", kwargs="meeting", **MS),
    "reports:meeting_action_new": r(MS_MANAGERS, method="post", kwargs="meeting", **MS),
    "reports:meeting_propose": r(MS_MANAGERS, method="post", kwargs="meeting", **MS),
    "reports:meeting_action_done": r(
        {"alice", "carol", "dan"}, method="post", kwargs="meeting_action", fresh=True, **MS
    ),
    # reviews
    "reviews:index": r(EVERYONE),
    "reviews:feedback_create": r(MARKETING_SALES - {"erin"}, kwargs="lead_pk", **MS),
    "reviews:feedback_edit": r({"dan"}, kwargs="feedback", **MS),
    # everyone has a list (empty when they brought in and own no lead with feedback)
    "reviews:my_feedback": r(EVERYONE),
    # marketing answers sales' feedback, once (a fresh entry per person)
    "reviews:feedback_reply": r(
        {"alice", "bob"}, method="post", kwargs="feedback", fresh=True, **MS
    ),
    "reviews:session_create": r(MS_MANAGERS),
    "reviews:session_detail": r(MARKETING_SALES, kwargs="session", **MS),
    "reviews:session_pick_leads": r(MS_MANAGERS, method="post", kwargs="session", **MS),
    "reviews:reviewed_lead_outcome": r(MS_MANAGERS, method="post", kwargs="reviewed", **MS),
    "reviews:reviewed_lead_remove": r(
        MS_MANAGERS, method="post", kwargs="reviewed", fresh=True, **MS
    ),
    "reviews:session_minutes": r(MS_MANAGERS, method="post", kwargs="session", **MS),
    "reviews:action_item_create": r(MS_MANAGERS, method="post", kwargs="session", **MS),
    "reviews:action_item_status": r(
        {"alice", "carol", "dan"}, method="post", kwargs="action", **MS
    ),
    "reviews:analysis": r(EVERYONE),
    "reviews:analysis_leads": r(EVERYONE),
    "reviews:analysis_export": r(EVERYONE),
    # API
    "notification-list": r(EVERYONE),
    "notification-read-all": r(EVERYONE, method="post"),
    "notification-detail": r({"dan"}, sees={"dan"}, kwargs="notification"),
    "notification-read": r({"dan"}, sees={"dan"}, method="post", kwargs="notification"),
    "api-notification-preferences": r(EVERYONE),
    "api_signing_send": r(MS_MANAGERS, method="post", kwargs="v3", **MS),
    "api_signing_sign": r(MS_MANAGERS, method="post", kwargs="v3_pending", **MS),
    "api_signing_decline": r(MS_MANAGERS, method="post", kwargs="v3_pending", **MS),
    "api_signing_withdraw": r({"alice"}, method="post", kwargs="v3_pending", **MS),
    "api_signing_certificate": r(MARKETING_SALES, kwargs="signed", **MS),
    "api_signing_verify": r(EVERYONE, method="post"),
    "agreement-list": r(EVERYONE),
    "agreement-detail": r(MARKETING_SALES, kwargs="ms", **MS),
    "agreement-compare": r(MARKETING_SALES, kwargs="ms_compare", **MS),
    "version-list": r(EVERYONE),
    "version-detail": r(MARKETING_SALES, kwargs="v3", **MS),
    "version-rebase": r(MS_MANAGERS, method="post", kwargs="v3", **MS),
    "version-discard": r(MS_MANAGERS, method="post", kwargs="v3", fresh=True, **MS),
    "api-lead-list": r(EVERYONE),
    "api-lead-events-bulk": r({"alice", "carol"}, method="post"),
    "api-lead-detail": r(MARKETING_SALES, kwargs="lead", **MS),
    "api-lead-actions": r(SALES_WORKERS, method="post", kwargs="lead", **MS),
    "api-lead-events": r(MARKETING_SALES, kwargs="lead", **MS),
    "feedback-list": r(EVERYONE),
    "feedback-detail": r(MARKETING_SALES, kwargs="feedback", **MS),
    "review-session-list": r(EVERYONE),
    "review-session-detail": r(MARKETING_SALES, kwargs="session", **MS),
    "reviewed-lead-list": r(EVERYONE),
    "reviewed-lead-detail": r(MARKETING_SALES, kwargs="reviewed_api", **MS),
    "action-item-list": r(EVERYONE),
    "visitor-count-list": r(EVERYONE),
    "action-item-detail": r(MARKETING_SALES, kwargs="action", **MS),
    "reports-api:compliance-version-list": r(EVERYONE),
    "reports-api:compliance-version-detail": r(MARKETING_SALES, kwargs="v2", **MS),
    "reports-api:incentive-version-detail": r({"alice", "carol", "erin"}, kwargs="v2", **MS),
    "reports-api:meeting-list": r(EVERYONE),
    "reports-api:meeting-detail": r(MARKETING_SALES, kwargs="meeting", **MS),
    "hubspot-webhook": r(set(), method="post", signed=True),
}
for _part in (
    "terms",
    "scoring_rules",
    "reason_codes",
    "nurture_tracks",
    "commitments",
    "holidays",
    "sections",
    "escalation_steps",
    "process_steps",
    "incentives",
):
    MATRIX[f"version-{_part}-list"] = r(MARKETING_SALES, kwargs="v3_parts", **MS)
    MATRIX[f"version-{_part}-detail"] = r(MARKETING_SALES, kwargs=f"v3_{_part}", **MS)

# Objects of the Sales-Customer Success agreement, addressed by id: the same URLs,
# another audience (Alice and Bob must not learn they exist).
SALES_CS_MATRIX: dict[str, Rule] = {
    "slas:agreement_detail": r(SALES_CS, sees=SALES_CS, kwargs="sc"),
    "slas:version_detail": r(SALES_CS, sees=SALES_CS, kwargs="sc_v1"),
    "slas:version_edit_start": r({"carol"}, sees=SALES_CS, kwargs="sc_v1"),
    "agreement-detail": r(SALES_CS, sees=SALES_CS, kwargs="sc"),
    "version-detail": r(SALES_CS, sees=SALES_CS, kwargs="sc_v1"),
    "version-terms-list": r(SALES_CS, sees=SALES_CS, kwargs="sc_v1_parts"),
    "version-commitments-list": r(SALES_CS, sees=SALES_CS, kwargs="sc_v1_parts"),
    "reports:agreement": r(SALES_CS, sees=SALES_CS, kwargs="sc"),
}

# Not the portal's own: Django admin (staff only, tested by Django) and static files.
SKIP_PREFIXES = ("admin/",)


def url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(SKIP_PREFIXES):
                    continue
                ns = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif isinstance(pattern, URLPattern):
                if pattern.name and "format" not in str(pattern.pattern):
                    names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_is_in_the_matrix():
    missing = url_names() - set(MATRIX)
    assert not missing, f"Say who may use these URLs in MATRIX: {sorted(missing)}"
    gone = set(MATRIX) - url_names()
    assert not gone, f"These URLs no longer exist: {sorted(gone)}"


WORLDS = itertools.count()


class World:
    """The objects every URL is called on."""

    def __init__(self, cast):
        from leads.ingest.models import ImportJob
        from leads.reviews.models import ActionItem, ReviewedLead, ReviewSession
        from leads.reviews.services import feedback_create
        from leads.tests.other_pair import other_pair
        from leads.tests.review_factories import handed_off_lead
        from portal.demo import DEMO_PASSWORD
        from slas.models import VersionStatus
        from slas.signing.services import signature_add, version_send_for_signature
        from slas.tests.signing_factories import (
            AgreementFactory,
            VersionFactory,
            add_every_part,
            marketing_sales,
        )

        self.cast = cast
        now = timezone.now()
        self.ms, self.v2, self.v3 = marketing_sales(cast)
        # A signed version (a completed round, a certificate) of another Marketing-Sales
        # agreement, through the real services.
        signed_agreement = AgreementFactory(
            title="Signed Marketing ⇄ Sales SLA", parties=[cast.marketing, cast.sales]
        )
        self.signed = VersionFactory(
            agreement=signed_agreement, number=1, change_summary="First version."
        )
        add_every_part(self.signed, cast.sales)
        version_send_for_signature(version=self.signed, actor=cast.alice)
        for signer in (cast.alice, cast.carol):
            self.signed.refresh_from_db()
            signature_add(
                version=self.signed,
                user=signer,
                password=DEMO_PASSWORD,
                full_name=signer.get_full_name(),
                consent=True,
                content_hash_seen=self.signed.content_hash,
            )
        self.sc = AgreementFactory(
            title="Sales ⇄ Customer Success SLA", parties=[cast.sales, cast.customer_success]
        )
        self.sc_v1 = VersionFactory(agreement=self.sc, number=1)
        add_every_part(self.sc_v1, cast.sales)
        # A second rule, so that one can be removed (a threshold needs at least one).
        self.v3.scoring_rules.create(
            attribute="industry", operator="equals", value="Software", points=5, dimension="fit"
        )
        self.lead = handed_off_lead(cast, self.v2, now - dt.timedelta(hours=1))
        # Not on the review's agenda yet: a manager can pick it.
        handed_off_lead(cast, self.v2, now - dt.timedelta(hours=2))
        self.feedback = feedback_create(lead=self.lead, author=cast.dan, rating=3, note="ok")
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        self.session = ReviewSession.objects.create(
            title="Review",
            agreement=self.ms,
            marketing_team=cast.marketing,
            sales_team=cast.sales,
            period_label=start.strftime("%Y-%m"),
            period_start=start,
            period_end=(start + dt.timedelta(days=32)).replace(day=1),
            scheduled_for=now,
            organizer=cast.alice,
        )
        self.reviewed = ReviewedLead.objects.create(session=self.session, lead=self.lead)
        self.action = ActionItem.objects.create(
            session=self.session,
            title="Call back",
            owner=cast.dan,
            due_date=now.date(),
            created_by=cast.alice,
        )
        from reports.rituals.models import Meeting, MeetingAction, MeetingAttendee

        self.meeting = Meeting.objects.create(
            agreement=self.ms,
            kind="retrospective",
            title="Retrospective",
            scheduled_for=now,
            organizer=cast.alice,
        )
        MeetingAttendee.objects.create(meeting=self.meeting, user=cast.dan)
        self.meeting_action = MeetingAction.objects.create(
            meeting=self.meeting, title="Call back", owner=cast.dan, due_date=now.date()
        )
        self.notification = Notification.objects.create(
            recipient=cast.dan,
            kind="lead_assigned",
            title="A lead",
            dedupe_key=f"matrix-{next(WORLDS)}",
        )
        self.token, _raw = api_token_create(user=cast.dan, name="matrix")
        from django.core.files.base import ContentFile

        self.import_job = ImportJob.objects.create(
            file="lead-imports/none.csv",
            original_name="leads.csv",
            format="events",
            marketing_team=cast.marketing,
            sales_team=cast.sales,
            created_by=cast.alice,
        )
        self.import_job.issues_report.save("issues.csv", ContentFile(b"row,column,message\n"))
        self._send = lambda: version_send_for_signature(version=self.v3, actor=cast.alice)
        self._pending = None
        self.VersionStatus = VersionStatus
        # Another team pair (APAC Marketing ⇄ APAC Sales: Hana, Priya, Kenji) and its lead,
        # for writes by a manager of other teams and on other teams' objects.
        self.apac = other_pair(cast, f"A-{next(WORLDS)}")

    def person(self, who: str):
        """One of the cast, or of the APAC pair (priya, kenji, hana)."""
        return getattr(self.cast, who, None) or getattr(self.apac, who)

    def kwargs(self, name: str) -> dict:
        if name == "":
            return {}
        if name == "v3_pending":
            if self.v3.status != self.VersionStatus.PENDING_SIGNATURE:
                self._send()
                self.v3.refresh_from_db()
            return {"pk": self.v3.pk}
        simple = {
            "marketing": self.cast.marketing,
            "token": self.token,
            "notification": self.notification,
            "ms": self.ms,
            "sc": self.sc,
            "v2": self.v2,
            "signed": self.signed,
            "v3": self.v3,
            "sc_v1": self.sc_v1,
            "lead": self.lead,
            "import": self.import_job,
            "feedback": self.feedback,
            "session": self.session,
            "action": self.action,
            "reviewed_api": self.reviewed,
            "signed_agreement": self.signed.agreement,
            "apac_lead": self.apac.lead,
        }
        if name in simple:
            return {"pk": simple[name].pk}
        if name == "reset_link":  # a made-up link: the page says it is not valid
            return {"uidb64": "MQ", "token": "not-a-token"}
        if name == "v3_component":
            return {"pk": self.v3.pk, "component": "definitions"}
        if name in ("v3_goals", "sc_v1_goals"):
            return {"pk": (self.v3 if name == "v3_goals" else self.sc_v1).pk, "component": "goals"}
        if name == "apac_lead_pk":
            return {"lead_pk": self.apac.lead.pk}
        if name in ("v3_parts", "sc_v1_parts"):
            return {"version_pk": (self.v3 if name == "v3_parts" else self.sc_v1).pk}
        if name.startswith("v3_"):
            from slas.models import PART_MODELS

            part = PART_MODELS[name[3:]].objects.filter(version=self.v3).first()
            return {"version_pk": self.v3.pk, "pk": part.pk}
        if name in ("v2_incentive_month", "v2_incentive_rule"):
            from slas.periods import period_containing

            label = period_containing(self.v2.calendar_timezone, "month", timezone.now()).label
            if name == "v2_incentive_month":
                return {"pk": self.v2.pk, "label": label}
            return {"pk": self.v2.pk, "rule_pk": self.v2.incentives.get().pk, "label": label}
        if name == "meeting":
            return {"pk": self.meeting.pk}
        if name == "meeting_action":
            return {"pk": self.meeting_action.pk}
        if name == "ms_month":
            return {"pk": self.ms.pk, "label": timezone.now().strftime("%Y-%m")}
        if name == "ms_compare":
            return {"pk": self.ms.pk}
        if name == "breakdown":
            commitment = self.v2.commitments.first()
            return {
                "pk": self.v2.pk,
                "commitment_pk": commitment.pk,
                "label": timezone.now().strftime("%Y-%m"),
            }
        if name == "process_step":
            return {
                "pk": self.v2.pk,
                "step_pk": self.v2.process_steps.get().pk,
                "label": timezone.now().strftime("%Y-%m"),
            }
        if name == "lead_pk":
            return {"lead_pk": self.lead.pk}
        if name == "reviewed":
            return {"pk": self.session.pk, "reviewed_pk": self.reviewed.pk}
        raise KeyError(name)

    def query(self, kwargs_name: str) -> str:
        if kwargs_name == "ms_compare":
            return f"?a={self.v2.pk}&b={self.v3.pk}"
        return ""


def _call(client, rule: Rule, url: str):
    if rule.method == "post":
        return client.post(url, {})
    return client.get(url)


def _is_api(name: str, url: str) -> bool:
    return url.startswith("/api/v1/")


def check(cast, client_factory, name: str, rule: Rule) -> list[str]:
    world = World(cast)
    problems = []
    # The denied go first: what the allowed do (sign, send...) must not change their answer.
    order = sorted(CAST, key=lambda who: who in rule.allowed)
    for who in (None, *order):
        if rule.fresh and who is not None:
            world = World(cast)
        kwargs = world.kwargs(rule.kwargs)
        url = reverse(name, kwargs=kwargs) + world.query(rule.kwargs)
        client = client_factory()
        if who is not None:
            client.force_login(getattr(cast, who))
        response = _call(client, rule, url)
        status = response.status_code
        label = who or "anonymous"
        if response.get("Content-Type", "").startswith("text/html"):
            policy = response.get("Content-Security-Policy", "")
            script_src = next(
                (d for d in policy.split(";") if d.strip().startswith("script-src")), ""
            )
            if not policy or "unsafe-inline" in script_src:
                problems.append(f"{label}: no strict Content-Security-Policy on {url}")
        if status >= 500:
            problems.append(f"{label}: server error {status} on {rule.method.upper()} {url}")
        elif rule.signed:
            if status != 401:
                problems.append(f"{label}: {status} on unsigned {url}, expected 401")
        elif who is None and not rule.public:
            expected = {401} if _is_api(name, url) else {302}
            if status not in expected:
                problems.append(f"anonymous: {status} on {url}, expected {expected}")
        elif who is None:
            if status in (401, 403, 404):
                problems.append(f"anonymous: {status} on public {url}")
        elif who in rule.allowed:
            if status in (401, 403, 404, 405):
                problems.append(
                    f"{label}: {status} on {rule.method.upper()} {url}, expected success"
                )
        elif who in rule.sees:
            if status not in (403, 404):
                problems.append(
                    f"{label}: {status} on {rule.method.upper()} {url}, expected 403/404"
                )
        elif status != 404:
            problems.append(f"{label}: {status} on {rule.method.upper()} {url}, expected 404")
    return problems


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_matrix_holds_for(name, cast, client_factory):
    assert check(cast, client_factory, name, MATRIX[name]) == []


@pytest.mark.parametrize("name", sorted(SALES_CS_MATRIX))
def test_objects_of_another_agreement_answer_404_for(name, cast, client_factory):
    assert check(cast, client_factory, name, SALES_CS_MATRIX[name]) == []


# --------------------------------------------------------------------------- writes
#
# Every way to write, with a request that would succeed, tried by the cast and Priya
# (who manages APAC Sales: a manager, of other teams). The allowed change something;
# everybody else changes nothing at all (the whole database is compared), and answers as
# the read matrix says: 404 for whoever may not know the object exists, else 403. A write
# that names its object in the body answers for an object one cannot see as for an id
# that does not exist (400), or 404. Issue 17: "no team writes what it cannot read".

WRITERS = (*CAST, "priya")
OTHER_WRITERS = (*CAST, "priya", "kenji")
APAC_SALES = frozenset({"priya", "kenji"})
STATE_APPS = ("portal", "slas", "leads", "reports")


@dataclass(frozen=True)
class Write:
    """`allowed` succeed and change something; `idle` succeed and change nothing (the
    write touches only the caller's own objects, and they have none); `invalid` are
    refused by the form or serializer (the choices it offers them) or by the object's state
    (409: e.g. nothing to rebase), 200, 400 or 409;
    everybody else is refused: 404 unless in `sees`, else 403 (or 404)."""

    allowed: frozenset
    sees: frozenset
    method: str
    kwargs: str
    body: object  # (world, who) -> dict, or None
    api: bool
    fresh: bool
    idle: frozenset
    invalid: frozenset
    in_body: bool  # the object is named in the body: 400 "does not exist" is a 404
    writes: bool  # False: answers without writing anything (verify)
    effect: object  # (world, who) -> bool: what the allowed did, instead of "wrote something"


def w(allowed, method="post", kwargs="", body=None, *, sees=None, api=None, fresh=False,
      idle=(), invalid=(), in_body=False, writes=True, effect=None):  # fmt: skip
    return Write(
        frozenset(allowed),
        frozenset(sees) if sees is not None else frozenset(WRITERS),
        method,
        kwargs,
        body,
        api,
        fresh,
        frozenset(idle),
        frozenset(invalid),
        in_body,
        writes,
        effect,
    )


def _revision(version) -> int:
    from slas.models import Version

    return Version.objects.get(pk=version.pk).edit_revision


def _goals_form(version, who) -> dict:
    """The draft editor's "Shared goals" tab as the page posts it, goal statements changed."""
    from slas import forms
    from slas.models import Version

    version = Version.objects.get(pk=version.pk)
    form = forms.component_form_class("goals")(instance=version, prefix="v")
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[f"v-{name}"] = "" if value is None else str(value)
    data["v-goal_statements"] = f"Goals, as {who} sees them."
    data["edit_revision"] = version.edit_revision
    return data


def _session_form(world, who) -> dict:
    from leads.reviews.services import agreement_reporting_frame, recent_periods

    tz, cadence = agreement_reporting_frame(world.ms)
    period = recent_periods(tz, cadence, now=timezone.now(), count=7)[1]
    return {
        "title": f"Review by {who}",
        "period": period.label,
        "scheduled_for": "2030-04-02T10:00",
        "attendees": [world.cast.alice.pk, world.cast.dan.pk],
        "pick": "",
    }


def _sign(world, who, *, api: bool) -> dict:
    from portal.demo import DEMO_PASSWORD

    world.v3.refresh_from_db()
    person = world.person(who) if who else None
    return {
        "content_hash": world.v3.content_hash,
        "full_name": person.get_full_name() if person else "",
        "password": DEMO_PASSWORD,
        "consent": True if api else "on",
    }


def _admin_get(world, url: str) -> dict:
    """An object as the API shows it (to staff), for a PUT that sends it back whole."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.cast.admin)
    return client.get(url).json()


def _put(url_name: str, kwargs_name: str, **changes):
    def body(world, who):
        data = _admin_get(world, reverse(url_name, kwargs=world.kwargs(kwargs_name)))
        return {**data, **changes}

    return body


def _events_csv(world, who):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "source,event_id,lead_external_id,kind,occurred_at\n"
        f"crm,{who}-1,U-{who},created,2026-01-06T09:00:00Z\n"
    )
    return {
        "file": SimpleUploadedFile("events.csv", text.encode(), "text/csv"),
        "format": "events",
        "tz": "UTC",
        "marketing_team": world.cast.marketing.pk,
        "sales_team": world.cast.sales.pk,
    }


def _n(who) -> int:
    """A number of one's own, for values that must differ from person to person."""
    return OTHER_WRITERS.index(who) + 1 if who else 0


PART_BODIES = {
    "terms": lambda world, who: {"term": f"Term {who}", "definition": "Agreed."},
    "scoring_rules": lambda world, who: {
        "attribute": "industry",
        "operator": "equals",
        "value": f"Industry {who}",
        "points": 10,
        "dimension": "fit",
    },
    "reason_codes": lambda world, who: {"code": f"code_{who}", "label": "A reason"},
    "nurture_tracks": lambda world, who: {"name": f"Track {who}", "duration_days": 30},
    "commitments": lambda world, who: {
        "owner_team": world.cast.marketing.pk,
        "kind": "mql_volume",
        "target": "100",
        "period": "month",
        "description": f"By {who}",
    },
    "holidays": lambda world, who: {
        "date": str(world.v3.effective_date + dt.timedelta(days=3 + _n(who))),
        "name": f"Holiday {who}",
    },
    "sections": lambda world, who: {"title": f"Section {who}", "body": "Text."},
    "escalation_steps": lambda world, who: {
        "at_percent": 60 + _n(who),
        "action": "remind_owner",
    },
    "process_steps": lambda world, who: {
        "name": f"Step {who}",
        "stages": [],
        "owner_team": world.cast.marketing.pk,
        "metric": "Visitors",
    },
    "incentives": lambda world, who: {
        "owner_team": world.cast.marketing.pk,
        "name": f"Rule {who}",
        "measure": "sqls",
        "amount": "25",
    },
}
PART_CHANGES = {
    "terms": {"definition": "Changed."},
    "scoring_rules": {"points": 30},
    "reason_codes": {"label": "Changed"},
    "nurture_tracks": {"description": "Changed."},
    "commitments": {"description": "Changed."},
    "holidays": {"name": "Changed"},
    "sections": {"body": "Changed."},
    "escalation_steps": {"at_percent": 80},
    "process_steps": {"exit_criteria": "Changed."},
    "incentives": {"cap": "900"},
}


def _new_agreement(world, who) -> dict:
    """A new agreement between the team one manages and another: Carol's Sales and
    Customer Success (both hers), Alice's Marketing and Customer Success, Priya's APAC
    Sales and Sales (neither of which she can see)."""
    cast = world.cast
    parties = {
        "alice": [cast.marketing, cast.customer_success],
        "priya": [world.apac.sales, cast.sales],
    }.get(who, [cast.sales, cast.customer_success])
    return {"title": f"New by {who}", "parties": [team.pk for team in parties]}


def _only_dans_read(world, who) -> bool:
    """Marking all as read reads one's own: Dan's notification only when Dan does it."""
    world.notification.refresh_from_db()
    return (world.notification.read_at is not None) == (who == "dan")


def _feedback(lead, who) -> dict:
    """Feedback through the API: a rating from the lead's sales side, a comment from others."""
    rating = {"rating": 3} if who in ("carol", "dan", "priya", "kenji") else {}
    return {"lead": lead.pk, "note": f"by {who}", **rating}


def _with_revision(version_name: str, body):
    def with_revision(world, who):
        return {**body(world, who), "edit_revision": _revision(getattr(world, version_name))}

    return with_revision


def _bulk(world, who):
    return {
        "events": [
            {
                "source": "crm",
                "event_id": f"{who}-1",
                "lead_external_id": f"B-{who}",
                "kind": "created",
                "occurred_at": "2026-01-06T09:00:00Z",
            }
        ],
        "marketing_team": "Marketing",
        "sales_team": "Sales",
    }


EVERY_WRITER = frozenset(WRITERS)
NOT_DAN = EVERY_WRITER - {"dan"}
DAN = frozenset({"dan"})

WRITES: dict[tuple[str, str], Write] = {
    # people: one's own tokens, notifications, preferences and password
    ("token_list", "post"): w(
        EVERY_WRITER, body=lambda world, who: {"name": f"t-{who}", "scope": "read", "expires": "90"}
    ),
    ("token_revoke", "post"): w(DAN, kwargs="token", sees=DAN),
    ("notifications_read_all", "post"): w(EVERY_WRITER, effect=_only_dans_read, fresh=True),
    ("notification_read", "post"): w(DAN, kwargs="notification", sees=DAN),
    ("notification_open", "get"): w(DAN, method="get", kwargs="notification", sees=DAN),
    ("notification_preferences", "post"): w(
        EVERY_WRITER,
        body=lambda world, who: dict.fromkeys(_preference_codes(), "off"),
    ),
    ("profile", "post"): w(EVERY_WRITER, body=lambda world, who: {"time_zone": "America/New_York"}),
    ("password_change", "post"): w(
        EVERY_WRITER,
        body=lambda world, who: {
            "old_password": "sla-demo-2026",
            "new_password1": "a-New-passphrase-2026",
            "new_password2": "a-New-passphrase-2026",
        },
    ),
    ("api-notification-preferences", "put"): w(
        EVERY_WRITER,
        method="put",
        body=lambda world, who: dict.fromkeys(_preference_codes(), "off"),
    ),
    ("api-notification-preferences", "patch"): w(
        EVERY_WRITER,
        method="patch",
        body=lambda world, who: {_preference_codes()[0]: "off"},
    ),
    ("notification-read-all", "post"): w(EVERY_WRITER, effect=_only_dans_read, fresh=True),
    ("notification-read", "post"): w(DAN, kwargs="notification", sees=DAN),
    # agreements: a new one between a team one manages and another (issue 17: Alice
    # named Customer Success, which she cannot see; the page never offers it to her)
    ("slas:agreement_create", "post"): w(
        {"carol"},
        body=_new_agreement,
        invalid={"alice", "priya"},
    ),
    ("agreement-list", "post"): w(
        {"carol"},
        body=_new_agreement,
        invalid={"alice", "priya"},
    ),
    ("slas:version_amend", "post"): w(
        MS_MANAGERS, kwargs="signed_agreement", sees=MARKETING_SALES, fresh=True
    ),
    ("version-list", "post"): w(
        MS_MANAGERS,
        body=lambda world, who: {"agreement": world.signed.agreement.pk},
        sees=MARKETING_SALES,
        fresh=True,
        in_body=True,
    ),
    ("slas:version_edit", "post"): w(
        MS_MANAGERS,
        kwargs="v3_goals",
        body=lambda world, who: _goals_form(world.v3, who),
        sees=MARKETING_SALES,
    ),
    ("slas:version_planner_apply", "post"): w(
        MS_MANAGERS,
        kwargs="v3",
        body=lambda world, who: {
            "mql_target": 120 + _n(who),
            "period": "month",
            "edit_revision": _revision(world.v3),
        },
        sees=MARKETING_SALES,
    ),
    ("version-detail", "patch"): w(
        MS_MANAGERS,
        method="patch",
        kwargs="v3",
        body=lambda world, who: {
            "goal_statements": f"Goals by {who}",
            "edit_revision": _revision(world.v3),
        },
        sees=MARKETING_SALES,
    ),
    # signing
    ("slas:signing_send", "post"): w(
        MS_MANAGERS,
        kwargs="v3",
        body=lambda world, who: {"order": "parallel"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("slas:signing_sign", "get"): w(
        MS_MANAGERS, method="get", kwargs="v3_pending", sees=MARKETING_SALES, fresh=True
    ),
    ("slas:signing_sign", "post"): w(
        MS_MANAGERS,
        kwargs="v3_pending",
        body=lambda world, who: _sign(world, who, api=False),
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("slas:signing_decline", "post"): w(
        MS_MANAGERS,
        kwargs="v3_pending",
        body=lambda world, who: {"comment": "Not like this."},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("slas:signing_withdraw", "post"): w(
        {"alice"},
        kwargs="v3_pending",
        body=lambda world, who: {"comment": "Back to the draft."},
        sees=MARKETING_SALES,
    ),
    ("slas:version_discard", "post"): w(
        MS_MANAGERS,
        kwargs="v3",
        body=lambda world, who: {"comment": f"Discarded by {who}"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    # v3 already starts from the version in force: its managers are told there is nothing
    # to rebase (400); a real rebase is tested in slas/tests/test_version_drafts.py.
    ("version-rebase", "post"): w(
        (),
        kwargs="v3",
        body=lambda world, who: {"edit_revision": _revision(world.v3)},
        sees=MARKETING_SALES,
        invalid=MS_MANAGERS,
    ),
    ("version-discard", "post"): w(
        MS_MANAGERS,
        kwargs="v3",
        body=lambda world, who: {"comment": f"Discarded by {who}"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("slas:signing_verify", "post"): w(
        (),
        body=lambda world, who: {"content_hash": world.signed.content_hash},
        idle=EVERY_WRITER,
        writes=False,
    ),
    ("api_signing_send", "post"): w(
        MS_MANAGERS,
        kwargs="v3",
        body=lambda world, who: {"order": "parallel"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("api_signing_sign", "post"): w(
        MS_MANAGERS,
        kwargs="v3_pending",
        body=lambda world, who: _sign(world, who, api=True),
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("api_signing_decline", "post"): w(
        MS_MANAGERS,
        kwargs="v3_pending",
        body=lambda world, who: {"comment": "Not like this."},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("api_signing_withdraw", "post"): w(
        {"alice"},
        kwargs="v3_pending",
        body=lambda world, who: {"comment": "Back to the draft."},
        sees=MARKETING_SALES,
    ),
    ("api_signing_verify", "post"): w(
        (),
        body=lambda world, who: {"content_hash": world.signed.content_hash},
        idle=EVERY_WRITER,
        writes=False,
    ),
    # leads
    ("leads:lead_contact", "post"): w(
        SALES_WORKERS,
        kwargs="lead",
        body=lambda world, who: {"channel": "phone", "outcome": "no answer", "note": ""},
        sees=MARKETING_SALES,
    ),
    ("leads:lead_move", "post"): w(
        SALES_WORKERS,
        kwargs="lead",
        body=lambda world, who: {"to_stage": "sal", "reason_code": "", "note": ""},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("leads:lead_nurture", "post"): w(
        SALES_WORKERS,
        kwargs="lead",
        body=lambda world, who: {"track": "Education", "note": f"by {who}"},
        sees=MARKETING_SALES,
    ),
    ("leads:lead_reassign", "post"): w(
        {"carol"},
        kwargs="lead",
        body=lambda world, who: {"owner": world.cast.sara.pk},
        sees=MARKETING_SALES,
    ),
    ("api-lead-actions", "post"): w(
        SALES_WORKERS,
        kwargs="lead",
        body=lambda world, who: {"action": "contact_attempt", "channel": "phone"},
        sees=MARKETING_SALES,
    ),
    # ingest: uploads, one lead, bulk events (the rows' leads: test_ingest_rows_...)
    ("leads:imports", "post"): w(MS_MANAGERS, body=_events_csv, invalid=EVERY_WRITER - MS_MANAGERS),
    ("api-lead-list", "post"): w(
        MS_MANAGERS,
        body=lambda world, who: {
            "source": "crm",
            "external_id": f"N-{who}",
            "marketing_team": world.cast.marketing.pk,
            "sales_team": world.cast.sales.pk,
        },
    ),
    ("api-lead-events-bulk", "post"): w(MS_MANAGERS, body=_bulk),
    # reviews
    ("visitors:counts", "post"): w(
        MS_MANAGERS,
        kwargs="ms",
        body=lambda world, who: {
            "action": "set",
            "month": "2026-03",
            "source": f"source-{who}",
            "visitors": "100",
        },
        sees=MARKETING_SALES,
    ),
    ("reviews:feedback_create", "post"): w(
        MARKETING_SALES - {"erin"},
        kwargs="lead_pk",
        body=lambda world, who: {"rating": "3", "note": f"by {who}"},
        sees=MARKETING_SALES,
    ),
    ("feedback-list", "post"): w(
        MARKETING_SALES - {"erin"},
        body=lambda world, who: _feedback(world.lead, who),
        sees=MARKETING_SALES,
        in_body=True,
    ),
    ("reviews:feedback_edit", "post"): w(
        DAN,
        kwargs="feedback",
        body=lambda world, who: {"rating": "4", "note": "Better than I said."},
        sees=MARKETING_SALES,
    ),
    ("feedback-detail", "patch"): w(
        DAN,
        method="patch",
        kwargs="feedback",
        body=lambda world, who: {"rating": 4},
        sees=MARKETING_SALES,
    ),
    ("feedback-detail", "put"): w(
        DAN,
        method="put",
        kwargs="feedback",
        body=_put("feedback-detail", "feedback", rating=5, note="Rewritten."),
        sees=MARKETING_SALES,
    ),
    ("reviews:feedback_reply", "post"): w(
        {"alice", "bob"},
        kwargs="feedback",
        body=lambda world, who: {"reply": f"Thanks, {who} here."},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("reviews:session_create", "post"): w(MS_MANAGERS, body=_session_form),
    ("reports:meeting_new", "post"): w(
        MS_MANAGERS,
        kwargs="ms",
        body=lambda world, who: {
            "kind": "standup",
            "scheduled_for": "2030-04-02T09:00",
            "duration_minutes": "15",
            "title": f"Stand-up by {who}",
        },
        sees=MARKETING_SALES,
    ),
    ("reports:ritual_cadence", "post"): w(
        MS_MANAGERS,
        kwargs="ms",
        body=lambda world, who: {
            "kind": "standup",
            "frequency": "daily",
            "time": "09:15",
            "duration_minutes": str(10 + _n(who)),
        },
        sees=MARKETING_SALES,
    ),
    ("reports:meeting_minutes", "post"): w(
        MS_MANAGERS,
        kwargs="meeting",
        body=lambda world, who: {"minutes": f"Minutes by {who}", "held": "on"},
        sees=MARKETING_SALES,
    ),
    ("reports:meeting_action_new", "post"): w(
        MS_MANAGERS,
        kwargs="meeting",
        body=lambda world, who: {
            "title": f"Action by {who}",
            "owner": world.cast.dan.pk,
            "due_date": "2030-01-01",
        },
        sees=MARKETING_SALES,
    ),
    ("reports:meeting_action_done", "post"): w(
        {"alice", "carol", "dan"},
        kwargs="meeting_action",
        body=lambda world, who: {"done": "1"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    # The world's agreement has a draft open (v3): a manager's proposal is refused by that
    # state (the form says so), everybody else is refused before.
    ("reports:meeting_propose", "post"): w(
        set(),
        kwargs="meeting",
        body=lambda world, who: {"change": f"Change by {who}"},
        sees=MARKETING_SALES,
        invalid=MS_MANAGERS,
    ),
    ("review-session-list", "post"): w(
        MS_MANAGERS,
        body=lambda world, who: {
            "agreement": world.ms.pk,
            "period": _session_form(world, who)["period"],
            "scheduled_for": "2030-04-02T09:00:00Z",
            "attendee_ids": [world.cast.alice.pk, world.cast.dan.pk],
        },
        in_body=True,
    ),
    ("reviews:session_pick_leads", "post"): w(
        MS_MANAGERS,
        kwargs="session",
        body=lambda world, who: {"kind": "handed_off"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("reviews:session_minutes", "post"): w(
        MS_MANAGERS,
        kwargs="session",
        body=lambda world, who: {
            "summary": f"Minutes by {who}",
            "held": "on",
        },
        sees=MARKETING_SALES,
    ),
    ("review-session-detail", "patch"): w(
        MS_MANAGERS,
        method="patch",
        kwargs="session",
        body=lambda world, who: {"summary": f"Minutes by {who}"},
        sees=MARKETING_SALES,
    ),
    ("review-session-detail", "put"): w(
        MS_MANAGERS,
        method="put",
        kwargs="session",
        body=_put("review-session-detail", "session", summary="Rewritten minutes."),
        sees=MARKETING_SALES,
    ),
    ("reviews:reviewed_lead_outcome", "post"): w(
        MS_MANAGERS,
        kwargs="reviewed",
        body=lambda world, who: {"outcome": "bad_timing", "note": f"by {who}"},
        sees=MARKETING_SALES,
    ),
    ("reviews:reviewed_lead_remove", "post"): w(
        MS_MANAGERS, kwargs="reviewed", sees=MARKETING_SALES, fresh=True
    ),
    ("reviewed-lead-detail", "patch"): w(
        MS_MANAGERS,
        method="patch",
        kwargs="reviewed_api",
        body=lambda world, who: {"outcome": "bad_fit", "note": f"by {who}"},
        sees=MARKETING_SALES,
    ),
    ("reviewed-lead-detail", "delete"): w(
        MS_MANAGERS, method="delete", kwargs="reviewed_api", sees=MARKETING_SALES, fresh=True
    ),
    ("reviews:action_item_create", "post"): w(
        MS_MANAGERS,
        kwargs="session",
        body=lambda world, who: {
            "title": f"Follow up ({who})",
            "owner": world.cast.dan.pk,
            "due_date": "2030-01-15",
        },
        sees=MARKETING_SALES,
    ),
    ("visitor-count-list", "post"): w(
        MS_MANAGERS,
        body=lambda world, who: {
            "agreement": world.ms.pk,
            "month": "2026-03",
            "source": f"api-{who}",
            "visitors": 10,
        },
        sees=MARKETING_SALES,
        in_body=True,
    ),
    ("action-item-list", "post"): w(
        MS_MANAGERS,
        body=lambda world, who: {
            "session": world.session.pk,
            "title": f"Follow up ({who})",
            "owner": world.cast.dan.pk,
            "due_date": "2030-01-15",
        },
        sees=MARKETING_SALES,
        in_body=True,
    ),
    ("reviews:action_item_status", "post"): w(
        {"alice", "carol", "dan"},
        kwargs="action",
        body=lambda world, who: {"status": "done"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("action-item-detail", "patch"): w(
        {"alice", "carol", "dan"},
        method="patch",
        kwargs="action",
        body=lambda world, who: {"status": "done"},
        sees=MARKETING_SALES,
        fresh=True,
    ),
    ("action-item-detail", "put"): w(
        MS_MANAGERS,
        method="put",
        kwargs="action",
        body=_put("action-item-detail", "action", title="Call back twice"),
        sees=MARKETING_SALES,
    ),
}
for _part, _body in PART_BODIES.items():
    WRITES[(f"version-{_part}-list", "post")] = w(
        MS_MANAGERS,
        kwargs="v3_parts",
        body=_with_revision("v3", _body),
        sees=MARKETING_SALES,
    )
    WRITES[(f"version-{_part}-detail", "patch")] = w(
        MS_MANAGERS,
        method="patch",
        kwargs=f"v3_{_part}",
        body=_with_revision("v3", lambda world, who, _c=PART_CHANGES[_part]: dict(_c)),
        sees=MARKETING_SALES,
        fresh=True,
    )
    WRITES[(f"version-{_part}-detail", "delete")] = w(
        MS_MANAGERS,
        method="delete",
        kwargs=f"v3_{_part}",
        body=_with_revision("v3", lambda world, who: {}),
        sees=MARKETING_SALES,
        fresh=True,
    )

# Writes on objects of other teams: the Sales ⇄ Customer Success draft (Carol manages
# both; Alice and Bob may not know it exists) and the APAC lead (only Priya and Kenji,
# of APAC Sales, work it; only Erin of the cast may know it exists).
SC = SALES_CS | {"carol"}
APAC_LEAD_SEES = APAC_SALES | {"erin"}
OTHER_WRITES: dict[tuple[str, str], Write] = {
    ("slas:version_edit", "post"): w(
        {"carol"},
        kwargs="sc_v1_goals",
        body=lambda world, who: _goals_form(world.sc_v1, who),
        sees=SC,
    ),
    ("version-detail", "patch"): w(
        {"carol"},
        method="patch",
        kwargs="sc_v1",
        body=lambda world, who: {
            "goal_statements": f"Goals by {who}",
            "edit_revision": _revision(world.sc_v1),
        },
        sees=SC,
    ),
    ("version-terms-list", "post"): w(
        {"carol"},
        kwargs="sc_v1_parts",
        body=_with_revision("sc_v1", PART_BODIES["terms"]),
        sees=SC,
    ),
    ("slas:signing_send", "post"): w(
        {"carol"},
        kwargs="sc_v1",
        body=lambda world, who: {"order": "parallel"},
        sees=SC,
    ),
    ("leads:lead_contact", "post"): w(
        APAC_SALES,
        kwargs="apac_lead",
        body=lambda world, who: {"channel": "phone", "outcome": "no answer", "note": ""},
        sees=APAC_LEAD_SEES,
    ),
    ("leads:lead_move", "post"): w(
        APAC_SALES,
        kwargs="apac_lead",
        body=lambda world, who: {"to_stage": "sal", "reason_code": "", "note": ""},
        sees=APAC_LEAD_SEES,
        fresh=True,
    ),
    ("leads:lead_reassign", "post"): w(
        {"priya"},
        kwargs="apac_lead",
        body=lambda world, who: {"owner": world.apac.ravi.pk},
        sees=APAC_LEAD_SEES,
    ),
    ("api-lead-actions", "post"): w(
        APAC_SALES,
        kwargs="apac_lead",
        body=lambda world, who: {"action": "contact_attempt", "channel": "phone"},
        sees=APAC_LEAD_SEES,
    ),
    ("reviews:feedback_create", "post"): w(
        APAC_SALES,
        kwargs="apac_lead_pk",
        body=lambda world, who: {"rating": "3", "note": f"by {who}"},
        sees=APAC_LEAD_SEES,
    ),
    ("feedback-list", "post"): w(
        APAC_SALES,
        body=lambda world, who: _feedback(world.apac.lead, who),
        sees=APAC_LEAD_SEES,
        in_body=True,
    ),
}

# URLs that never write the portal's data, and writes tested elsewhere.
NO_WRITES = {
    "slas:signing_export_seal",
    "home", "people", "team_detail", "profile", "api_schema", "api_docs", "notifications",
    "slas:agreement_list", "slas:agreement_detail", "slas:agreement_compare",
    "slas:agreement_history", "slas:signing_audit", "slas:version_detail",
    "slas:version_edit_start", "slas:version_planner", "slas:signing_certificate",
    "slas:signing_certificate_pdf", "slas:signing_export_json", "slas:signing_document_pdf",
    "leads:queue", "leads:team_queue", "leads:lead_detail", "leads:import_detail",
    "leads:import_template",
    "leads:import_status", "leads:import_issues", "reports:index", "reports:version",
    "reports:breakdown", "reports:process_step", "reports:whatif", "reports:agreement", "reports:ungoverned",
    "reports:monthly_latest", "reports:monthly", "reports:monthly_csv", "reports:monthly_pdf",
    "reports:incentives", "reports:incentives_csv", "reports:incentive_leads",
    "reports:meetings", "reports:meeting", "reports:meeting_ics",
    "reviews:index", "reviews:my_feedback", "reviews:session_detail", "reviews:analysis", "reviews:analysis_leads",
    "reviews:analysis_export", "notification-list", "notification-detail",
    "api_signing_certificate", "agreement-detail", "agreement-compare", "api-lead-detail",
    "api-lead-events", "reviewed-lead-list", "reports-api:compliance-version-list",
    "reports-api:compliance-version-detail", "reports-api:incentive-version-detail",
    "reports-api:meeting-list", "reports-api:meeting-detail",
    *(f"version-{part}-{kind}" for part in PART_BODIES for kind in ("list", "detail")),
    "version-list", "version-detail", "feedback-list", "feedback-detail",
    "review-session-list", "review-session-detail", "reviewed-lead-detail",
    "action-item-list", "action-item-detail", "api-lead-list", "visitor-count-list",
}  # fmt: skip
WRITES_ELSEWHERE = {
    "password_reset": "anonymous: sends a reset e-mail, same answer for any address "
    "(portal/tests/test_password_reset.py)",
    "password_reset_done": "a page saying an e-mail may have been sent; writes nothing",
    "password_reset_confirm": "the holder of a valid reset link sets a password "
    "(portal/tests/test_password_reset.py)",
    "password_reset_complete": "a page saying the password was changed; writes nothing",
    "slas:version_rebase": "needs a draft based on an older version than the one in force, "
    "which the matrix world has not: who may rebase is tested in "
    "slas/tests/test_version_drafts.py::TestADraftBasedOnAnOlderVersion",
    "login": "signs in: a session, no portal data (portal/tests/test_accounts.py)",
    "logout": "signs out: a session, no portal data",
    "set_language": "a cookie and the session's language, no portal data",
    "hubspot-webhook": "signed by HubSpot, not a person (leads/tests/test_webhook.py, "
    "leads/tests/test_ingest_scope.py)",
}


def _preference_codes() -> list[str]:
    from portal.notifications import PREFERENCE_KINDS

    return [kind.code for kind in PREFERENCE_KINDS]


def _api_write_methods() -> set[tuple[str, str]]:
    """(url name, method) of every write the API's views offer."""
    found = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(SKIP_PREFIXES):
                    continue
                ns = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
                continue
            view = getattr(pattern.callback, "cls", None)
            if view is None or not pattern.name or "format" in str(pattern.pattern):
                continue
            offered = getattr(pattern.callback, "actions", None) or {
                m: m for m in ("post", "put", "patch", "delete") if hasattr(view, m)
            }
            for method in offered:
                if method in ("post", "put", "patch", "delete") and method in (
                    view.http_method_names
                ):
                    found.add((f"{namespace}{pattern.name}", method))

    walk(get_resolver().url_patterns)
    return found


def test_every_url_says_how_it_writes():
    names = url_names()
    said = {name for name, _m in WRITES} | NO_WRITES | set(WRITES_ELSEWHERE)
    assert not names - said, f"Say how these URLs write (WRITES or NO_WRITES): {names - said}"
    assert not said - names, f"These URLs no longer exist: {sorted(said - names)}"
    api_writes = _api_write_methods() - set(WRITES)
    assert not api_writes, f"Put these API writes in WRITES: {sorted(api_writes)}"


def db_state() -> dict[str, list]:
    """Every row of the portal's own tables (and the users' credentials)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    state = {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in STATE_APPS
    }
    state["auth.User"] = list(
        get_user_model()
        .objects.order_by("pk")
        .values_list("pk", "username", "password", "email", "is_active", "is_staff")
    )
    return state


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def _send(client, rule: Write, url: str, body: dict | None):
    api = rule.api if rule.api is not None else url.startswith("/api/")
    call = getattr(client, rule.method)
    if rule.method == "get":
        return call(url)
    if api:
        return call(url, json.dumps(body or {}), content_type="application/json")
    if rule.method == "post":
        return call(url, body or {})
    return call(url, urlencode(body or {}, doseq=True), content_type=FORM)


def check_write(cast, client_factory, key, rule: Write, writers) -> list[str]:
    name, method = key
    world = World(cast)
    problems = []
    # The refused go first, on one world: whatever they try must leave it as it was.
    order = sorted(writers, key=lambda who: who in rule.allowed)
    for who in (None, *order):
        if rule.fresh and who in rule.allowed:
            world = World(cast)
        kwargs = world.kwargs(rule.kwargs)
        url = reverse(name, kwargs=kwargs)
        client = client_factory()
        if who is not None:
            client.force_login(world.person(who))
        body = rule.body(world, who) if rule.body else None
        before = db_state()
        response = _send(client, rule, url, body)
        changed = _changed(before, db_state())
        status = response.status_code
        label = f"{who or 'anonymous'}: {method.upper()} {url} answered {status}"
        if status >= 500:
            problems.append(f"{label} (server error)")
            continue
        if who in rule.allowed:
            if status >= 400:
                problems.append(f"{label}, expected success: {response.content[:300]!r}")
            elif rule.effect is not None:
                if not rule.effect(world, who):
                    problems.append(f"{label} but did not do what it should (wrote {changed})")
            elif rule.writes and not changed:
                problems.append(f"{label} but wrote nothing")
            elif not rule.writes and changed:
                problems.append(f"{label} and wrote {changed}")
            continue
        if changed:
            problems.append(f"{label} and wrote {changed}")
        if who is None:
            if status not in (302, 401, 403):
                problems.append(f"{label}, expected a sign-in (302 or 401)")
        elif who in rule.idle:
            if status >= 400:
                problems.append(f"{label}, expected success (writing nothing)")
        elif who in rule.invalid:
            if status not in (200, 400, 409):
                problems.append(
                    f"{label}, expected the refusal of the form or state (200, 400, 409)"
                )
        elif who in rule.sees:
            if status not in (403, 404) and not (rule.in_body and status == 400):
                problems.append(f"{label}, expected 403/404")
        elif status != 404 and not (rule.in_body and status == 400):
            problems.append(f"{label}, expected 404")
    return problems


def _key_id(key) -> str:
    return f"{key[0]}:{key[1]}"


@pytest.mark.parametrize("key", sorted(WRITES), ids=_key_id)
def test_the_write_matrix_holds_for(key, cast, client_factory):
    assert check_write(cast, client_factory, key, WRITES[key], WRITERS) == []


@pytest.mark.parametrize("key", sorted(OTHER_WRITES), ids=_key_id)
def test_writes_on_other_teams_objects_hold_for(key, cast, client_factory):
    assert check_write(cast, client_factory, key, OTHER_WRITES[key], OTHER_WRITERS) == []


# Ingest rows name their lead by (source, external id), not by an id in the URL: rows that
# name a lead of another team pair (Alice and Carol: the APAC lead; Priya: the
# Marketing ⇄ Sales lead) must leave it exactly as it was, and be answered as rows naming
# an id nobody uses (docs/security.md#who-can-write-what).
INGESTERS = ("alice", "carol", "priya")


def _ingest_rows(lead_ref: tuple[str, str], who: str) -> list[dict]:
    source, external_id = lead_ref
    common = {"source": source, "lead_external_id": external_id}
    return [
        {**common, "event_id": f"{external_id}:created", "kind": "created",
         "occurred_at": "2026-01-06T09:00:00Z", "email": f"{who}@example.com"},
        {**common, "event_id": f"{external_id}:mql", "kind": "stage_changed", "to_stage": "mql",
         "occurred_at": "2026-01-06T10:00:00Z"},
        {**common, "event_id": f"{external_id}:dq", "kind": "stage_changed",
         "to_stage": "disqualified", "reason_code": "no_fit",
         "occurred_at": "2026-01-06T11:00:00Z"},
        {**common, "event_id": f"{external_id}:owner", "kind": "owner_changed",
         "outcome": f"{who}@example.com", "occurred_at": "2026-01-06T12:00:00Z"},
    ]  # fmt: skip


def _ingest(client, world, who: str, channel: str, rows: list[dict], capture) -> dict:
    """Send the rows for the caller's own pair; the counts the answer gives."""
    if who == "priya":
        marketing, sales = world.apac.marketing, world.apac.sales
    else:
        marketing, sales = world.cast.marketing, world.cast.sales
    if channel == "bulk":
        body = {"events": rows, "marketing_team": marketing.name, "sales_team": sales.name}
        response = client.post(
            reverse("api-lead-events-bulk"), json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        answer = response.json()
        return {**answer, "failures": [(f["index"], f["column"]) for f in answer["failures"]]}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from leads.ingest.formats import EVENT_COLUMNS
    from leads.ingest.models import ImportJob

    lines = [",".join(EVENT_COLUMNS)]
    lines += [",".join(row.get(column, "") for column in EVENT_COLUMNS) for row in rows]
    upload = SimpleUploadedFile("rows.csv", "\n".join(lines).encode(), "text/csv")
    with capture(execute=True):
        response = client.post(
            reverse("leads:imports"),
            {
                "file": upload,
                "format": "events",
                "tz": "UTC",
                "marketing_team": marketing.pk,
                "sales_team": sales.pk,
            },
        )
    assert response.status_code == 302, response.content[:300]
    job = ImportJob.objects.order_by("-pk").first()
    return {
        "status": job.status,
        "created": job.created,
        "duplicates": job.duplicates,
        "failed": job.failed,
    }


@pytest.mark.parametrize("channel", ["bulk", "csv"])
@pytest.mark.parametrize("who", INGESTERS)
def test_ingest_rows_naming_another_pairs_lead_leave_it_untouched(
    who, channel, cast, client_factory, django_capture_on_commit_callbacks
):
    from leads.tests.other_pair import lead_state

    # given a lead of a team pair the caller cannot see
    world = World(cast)
    target = world.lead if who == "priya" else world.apac.lead
    client = client_factory()
    client.force_login(world.person(who))
    assert client.get(reverse("api-lead-detail", args=[target.pk])).status_code == 404
    before = lead_state(target)
    # when the caller's rows name it, for the caller's own pair, and then an unused id
    rows = _ingest_rows((target.source, target.external_id), who)
    named = _ingest(client, world, who, channel, rows, django_capture_on_commit_callbacks)
    unused = _ingest(
        client,
        world,
        who,
        channel,
        _ingest_rows((target.source, f"unused-{target.external_id}"), who),
        django_capture_on_commit_callbacks,
    )
    # then the lead is exactly as it was, and nothing in the answer tells the two apart
    assert lead_state(target) == before
    assert named == unused
    assert named["created"] >= 3
