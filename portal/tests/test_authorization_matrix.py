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

Objects: a Marketing-Sales agreement (v2 active, v3 draft), a Sales-Customer Success
agreement with a draft, a lead handed to Dan, Dan's feedback on it, a review session
with an action item for Dan, Dan's notification, API token and lead import.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portal.models import Notification
from portal.tokens import api_token_create

CAST = ("alice", "bob", "carol", "dan", "erin", "mallory")
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
    "slas:version_planner_apply": r(MS_MANAGERS, method="post", kwargs="v3", **MS),
    "slas:signing_send": r(MS_MANAGERS, kwargs="v3", **MS),
    "slas:signing_sign": r(MS_MANAGERS, kwargs="v3_pending", **MS),
    "slas:signing_decline": r(MS_MANAGERS, method="post", kwargs="v3_pending", **MS),
    "slas:signing_withdraw": r({"alice"}, method="post", kwargs="v3_pending", **MS),
    "slas:signing_certificate": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_certificate_pdf": r(MARKETING_SALES, kwargs="signed", **MS),
    "slas:signing_export_json": r(MARKETING_SALES, kwargs="signed", **MS),
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
    "leads:import_detail": r(MARKETING_SALES, kwargs="import", **MS),
    "leads:import_status": r(MARKETING_SALES, kwargs="import", **MS),
    "leads:import_issues": r(MARKETING_SALES, kwargs="import", **MS),
    # reports
    "reports:index": r(EVERYONE),
    "reports:version": r(MARKETING_SALES, kwargs="v2", **MS),
    "reports:breakdown": r(MARKETING_SALES, kwargs="breakdown", **MS),
    "reports:whatif": r(MARKETING_SALES, kwargs="v3", **MS),
    "reports:agreement": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:ungoverned": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:monthly_latest": r(MARKETING_SALES, kwargs="ms", **MS),
    "reports:monthly": r(MARKETING_SALES, kwargs="ms_month", **MS),
    "reports:monthly_csv": r(MARKETING_SALES, kwargs="ms_month", **MS),
    "reports:monthly_pdf": r(MARKETING_SALES, kwargs="ms_month", **MS),
    # reviews
    "reviews:index": r(EVERYONE),
    "reviews:feedback_create": r(MARKETING_SALES - {"erin"}, kwargs="lead_pk", **MS),
    "reviews:feedback_edit": r({"dan"}, kwargs="feedback", **MS),
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
    "action-item-detail": r(MARKETING_SALES, kwargs="action", **MS),
    "reports-api:compliance-version-list": r(EVERYONE),
    "reports-api:compliance-version-detail": r(MARKETING_SALES, kwargs="v2", **MS),
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
        self.lead = handed_off_lead(cast, self.v2, now - dt.timedelta(hours=1))
        self.feedback = feedback_create(lead=self.lead, author=cast.dan, rating=3, note="ok")
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        self.session = ReviewSession.objects.create(
            title="Review",
            agreement=self.ms,
            marketing_team=cast.marketing,
            sales_team=cast.sales,
            period_label=start.strftime("%Y-%m"),
            period_start=start - dt.timedelta(days=31),
            period_end=start,
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
        }
        if name in simple:
            return {"pk": simple[name].pk}
        if name == "reset_link":  # a made-up link: the page says it is not valid
            return {"uidb64": "MQ", "token": "not-a-token"}
        if name == "v3_component":
            return {"pk": self.v3.pk, "component": "definitions"}
        if name in ("v3_parts", "sc_v1_parts"):
            return {"version_pk": (self.v3 if name == "v3_parts" else self.sc_v1).pk}
        if name.startswith("v3_"):
            from slas.models import PART_MODELS

            part = PART_MODELS[name[3:]].objects.filter(version=self.v3).first()
            return {"version_pk": self.v3.pk, "pk": part.pk}
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
