import pytest

from slas import compare, demo
from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.history import Source, split_reason
from slas.models import PART_MODELS, Agreement, Version

pytestmark = pytest.mark.django_db


def test_the_demo_agreements_are_built_once_with_users_and_reasons_on_every_history_row(cast):
    # when the demo runs twice
    demo.seed()
    demo.seed()
    # then
    ms = Agreement.objects.get(title=demo.MARKETING_SALES)
    assert [(v.number, v.status) for v in ms.versions.order_by("number")] == [
        (1, "superseded"),
        (2, "active"),
        (3, "pending_signature"),  # the signing demo sends v3 with one signature in
    ]
    assert Agreement.objects.get(title=demo.SALES_CS).versions.get().status == "draft"
    v3 = ms.versions.get(number=3)
    assert [(s.at_percent, s.action) for s in v3.escalation_steps.all()] == [
        (50, "remind_owner"),
        (100, "notify_manager"),
        (150, "allow_reassign"),
    ]
    rows = list(Version.history.all())
    for model in PART_MODELS.values():
        rows += list(model.history.all())
    # every row says who and why: the demo built the content, signing moved the statuses
    assert all(r.history_user_id for r in rows)
    assert {split_reason(r.history_change_reason)[0] for r in rows} == {Source.DEMO, Source.SIGNING}


def test_the_demo_draft_differs_from_the_active_version(cast):
    demo.seed()
    ms = Agreement.objects.get(title=demo.MARKETING_SALES)
    comparison = compare.version_compare(ms.versions.get(number=2), ms.versions.get(number=3))
    changed = {c.key for c in comparison.components if c.has_changes}
    assert {"definitions", "handoff", "kpis"} <= changed


def test_the_demo_audit_trail_never_goes_back_in_time_and_its_chains_verify(cast):
    # given / when
    demo.seed()
    # then
    for agreement in Agreement.objects.all():
        entries = list(AuditEntry.objects.filter(agreement=agreement).order_by("seq"))
        assert entries, agreement
        times = [entry.at for entry in entries]
        assert times == sorted(times), [(e.seq, e.action, e.version_number, e.at) for e in entries]
        assert audit_verify(agreement=agreement).intact


def test_the_demo_versions_are_drafted_then_sent_signed_and_activated_in_order(cast):
    # given / when
    demo.seed()
    # then
    ms = Agreement.objects.get(title=demo.MARKETING_SALES)
    for number in (1, 2):
        actions = list(
            AuditEntry.objects.filter(agreement=ms, version_number=number)
            .exclude(action="superseded")
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert actions == ["created", "edited", "sent", "signed", "signed", "activated"]


def test_the_seeded_history_carries_the_times_the_audit_log_shows(cast):
    # given / when
    demo.seed()
    # then every history row of v1 and v2 (drafted, sent, put in force months ago) is dated
    # at an instant the audit log shows for that version, not at the time the demo ran
    ms = Agreement.objects.get(title=demo.MARKETING_SALES)
    for number in (1, 2):
        version = ms.versions.get(number=number)
        audit_times = set(
            AuditEntry.objects.filter(agreement=ms, version_number=number).values_list(
                "at", flat=True
            )
        )
        rows = list(Version.history.filter(id=version.pk))
        for model in PART_MODELS.values():
            rows += list(model.history.filter(version_id=version.pk))
        assert {row.history_date for row in rows} <= audit_times, number
        # and the version's own rows carry each step: created, edited, sent, in force
        version_times = {row.history_date for row in rows if isinstance(row, Version.history.model)}
        signed = {
            entry.at
            for entry in AuditEntry.objects.filter(agreement=ms, version_number=number)
            if entry.action == "signed"
        }
        assert version_times == audit_times - signed, number
    agreement_rows = ms.history.all()
    created = AuditEntry.objects.get(agreement=ms, seq=1)
    assert {row.history_date for row in agreement_rows} == {created.at}
