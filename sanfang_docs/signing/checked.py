"""A PKCS#12 key file that was loaded and checked once loads again without its RSA check.

cryptography checks an RSA key on every PKCS#12 load (OpenSSL's RSA_check_key, primality tests
on both primes: ~95 ms at 3072 bits, the largest part of what a one-shot ``sanfang make`` spent
on its key; the passphrase's key derivation is ~5 ms). The first load of a file is the full
one (MAC, decryption, key check); it leaves ``keys/checked/<SHA-256 of the file>.json`` with
the file's certificates (public) and name. A later load of the byte-identical file decrypts
the key from the file's own encrypted key bag with the passphrase, as before, but without the
check, and takes the certificates from that note. Anything else (another file, a damaged
note, an unexpected layout, a wrong passphrase) is a full load again; the key store still
refuses a key that is not its certificate's (``keys.check_usable``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

SignKey = Any  # an RSA or EC private key (keys.SignKey)


def note_path(folder: Path, data: bytes) -> Path:
    return folder / "checked" / f"{hashlib.sha256(data).hexdigest()}.json"


def load(folder: Path, data: bytes, passphrase: bytes) -> tuple[SignKey, x509.Certificate, list[x509.Certificate], str] | None:
    """(key, certificate, chain, name) of a file checked before; None: load it in full."""
    try:
        note = json.loads(note_path(folder, data).read_text(encoding="utf-8"))
        certs = [x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in note["certs"]]
        key = serialization.load_der_private_key(_key_bag(data), passphrase, unsafe_skip_rsa_key_validation=True)
        return key, certs[0], certs[1:], str(note["name"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def remember(write: Callable[[Path, bytes], None], folder: Path, data: bytes, name: str,
             cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
    """Leave the note :func:`load` reads, for a file just loaded in full, with the key store's
    own private ``write``; a key store that cannot be written to (a read-only copy) keeps none."""
    pems = [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in [cert, *chain]]
    with contextlib.suppress(OSError):
        write(note_path(folder, data), json.dumps({"name": name, "certs": pems}, ensure_ascii=False).encode("utf-8"))


def _key_bag(data: bytes) -> bytes:
    """The encrypted PKCS#8 key (``pkcs8ShroudedKeyBag``) of a PKCS#12 file as the key store
    writes it (``pkcs12.serialize_key_and_certificates``: the key bag in a plain data part)."""
    from asn1crypto import pkcs12

    safe = pkcs12.AuthenticatedSafe.load(pkcs12.Pfx.load(data)["auth_safe"]["content"].native)
    bags = [bag for part in safe if part["content_type"].native == "data"
            for bag in pkcs12.SafeContents.load(part["content"].native)
            if bag["bag_id"].native == "pkcs8_shrouded_key_bag"]
    if len(bags) != 1:
        raise ValueError("not one key bag")
    return bags[0]["bag_value"].untag().dump()
