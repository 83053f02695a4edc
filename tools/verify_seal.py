#!/usr/bin/env python3
"""Verify an agreement exported from the SLA portal, outside the portal (docs/security.md).

    python3 tools/verify_seal.py agreement1-v3.json agreement1-v3.json.seal.json seal-public.pem

Needs Python 3.10+ and the `cryptography` package only: no portal, no database. Checks that
the seal statement carries a valid Ed25519 signature of the public key given (the one the
portal publishes, `manage.py seal_key public`), that the export's SHA-256 is the content
hash the statement seals, and that the chain-head checkpoint is signed too. Prints what the
seal says (agreement, version, round, who signed when) and exits 0; 1 if anything fails.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _signed(key: Ed25519PublicKey, part: dict) -> bool:
    try:
        key.verify(base64.b64decode(part["signature"]), part["statement"].encode())
    except (InvalidSignature, KeyError, ValueError):
        return False
    return part.get("key_id") == _key_id(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the signed JSON export, as downloaded")
    parser.add_argument("seal", type=Path, help="its .seal.json file")
    parser.add_argument("public_key", type=Path, help="the portal's public key (PEM)")
    args = parser.parse_args(argv)

    key = serialization.load_pem_public_key(args.public_key.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        print("FAIL: the public key is not an Ed25519 key.")
        return 1
    seal_file = json.loads(args.seal.read_text())
    failures = []
    if not _signed(key, seal_file.get("seal", {})):
        failures.append("the seal's signature is not this public key's (or the seal was altered)")
    statement = json.loads(seal_file["seal"]["statement"])
    export_hash = hashlib.sha256(args.export.read_bytes()).hexdigest()
    if statement.get("content_hash") != export_hash:
        failures.append(
            f"the export's SHA-256 {export_hash} is not the sealed content hash "
            f"{statement.get('content_hash')} (the export was changed)"
        )
    if not _signed(key, seal_file.get("chain_head", {})):
        failures.append("the chain-head checkpoint's signature is not this public key's")
    if failures:
        for failure in failures:
            print(f"FAIL: {failure}")
        return 1
    head = json.loads(seal_file["chain_head"]["statement"])
    print(f"OK: sealed by key {_key_id(key)}")
    print(
        f"agreement {statement['agreement']}, version {statement['version_number']}, "
        f"round {statement['round']} ({statement['state']})"
    )
    print(f"content hash {statement['content_hash']}")
    for signature in statement.get("signatures", []):
        print(f"signed by {signature['full_name']} at {signature['signed_at']}")
    print(
        f"audit chain at sealing: entry {statement['chain']['seq']}; at issue: entry "
        f"{head['seq']} {head['entry_hash']} ({head['at']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
