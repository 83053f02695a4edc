"""Signing API: send, sign, decline, withdraw, certificate, verify. Same services as the pages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import permissions
from portal.api.fields import StrictCharField
from portal.forms import client_address
from slas.models import Version, VersionState, VersionStatus
from slas.signing import selectors as signing_selectors
from slas.signing.integrity import seal_file, signing_round_seal_check
from slas.signing.models import (
    REMINDER_AFTER_DAYS,
    REMINDER_EVERY_DAYS,
    REQUEST_EXPIRY_DAYS,
    RoundStatus,
    SigningOrder,
)
from slas.signing.rounds import SigningError
from slas.signing.seal import SealCheck, bytes_hash, chunks_hash, signing_round_snapshot
from slas.signing.services import (
    signature_add,
    signing_decline,
    signing_withdraw,
    version_send_for_signature,
)


def _version(request, pk: int):
    return permissions.get_visible_or_404(
        permissions.visible_versions(request.user).select_related("agreement"), pk=pk
    )


def _seal_data(seal: SealCheck | None) -> dict | None:
    if seal is None:
        return None
    return {
        "intact": seal.intact,
        "reason": seal.reason,
        "signed": seal.signed,
        "key_id": seal.key_id,
    }


def _refused(error: SigningError) -> Response:
    """A refusal in the API's one error body (portal.api.errors): 400 for input a person
    typed wrong (code `invalid`), 409 for an action the version's state does not allow."""
    body: dict = {"code": error.code, "detail": error.message}
    if error.field_errors:
        body["errors"] = {
            name: [{"message": str(message), "code": error.code}]
            for name, message in error.field_errors.items()
        }
    return Response(
        body,
        status=status.HTTP_409_CONFLICT if error.code != "invalid" else status.HTTP_400_BAD_REQUEST,
    )


def _refusals(codes: dict[str, str]) -> OpenApiResponse:
    """The 409 answer of a signing action, each `code` it can carry with its meaning."""
    return OpenApiResponse(
        description="Refused in the version's current state; the body's `code` says why: "
        + "; ".join(f"`{code}`: {meaning}" for code, meaning in codes.items())
        + "."
    )


INVALID_SIGNATURE = OpenApiResponse(
    description="The input is not valid (code `invalid`): see `errors` (e.g. a wrong "
    "password or typed name, no consent, a missing comment)."
)
NOT_PENDING = {"not_pending": "the version is not awaiting signatures"}


class SendSerializer(serializers.Serializer):
    order = serializers.ChoiceField(choices=SigningOrder.choices, default=SigningOrder.PARALLEL)
    signers = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="Usernames."
    )
    request_expiry_days = serializers.IntegerField(
        required=False,
        min_value=REQUEST_EXPIRY_DAYS[0],
        max_value=REQUEST_EXPIRY_DAYS[1],
        help_text="Days an unsigned request stays open (from when it opens); "
        "default: the agreement's. Kept on the agreement.",
    )
    reminder_after_days = serializers.IntegerField(
        required=False,
        min_value=REMINDER_AFTER_DAYS[0],
        max_value=REMINDER_AFTER_DAYS[1],
        help_text="Days before the first reminder, fewer than the expiry days; "
        "default: the agreement's. Kept on the agreement.",
    )
    reminder_every_days = serializers.IntegerField(
        required=False,
        min_value=REMINDER_EVERY_DAYS[0],
        max_value=REMINDER_EVERY_DAYS[1],
        help_text="Days between later reminders (0: one reminder only); "
        "default: the agreement's. Kept on the agreement.",
    )


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False)
    full_name = serializers.CharField()
    consent = serializers.BooleanField()
    content_hash = StrictCharField(max_length=64)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class VerifySerializer(serializers.Serializer):
    content_hash = StrictCharField(required=False, allow_blank=True, default="")
    # Verbatim: any added or removed byte, whitespace included, must fail verification.
    document = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="The exported JSON, verbatim.",
    )
    file = serializers.FileField(
        required=False,
        help_text="A file the portal handed out for a signed version, as downloaded "
        "(multipart/form-data): the document PDF, the certificate PDF or the JSON export. "
        "Checked first, then document, then content_hash.",
    )

    def validate(self, attrs):
        if (
            attrs.get("file") is None
            and not attrs["content_hash"].strip()
            and not attrs["document"]
        ):
            raise serializers.ValidationError(_("Give file, document or content_hash."))
        return attrs


# Answers (documented, and checked against real answers by the schema tests) ---------------


class RoundAnswerSerializer(serializers.Serializer):
    round = serializers.IntegerField(help_text="The signing round's number for this version.")
    status = serializers.ChoiceField(choices=RoundStatus.choices)
    order = serializers.ChoiceField(choices=SigningOrder.choices)
    content_hash = serializers.CharField(help_text="SHA-256 of the content sent for signature.")
    version_status = serializers.ChoiceField(choices=VersionStatus.choices)
    version_state = serializers.ChoiceField(
        choices=VersionState.choices, help_text="The version's state after the action."
    )
    version_state_label = serializers.CharField()


class SignAnswerSerializer(serializers.Serializer):
    signed_for = serializers.ListField(
        child=serializers.CharField(), help_text="The teams or people you signed for."
    )
    version_status = serializers.ChoiceField(choices=VersionStatus.choices)
    version_state = serializers.ChoiceField(choices=VersionState.choices)
    version_state_label = serializers.CharField()


class SignerSerializer(serializers.Serializer):
    name = serializers.CharField()
    typed_name = serializers.CharField()
    username = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    role = serializers.CharField()
    signed_at = serializers.DateTimeField()
    ip_address = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField(allow_blank=True)


class AuditLineSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_blank=True)
    entry_hash = serializers.CharField()


class AgreementRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class SealSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class CertificateSerializer(serializers.Serializer):
    agreement = AgreementRefSerializer()
    version = serializers.IntegerField(help_text="The version's number.")
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    state = serializers.ChoiceField(choices=VersionState.choices)
    state_label = serializers.CharField()
    content_hash = serializers.CharField()
    seal = SealSerializer()
    document = serializers.CharField(
        allow_null=True, help_text="The canonical JSON that was signed, verbatim."
    )
    in_force_from = serializers.DateTimeField(allow_null=True)
    in_force_until = serializers.DateTimeField(allow_null=True)
    signers = SignerSerializer(many=True)
    audit = AuditLineSerializer(many=True)


class VerifiedVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.CharField()
    number = serializers.IntegerField()


class VerifiedSignerSerializer(serializers.Serializer):
    name = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField()


class VerifyAnswerSerializer(serializers.Serializer):
    matched = serializers.BooleanField()
    signed = serializers.BooleanField()
    content_hash = serializers.CharField(allow_blank=True)
    version = VerifiedVersionSerializer(allow_null=True)
    signers = VerifiedSignerSerializer(many=True)


def _round_data(rnd) -> dict:
    version = Version.objects.get(pk=rnd.version_id)  # as the action left it
    return {
        "round": rnd.number,
        "status": rnd.status,
        "order": rnd.order,
        "content_hash": rnd.content_hash,
        "version_status": version.status,
        "version_state": version.state,
        "version_state_label": version.state_label,
    }


class VersionSendView(APIView):
    @extend_schema(
        summary="Send a draft for signature",
        tags=["signing"],
        request=SendSerializer,
        responses={
            201: RoundAnswerSerializer,
            400: OpenApiResponse(
                description="Unknown username in signers, or reminder and expiry days out "
                "of range or a first reminder not before the expiry (code `invalid`)."
            ),
            409: _refusals(
                {
                    "not_draft": "only a draft is sent",
                    "another_awaiting": "another version of the agreement awaits signatures",
                    "stale_base": "the draft is based on a version older than the one in "
                    "force: rebase it first (POST versions/{id}/rebase/)",
                    "no_summary": "the draft has no change summary",
                    "bad_order": "unknown signing order",
                    "no_manager": "a party team has no manager who could sign",
                    "bad_signer": "a named signer cannot see the agreement",
                }
            ),
        },
    )
    def post(self, request, pk: int):
        version = _version(request, pk)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        names = serializer.validated_data["signers"]
        users = list(get_user_model().objects.filter(username__in=names))
        if len(users) != len(set(names)):
            return Response(
                {"code": "invalid", "detail": _("Unknown username in signers.")}, status=400
            )
        try:
            rnd = version_send_for_signature(
                version=version,
                actor=request.user,
                signers=users,
                order=serializer.validated_data["order"],
                reminder_after_days=serializer.validated_data.get("reminder_after_days"),
                reminder_every_days=serializer.validated_data.get("reminder_every_days"),
                request_expiry_days=serializer.validated_data.get("request_expiry_days"),
            )
        except SigningError as error:
            return _refused(error)
        return Response(_round_data(rnd), status=status.HTTP_201_CREATED)


class VersionSignView(APIView):
    @extend_schema(
        summary="Sign a version awaiting signatures",
        tags=["signing"],
        request=SignSerializer,
        responses={
            201: SignAnswerSerializer,
            400: INVALID_SIGNATURE,
            409: _refusals(
                {
                    **NOT_PENDING,
                    "already_signed": "you have signed already",
                    "not_your_turn": "sequential order: someone signs before you",
                    "stale": "the content hash you read is not the one sent",
                }
            ),
        },
    )
    def post(self, request, pk: int):
        version = _version(request, pk)
        if version.status == VersionStatus.PENDING_SIGNATURE:
            # Only its required signatories; anything else is the service's to refuse (409).
            permissions.require(permissions.can_sign_version(request.user, version))
        serializer = SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            signatures = signature_add(
                version=version,
                user=request.user,
                password=data["password"],
                full_name=data["full_name"],
                consent=data["consent"],
                content_hash_seen=data["content_hash"],
                ip_address=client_address(request) or None,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except SigningError as error:
            return _refused(error)
        version.refresh_from_db()
        return Response(
            {
                "signed_for": [s.request.label for s in signatures],
                "version_status": version.status,
                "version_state": version.state,
                "version_state_label": version.state_label,
            },
            status=status.HTTP_201_CREATED,
        )


class VersionDeclineView(APIView):
    @extend_schema(
        summary="Decline to sign (the version goes back to draft)",
        tags=["signing"],
        request=CommentSerializer,
        responses={
            200: RoundAnswerSerializer,
            400: INVALID_SIGNATURE,
            409: _refusals(
                {**NOT_PENDING, "already_signed": "you signed; the sender may withdraw instead"}
            ),
        },
    )
    def post(self, request, pk: int):
        version = _version(request, pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            rnd = signing_decline(
                version=version, user=request.user, comment=serializer.validated_data["comment"]
            )
        except SigningError as error:
            return _refused(error)
        return Response(_round_data(rnd))


class VersionWithdrawView(APIView):
    @extend_schema(
        summary="Withdraw a version before it takes force",
        tags=["signing"],
        request=CommentSerializer,
        description="Awaiting signatures: its sender withdraws it, and it is a draft "
        "again. Signed by every party and not yet in force (scheduled): a manager of a team "
        "that signed it withdraws it, with a comment (required); it never takes force.",
        responses={
            200: RoundAnswerSerializer,
            400: INVALID_SIGNATURE,
            409: _refusals(
                {
                    "not_withdrawable": "the version is in force, past, or otherwise not "
                    "awaiting signatures or scheduled",
                    **NOT_PENDING,
                }
            ),
        },
    )
    def post(self, request, pk: int):
        version = _version(request, pk)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            rnd = signing_withdraw(
                version=version, user=request.user, comment=serializer.validated_data["comment"]
            )
        except SigningError as error:
            return _refused(error)
        return Response(_round_data(rnd))


class VersionCertificateView(APIView):
    @extend_schema(
        summary="Certificate of completion of a signed version",
        tags=["signing"],
        responses={200: CertificateSerializer},
    )
    def get(self, request, pk: int):
        version = _version(request, pk)
        certificate = signing_selectors.certificate_for(version)
        if certificate is None:
            raise NotFound(_("This version has no completed signing round."))
        seal = signing_round_seal_check(rnd=certificate.round)
        document = signing_round_snapshot(certificate.round)
        return Response(
            {
                "agreement": {"id": version.agreement_id, "title": version.agreement.title},
                "version": version.number,
                "status": version.status,
                "state": version.state,
                "state_label": version.state_label,
                "content_hash": certificate.round.content_hash,
                "seal": _seal_data(seal),
                # The signed seal and a signed checkpoint of the audit chain head, to keep
                # with the document: they verify with the portal's public key alone.
                "seal_file": seal_file(certificate.round),
                # The canonical JSON export, verbatim (the bytes that were hashed and signed):
                # post it as `document` to signing/verify/.
                "document": document.decode("utf-8") if document is not None else None,
                "in_force_from": version.in_force_from,
                "in_force_until": version.in_force_until,
                "signers": [
                    {
                        "name": s.user.get_full_name(),
                        "typed_name": s.full_name,
                        "username": s.user.username,
                        "team": s.team.name if s.team_id else None,
                        "role": s.role,
                        "signed_at": s.signed_at,
                        "ip_address": s.ip_address,
                        "user_agent": s.user_agent,
                    }
                    for s in certificate.signatures
                ],
                "audit": [
                    {
                        "seq": e.seq,
                        "at": e.at,
                        "action": e.action,
                        "actor": e.actor_name,
                        "entry_hash": e.entry_hash,
                    }
                    for e in certificate.audit
                ],
            }
        )


class SigningVerifyView(APIView):
    # A POST that only reads: read-only tokens may verify.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Verify a signed document or content hash",
        tags=["signing"],
        request=VerifySerializer,
        responses={200: VerifyAnswerSerializer},
    )
    def post(self, request):
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        document = serializer.validated_data["document"]
        if upload is not None:
            content_hash = chunks_hash(upload.chunks())
        elif document:
            content_hash = bytes_hash(document.encode("utf-8"))
        else:
            content_hash = serializer.validated_data["content_hash"]
        result = signing_selectors.version_verify(request.user, content_hash)
        return Response(
            {
                "matched": result.matched,
                "signed": result.signed,
                # Whether the signed record still holds (None: no signed version matched).
                # A match with a broken seal is not a proof of what was signed.
                "seal": _seal_data(result.seal),
                "content_hash": result.content_hash,
                "version": {
                    "id": result.version.pk,
                    "agreement": result.version.agreement.title,
                    "number": result.version.number,
                }
                if result.version
                else None,
                # The PDF the hash belongs to (None: the signed JSON or its content hash).
                "copy": {
                    "kind": result.copy.kind,
                    "first_issued_at": result.copy.first_issued_at,
                }
                if result.copy
                else None,
                "signers": [
                    {
                        "name": s.user.get_full_name(),
                        "team": s.team.name if s.team_id else None,
                        "signed_at": s.signed_at,
                    }
                    for s in result.signatures
                ],
            }
        )
