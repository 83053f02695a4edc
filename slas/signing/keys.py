"""The seal key: an Ed25519 key held outside the database that signs the seals of signing
rounds and the checkpoints of the audit chain (docs/security.md).

Someone who can write to the database can recompute every hash the portal stores; they
cannot sign without the private key. The key comes from the settings (`SEAL_PRIVATE_KEY`:
PEM or the base64 of the 32 raw bytes; or `SEAL_PRIVATE_KEY_FILE`: a PEM file). Old public
keys stay in `SEAL_PUBLIC_KEYS` after a rotation, so seals made with them still verify.
A key is named by its id: the first 16 hex digits of the SHA-256 of its 32 raw public bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SealKeyError(ImproperlyConfigured):
    """The seal key is missing or unreadable: the portal cannot seal anything."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _private_from_text(text: str, *, where: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise SealKeyError(
            f"{where} is not an Ed25519 private key (PEM, or the base64 of its 32 raw bytes): "
            f"{error}"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SealKeyError(f"{where} is not an Ed25519 key.")
    return key


def _public_from_text(text: str, *, where: str) -> Ed25519PublicKey:
    text = text.strip()
    if not text.startswith("-----BEGIN") and Path(text).is_file():
        text = Path(text).read_text()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise SealKeyError(f"{where} is not an Ed25519 public key: {error}") from error
    if not isinstance(key, Ed25519PublicKey):
        raise SealKeyError(f"{where} is not an Ed25519 key.")
    return key


def _generate_dev_key(path: Path) -> None:
    """Development only (debug on, no key given): a key of this checkout, made once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: two processes starting together keep the first key, never half of one.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


@functools.cache
def _private_key() -> Ed25519PrivateKey:
    text = settings.SEAL_PRIVATE_KEY
    if text:
        return _private_from_text(text, where="SEAL_PRIVATE_KEY")
    path = Path(settings.SEAL_PRIVATE_KEY_FILE) if settings.SEAL_PRIVATE_KEY_FILE else None
    if path is None:
        raise SealKeyError("No seal key: set SEAL_PRIVATE_KEY or SEAL_PRIVATE_KEY_FILE.")
    if not path.exists() and settings.SEAL_DEV_KEY:
        _generate_dev_key(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise SealKeyError(f"SEAL_PRIVATE_KEY_FILE {path} cannot be read: {error}") from error
    return _private_from_text(text, where=f"SEAL_PRIVATE_KEY_FILE {path}")


@functools.cache
def _public_keys() -> dict[str, Ed25519PublicKey]:
    current = _private_key().public_key()
    keys = {key_id(current): current}
    for index, text in enumerate(settings.SEAL_PUBLIC_KEYS):
        key = _public_from_text(text, where=f"SEAL_PUBLIC_KEYS item {index + 1}")
        keys.setdefault(key_id(key), key)
    return keys


def seal_keys_reset() -> None:
    """Forget the loaded keys (tests that change the settings; a rotation needs a restart)."""
    _private_key.cache_clear()
    _public_keys.cache_clear()


def seal_key_id() -> str:
    """The id of the key that signs now."""
    return key_id(_private_key().public_key())


def seal_public_keys() -> dict[str, Ed25519PublicKey]:
    """{key id: public key}: the current key first, then the retired ones still trusted."""
    return dict(_public_keys())


def seal_sign(data: bytes) -> tuple[str, str]:
    """(key id, base64 signature) of `data` with the current key."""
    key = _private_key()
    return key_id(key.public_key()), base64.b64encode(key.sign(data)).decode()


def seal_signature_valid(data: bytes, *, key: str, signature: str) -> bool | None:
    """True: `signature` is the named key's over `data`. False: it is not.
    None: the key is not one this portal knows (not current, not in SEAL_PUBLIC_KEYS)."""
    public = _public_keys().get(key)
    if public is None:
        return None
    try:
        public.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
