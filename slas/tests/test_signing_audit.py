"""The audit log is a hash chain: any edited, deleted or reordered entry is detected."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from slas.audit.chain import audit_append, audit_verify
from slas.audit.models import AuditEntry, AuditHead
from slas.tests.signing_factories import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(cast):
    agreement = AgreementFactory(parties=[cast.marketing, cast.sales])
    for action, user in [
        ("created", cast.alice),
        ("edited", cast.alice),
        ("sent", cast.alice),
        ("signed", cast.carol),
        ("signed", cast.alice),
    ]:
        audit_append(agreement=agreement, action=action, actor=user, data={"note": action})
    return agreement


def test_an_untouched_chain_is_intact(chain):
    result = audit_verify(agreement=chain)
    assert result.intact and result.checked == 5
    entries = list(AuditEntry.objects.filter(agreement=chain).order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))


def test_an_edited_entry_breaks_the_chain_at_that_entry(chain):
    # given
    entry = AuditEntry.objects.get(agreement=chain, seq=3)
    # when someone changes it in the database, behind the application's back
    AuditEntry.objects.filter(pk=entry.pk).update(data={"note": "nothing to see"})
    # then
    result = audit_verify(agreement=chain)
    assert not result.intact and result.broken_seq == 3


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(chain):
    from slas.audit.chain import _entry_hash

    entry = AuditEntry.objects.get(agreement=chain, seq=2)
    entry.actor_name = "Mallory Moss"
    AuditEntry.objects.filter(pk=entry.pk).update(
        actor_name=entry.actor_name, entry_hash=_entry_hash(entry)
    )
    result = audit_verify(agreement=chain)
    assert not result.intact and result.broken_seq == 3


def test_a_deleted_entry_breaks_the_chain(chain):
    AuditEntry.objects.filter(agreement=chain, seq=2)._raw_delete(AuditEntry.objects.db)
    result = audit_verify(agreement=chain)
    assert not result.intact and result.broken_seq == 2


def test_a_deleted_newest_entry_is_detected_by_the_head(chain):
    AuditEntry.objects.filter(agreement=chain, seq=5)._raw_delete(AuditEntry.objects.db)
    result = audit_verify(agreement=chain)
    assert not result.intact and result.broken_seq == 5


def test_reordered_entries_break_the_chain(chain):
    # given two entries swap places
    four = AuditEntry.objects.get(agreement=chain, seq=4)
    five = AuditEntry.objects.get(agreement=chain, seq=5)
    AuditEntry.objects.filter(pk=four.pk).update(seq=99)
    AuditEntry.objects.filter(pk=five.pk).update(seq=4)
    AuditEntry.objects.filter(pk=four.pk).update(seq=5)
    # then
    result = audit_verify(agreement=chain)
    assert not result.intact and result.broken_seq == 4


def test_entries_cannot_be_changed_or_deleted_through_the_orm(chain):
    entry = AuditEntry.objects.get(agreement=chain, seq=1)
    entry.action = "signed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_the_head_follows_the_newest_entry(chain):
    head = AuditHead.objects.get(agreement=chain)
    newest = AuditEntry.objects.get(agreement=chain, seq=5)
    assert head.seq == 5 and head.entry_hash == newest.entry_hash


def test_verify_audit_prints_intact_or_the_first_broken_link(chain, capsys):
    # given an intact chain
    call_command("verify_audit")
    assert "intact (5 entries)" in capsys.readouterr().out
    # when an entry is altered
    AuditEntry.objects.filter(agreement=chain, seq=2).update(action="declined")
    # then
    with pytest.raises(CommandError):
        call_command("verify_audit", agreement=chain.pk)
    assert "BROKEN at entry 2" in capsys.readouterr().out
