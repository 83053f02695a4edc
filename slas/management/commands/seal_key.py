"""The seal key (docs/security.md): `generate` a new one, print the `public` keys to publish."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from slas.signing.keys import key_id, public_key_pem, seal_key_id, seal_public_keys


class Command(BaseCommand):
    help = (
        "generate: print a new Ed25519 seal key (SEAL_PRIVATE_KEY) and its public key; "
        "public: print the public keys that verify this portal's seals (PEM), to publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["generate", "public"])

    def handle(self, *args, action, **options):
        if action == "generate":
            key = Ed25519PrivateKey.generate()
            raw = key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            self.stdout.write(f"SEAL_PRIVATE_KEY={base64.b64encode(raw).decode()}")
            self.stdout.write(f"# key id {key_id(key.public_key())}; public key:")
            self.stdout.write(public_key_pem(key.public_key()))
            return
        current = seal_key_id()
        for kid, public in seal_public_keys().items():
            note = "current" if kid == current else "retired, still verifies old seals"
            self.stdout.write(f"# key id {kid} ({note})")
            self.stdout.write(public_key_pem(public))
