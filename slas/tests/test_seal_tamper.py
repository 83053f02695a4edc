"""Issue 17, section 2: a signed agreement cannot be forged by someone who writes the database.

Each test is an attack made straight on the database, as someone with its password would,
and checks that every place which speaks for the record says so: `verify_audit`, the audit
page, the verify API, the version page, and the managers are told.
"""

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from portal.models import Notification
from slas.audit.chain import _audit_hash
from slas.audit.models import AuditEntry, AuditHead
from slas.canonical import canonical_json
from slas.models import Term
from slas.signing.models import SigningRound
from slas.signing.seal import bytes_hash, version_live_bytes
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_api import client_for
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed(cast, django_capture_on_commit_callbacks):
    """v3 signed by both parties, its appends committed (so checkpoints are written)."""
    with django_capture_on_commit_callbacks(execute=True):
        agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
    v3.refresh_from_db()
    return cast, agreement, v3, SigningRound.objects.get(version=v3, status="completed")


def verify_audit_output(capsys, agreement) -> tuple[bool, str]:
    try:
        call_command("verify_audit", agreement=agreement.pk)
    except CommandError:
        return False, capsys.readouterr().out
    return True, capsys.readouterr().out


def verify_api(cast, *, document: bytes) -> dict:
    return (
        client_for(cast.erin, "read")
        .post(reverse("api_signing_verify"), {"document": document.decode()}, format="json")
        .json()
    )


def page(client, user, name, pk) -> str:
    client.force_login(user)
    return client.get(reverse(name, args=[pk])).content.decode()


def seal_broken_notified(cast) -> set[str]:
    return set(
        Notification.objects.filter(kind="signing.seal_broken").values_list(
            "recipient__username", flat=True
        )
    )


def rewrite_chain(agreement_id: int, old_hash: str, new_hash: str) -> None:
    """What an attacker does with the project's own functions: every entry that names the
    old hash names the new one, and every link and the head are recomputed."""
    prev = "0" * 64
    entries = AuditEntry.objects.filter(agreement_id=agreement_id).order_by("seq")
    for entry in entries:
        data = json.loads(json.dumps(entry.data).replace(old_hash, new_hash))
        fields = {
            "agreement_id": entry.agreement_id,
            "seq": entry.seq,
            "action": entry.action,
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "version_id": entry.version_id,
            "version_number": entry.version_number,
            "at": entry.at,
            "data": data,
            "prev_hash": prev,
        }
        entry_hash = _audit_hash(**fields)
        AuditEntry.objects.filter(pk=entry.pk).update(
            data=data, prev_hash=prev, entry_hash=entry_hash
        )
        prev = entry_hash
    AuditHead.objects.filter(agreement_id=agreement_id).update(entry_hash=prev)


def test_one_byte_of_a_signed_term_changed_in_the_database_is_reported_everywhere(
    client, capsys, signed
):
    # given a signed version and its export
    cast, agreement, v3, rnd = signed
    export = bytes(rnd.content_snapshot)
    term = Term.objects.filter(version=v3).order_by("pk").first()
    # when one byte of a signed term is changed behind the portal's back
    changed = term.definition[:-1] + ("X" if term.definition[-1] != "X" else "Y")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE slas_term SET definition = %s WHERE id = %s", [changed, term.pk])
    # then verify_audit fails and says which seal
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "SEAL BROKEN of v3" in out
    # the audit page says it
    assert 'data-testid="broken-seal"' in page(
        client, cast.erin, "slas:signing_audit", agreement.pk
    )
    # the verify API does not vouch for the export any more
    result = verify_api(cast, document=export)
    assert result["matched"] and result["seal"]["intact"] is False
    # the version page shows the broken seal
    version_page = page(client, cast.bob, "slas:version_detail", v3.pk)
    assert 'data-testid="seal-status"' in version_page and "Seal broken" in version_page
    # and the managers of both parties are told
    assert seal_broken_notified(cast) == {"alice", "carol"}


def test_a_term_rewritten_with_snapshot_hashes_and_chain_recomputed_is_caught_by_the_signature(
    client, capsys, signed
):
    # given a signed version whose chain verifies
    cast, agreement, v3, rnd = signed
    old_hash = rnd.content_hash
    # when a term is rewritten and the snapshot, every hash and the chain are recomputed
    # with the project's own functions
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_term SET definition = %s WHERE version_id = %s AND term = %s",
            ["Any lead marketing says is qualified.", v3.pk, "MQL"],
        )
    forged = version_live_bytes(v3)
    forged_hash = bytes_hash(forged)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_signinground SET content_snapshot = %s, content_hash = %s WHERE id = %s",
            [forged, forged_hash, rnd.pk],
        )
        cursor.execute(
            "UPDATE slas_version SET content_hash = %s WHERE id = %s", [forged_hash, v3.pk]
        )
        cursor.execute(
            "UPDATE slas_signature SET content_hash = %s WHERE version_id = %s",
            [forged_hash, v3.pk],
        )
    rewrite_chain(agreement.pk, old_hash, forged_hash)
    # then every check fails: the attacker could not sign the seal again
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "SEAL BROKEN of v3" in out
    assert "intact (" not in out
    result = verify_api(cast, document=forged)
    assert result["matched"] and result["seal"]["intact"] is False
    certificate = page(client, cast.bob, "slas:signing_certificate", v3.pk)
    assert "Seal broken" in certificate
    assert seal_broken_notified(cast) == {"alice", "carol"}


def test_a_seal_resigned_with_a_key_of_the_attackers_own_is_not_trusted(capsys, signed):
    # given
    _cast, agreement, _v3, rnd = signed
    statement = bytes(rnd.seal_statement)
    own = Ed25519PrivateKey.generate()
    # when the seal is signed again with a key the attacker made
    SigningRound.objects.filter(pk=rnd.pk).update(
        seal_key_id="0123456789abcdef",
        seal_signature=base64.b64encode(own.sign(statement)).decode(),
    )
    # then
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "a key this portal does not know" in out


def test_a_removed_seal_is_not_taken_for_a_round_sealed_before_signatures(capsys, signed):
    # given
    _cast, agreement, _v3, rnd = signed
    # when the signed seal is stripped, hoping to pass as an old round checked by hash only
    SigningRound.objects.filter(pk=rnd.pk).update(
        seal_statement=None, seal_key_id="", seal_signature=""
    )
    # then the "sent" entry of the chain names the seal key: it was removed
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "The signed seal of this round was removed." in out


def test_the_newest_audit_entry_deleted_and_the_head_rolled_back_is_detected(
    client, capsys, signed
):
    # given a signed agreement whose chain verifies
    cast, agreement, _v3, _rnd = signed
    ok, _out = verify_audit_output(capsys, agreement)
    assert ok
    head = AuditHead.objects.get(agreement=agreement)
    newest = AuditEntry.objects.get(agreement=agreement, seq=head.seq)
    previous = AuditEntry.objects.get(agreement=agreement, seq=head.seq - 1)
    # when the newest entry is deleted and the head rolled back to the one before
    AuditEntry.objects.filter(pk=newest.pk)._raw_delete(AuditEntry.objects.db)
    AuditHead.objects.filter(agreement=agreement).update(
        seq=previous.seq, entry_hash=previous.entry_hash
    )
    # then the hash chain alone still links, but the signed checkpoint outside the
    # database names the deleted entry
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "ROLLED BACK" in out
    audit = page(client, cast.erin, "slas:signing_audit", agreement.pk)
    assert 'data-testid="checkpoint"' in audit
    assert seal_broken_notified(cast) == {"alice", "carol"}


def test_a_checkpoint_file_edited_to_match_a_rollback_is_not_the_portals(settings, capsys, signed):
    # given
    _cast, agreement, _v3, _rnd = signed
    files = list(Path(settings.SEAL_CHECKPOINT_DIR).rglob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    facts = json.loads(stored["statement"])
    # when someone also edits the checkpoint to name an earlier entry
    facts["seq"] -= 1
    stored["statement"] = canonical_json(facts).decode()
    files[0].write_text(json.dumps(stored))
    # then
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok
    assert "altered or is not the portal's" in out


def test_an_untouched_signed_agreement_verifies_with_signed_seals(client, capsys, signed):
    # given
    cast, agreement, v3, rnd = signed
    # when
    ok, out = verify_audit_output(capsys, agreement)
    # then
    assert ok
    assert "1 seal(s) verified" in out and "hashes only" not in out
    result = verify_api(cast, document=bytes(rnd.content_snapshot))
    assert result["seal"] == {
        "intact": True,
        "reason": "",
        "signed": True,
        "key_id": rnd.seal_key_id,
    }
    version_page = page(client, cast.bob, "slas:version_detail", v3.pk)
    assert f"signed by the portal's key {rnd.seal_key_id}" in version_page
    assert seal_broken_notified(cast) == set()


def test_a_round_sealed_before_signatures_shows_so_and_verifies_by_hash(
    client, capsys, cast, monkeypatch
):
    # given a round signed before seals carried a signature (nothing signed, no seal key
    # named in its "sent" entry)
    from slas.signing import activation, services

    monkeypatch.setattr(services, "signing_round_seal_write", lambda **kwargs: None)
    monkeypatch.setattr(activation, "signing_round_seal_write", lambda **kwargs: None)
    monkeypatch.setattr(services, "seal_key_id", lambda: None)
    agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    rnd = SigningRound.objects.get(version=v3, status="completed")
    assert rnd.seal_statement is None
    # when / then it is intact, and says it was checked by its hashes only
    ok, out = verify_audit_output(capsys, agreement)
    assert ok and "1 sealed before signatures: hashes only" in out
    certificate = page(client, cast.bob, "slas:signing_certificate", v3.pk)
    assert "Seal intact" in certificate and "Sealed before signatures" in certificate
    version_page = page(client, cast.bob, "slas:version_detail", v3.pk)
    assert "Sealed before signatures" in version_page
    # and a changed term still breaks it
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_term SET definition = %s WHERE version_id = %s", ["Changed.", v3.pk]
        )
    ok, out = verify_audit_output(capsys, agreement)
    assert not ok and "SEAL BROKEN of v3" in out


def test_the_seal_file_verifies_with_the_public_key_alone(client, signed, tmp_path):
    # given the export and its seal file, as a third party receives them
    cast, _agreement, v3, rnd = signed
    client.force_login(cast.bob)
    export = client.get(reverse("slas:signing_export_json", args=[v3.pk])).content
    seal = client.get(reverse("slas:signing_export_seal", args=[v3.pk])).json()
    # when checked with the public key only (no portal, no database)
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_pem_public_key(seal["public_key"].encode())
    statement = seal["seal"]["statement"].encode()
    public.verify(base64.b64decode(seal["seal"]["signature"]), statement)
    head = seal["chain_head"]
    public.verify(base64.b64decode(head["signature"]), head["statement"].encode())
    # then the signed statement names the export's hash and who signed
    facts = json.loads(statement)
    assert facts["content_hash"] == hashlib.sha256(export).hexdigest() == rnd.content_hash
    assert [s["full_name"] for s in facts["signatures"]] == ["Alice Anders", "Carol Cruz"]


def third_party_files(client, cast, v3, tmp_path):
    client.force_login(cast.bob)
    export = tmp_path / "export.json"
    export.write_bytes(client.get(reverse("slas:signing_export_json", args=[v3.pk])).content)
    seal = tmp_path / "export.json.seal.json"
    seal.write_bytes(client.get(reverse("slas:signing_export_seal", args=[v3.pk])).content)
    public = tmp_path / "seal-public.pem"
    call_command("seal_key", "public", stdout=(out := io.StringIO()))
    public.write_text(out.getvalue().split("\n", 1)[1])  # after the "# key id" line
    return export, seal, public


def run_verify_seal(*paths) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_seal.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},  # no portal settings: a stranger's machine
        cwd=tmp_dir(),
    )


def tmp_dir() -> str:
    return str(Path(tempfile.gettempdir()))


def test_a_third_party_verifies_the_export_with_the_command_line_and_the_public_key(
    client, signed, tmp_path
):
    # given the export, its seal file and the published public key
    cast, _agreement, v3, _rnd = signed
    export, seal, public = third_party_files(client, cast, v3, tmp_path)
    # when
    result = run_verify_seal(export, seal, public)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: sealed by key" in result.stdout
    assert "signed by Alice Anders" in result.stdout


def test_the_command_line_rejects_an_export_changed_by_one_byte(client, signed, tmp_path):
    # given
    cast, _agreement, v3, _rnd = signed
    export, seal, public = third_party_files(client, cast, v3, tmp_path)
    # when one byte of the export is changed
    data = bytearray(export.read_bytes())
    data[data.index(b'"hours":24') + len(b'"hours":')] = ord("4")
    export.write_bytes(bytes(data))
    # then
    result = run_verify_seal(export, seal, public)
    assert result.returncode == 1
    assert "the export was changed" in result.stdout


def test_the_command_line_rejects_another_key(client, signed, tmp_path):
    # given
    cast, _agreement, v3, _rnd = signed
    export, seal, public = third_party_files(client, cast, v3, tmp_path)
    # when the verifier is handed a key that is not the portal's
    from cryptography.hazmat.primitives import serialization

    public.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # then
    result = run_verify_seal(export, seal, public)
    assert result.returncode == 1
    assert "not this public key's" in result.stdout
