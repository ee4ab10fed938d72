"""Signing keys: a local CA and one key per issuing organisation, created on first use.

Layout of ``<home>/keys/`` (directory 0700, every file 0600 — the private keys are encrypted,
but certificates and the passphrase file need not be readable by anyone else either)::

    ca.key.pem  ca.crt.pem          the local CA (key: encrypted PKCS#8)
    orgs/<id>.p12                   generated key + certificate of one organisation
    imported/<id>.p12               an office's own PKCS#12, re-encrypted; wins over orgs/
    trust/<sha256>.pem              extra trust anchors brought in by imports
    checked/<sha256>.json           certificates of a key file loaded and checked once (checked.py)
    passphrase                      only when neither configuration nor environment gives one

``<id>`` is derived from the organisation's name, so no index file can drift from the keys.
The passphrase comes from ``$SANFANG_KEY_PASSPHRASE``, else the setting
``signing.passphrase``; with neither (no setup at all), a random one is created in
``keys/passphrase`` so that signing works out of the box and the keys are still not stored
in the clear beside an empty password.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ..errors import SigningError, ValidationError
from ..interview.validate import text_problem
from ..workspace import Workspace
from . import checked

PASSPHRASE_ENV = "SANFANG_KEY_PASSPHRASE"
CA_YEARS = 30
ORG_YEARS = 5
# A generated certificate this close to its end is replaced before it signs again, so an
# office never meets an expired built-in certificate.
RENEW_BEFORE = timedelta(days=90)
SignKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
# The issuing body's kind (Document.issuer_role), as the certificate's OU says it.
ROLE_NAMES = {"street": "街道党工委", "community": "社区党组织", "preparatory_group": "小区党支部筹备组",
              "compound": "小区党支部", "owners": "业主委员会/物业管理委员会", "property": "物业服务企业",
              "residents": "居民委员会"}


@dataclass
class SigningKey:
    """One organisation's key and certificate chain, ready to sign."""

    org: str
    source: str  # "generated" | "imported"
    key: SignKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)  # issuers above the cert
    path: Path | None = None

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex()

    @property
    def common_name(self) -> str:
        names = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.org


def org_id(org: str) -> str:
    """A file name for an organisation: stable, and safe whatever characters the name has."""
    return hashlib.sha256(normalise(org).encode("utf-8")).hexdigest()[:20]


def normalise(org: str) -> str:
    """The organisation's name as keys are filed under; one the field gate would refuse
    (private-use, control or emoji characters …) never names a certificate."""
    name = " ".join(org.split())
    problem = text_problem("发文机关", "org", name)
    if problem:
        raise ValidationError([problem])
    return name


GETA = "〓"  # the typesetter's mark for a character the type case lacks


@functools.cache
def _name_safe(char: str) -> bool:
    try:
        _ = asn1_x509.Name.build({"common_name": char}).hashable  # LDAP string prep, as validators do
    except ValueError:
        return False
    return True


def certificate_name(org: str) -> str:
    """``org`` as a certificate's subject can hold it. Validators compare X.509 names after
    LDAP string preparation (RFC 4518, on Unicode 3.2): a 生僻字 of Extension C or later is
    "unassigned" there, and a certificate naming it is never trusted. Such characters are
    written as 〓 in the certificate; the key is still filed and found under the real name."""
    safe = "".join(c if _name_safe(c) else GETA for c in org)
    if safe != org:
        logging.getLogger(__name__).warning(
            "“%s”中有数字证书无法记载的字符（X.509 名称只能用 Unicode 3.2 的字符），证书中写作“%s”", org, safe)
    return safe


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


class KeyStore:
    def __init__(self, workspace: Workspace):
        self.ws = workspace
        self.dir = workspace.keys_dir
        self._cache: dict[tuple[str, int], SigningKey] = {}
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._lock_file: IO[str] | None = None

    # -- the passphrase ----------------------------------------------------------------------

    def passphrase(self) -> bytes:
        configured = os.environ.get(PASSPHRASE_ENV) or (self.ws.setting("signing") or {}).get("passphrase")
        if configured:
            return str(configured).encode("utf-8")
        path = self.dir / "passphrase"
        if not path.exists():
            with self._locked():
                if not path.exists():
                    self._write(path, secrets.token_urlsafe(32).encode())
        return path.read_bytes().strip()

    # -- looking keys up ---------------------------------------------------------------------

    def signing_key(self, org: str, role: str = "") -> SigningKey:
        """The key that signs for ``org``: the imported one if any, else the generated one.

        Raises SigningError for anything that would make a bad signature (expired, not yet
        valid, key and certificate not a pair, a key not meant for signing).
        """
        org = normalise(org)
        if not org:
            raise SigningError("无法签名：文件没有发文机关（责任者），不知道由哪个组织签名。")
        imported = self.dir / "imported" / f"{org_id(org)}.p12"
        if imported.exists():
            key = self._load(imported, org, "imported")
            check_usable(key, "导入的证书")
            return key
        generated = self.dir / "orgs" / f"{org_id(org)}.p12"
        if not generated.exists() or self._needs_renewal(generated, org):
            with self._locked():
                if not generated.exists() or self._needs_renewal(generated, org):
                    self._issue(org, role, generated)
        key = self._load(generated, org, "generated")
        check_usable(key, "系统生成的证书")
        return key

    def trust_roots(self) -> list[x509.Certificate]:
        """Anchors that verification trusts: the local CA and whatever imports brought."""
        roots = [self.ca_cert()] if (self.dir / "ca.crt.pem").exists() else []
        trust = self.dir / "trust"
        if trust.is_dir():
            for pem in sorted(trust.glob("*.pem")):
                roots.extend(x509.load_pem_x509_certificates(pem.read_bytes()))
        return roots

    def entries(self) -> Iterator[SigningKey]:
        """Every stored key (imported first), for ``sanfang keys list``."""
        for source in ("imported", "orgs"):
            folder = self.dir / source
            if folder.is_dir():
                for path in sorted(folder.glob("*.p12")):
                    yield self._load(path, "", "imported" if source == "imported" else "generated")

    # -- the local CA ------------------------------------------------------------------------

    def ca_cert(self) -> x509.Certificate:
        """The CA certificate, created on first use; its key is only decrypted to issue."""
        cert_file, key_file = self.dir / "ca.crt.pem", self.dir / "ca.key.pem"
        if not cert_file.exists():
            with self._locked():
                if not cert_file.exists():
                    self._create_ca(cert_file, key_file)
        return x509.load_pem_x509_certificate(cert_file.read_bytes())

    def _ca_key(self) -> SignKey:
        data = (self.dir / "ca.key.pem").read_bytes()
        try:
            key = serialization.load_pem_private_key(data, self.passphrase())
        except (ValueError, TypeError):
            raise SigningError(_WRONG_PASSPHRASE.format(what="本地根证书私钥")) from None
        assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        return key

    def _new_key(self) -> rsa.RSAPrivateKey:
        # RSA, not ECDSA: pyHanko marks an ECDSA-signed file as PDF 2.0 (ISO 32002), which
        # PDF/A-3 forbids. 3072 bits for records kept 永久 (128-bit strength past 2030).
        bits = int(os.environ.get("SANFANG_KEY_BITS") or (self.ws.setting("signing") or {}).get("key_bits") or 3072)
        if bits < 2048:
            raise SigningError(f"密钥长度 {bits} 位太短，RSA 至少 2048 位（设置项 signing.key_bits）。")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)

    def _create_ca(self, cert_file: Path, key_file: Path) -> None:
        key = self._new_key()
        fonds = str(self.ws.setting("fonds_id"))
        # A random tag in the name: two workspaces must never present two different CAs
        # under one name (NSS and Acrobat match issuers by name first).
        name = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, f"三方联动文书系统本地根证书 {fonds} {secrets.token_hex(3)}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "三方联动文书系统"),
        ])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(sign=False, ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        enc = serialization.BestAvailableEncryption(self.passphrase())
        self._write(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
        self._write(cert_file, cert.public_bytes(serialization.Encoding.PEM))

    def _issue(self, org: str, role: str, target: Path) -> None:
        ca_cert = self.ca_cert()
        ca_key = self._ca_key()
        key = self._new_key()
        name = certificate_name(org)
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)]
        if role:
            subject.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROLE_NAMES.get(role, role)))
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * ORG_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(sign=True, ca=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)  # type: ignore[arg-type]
            .sign(ca_key, hashes.SHA256())
        )
        self._store(target, org, key, cert, [ca_cert])

    def _needs_renewal(self, path: Path, org: str) -> bool:
        cert = self._load(path, org, "generated").cert
        return cert.not_valid_after_utc - datetime.now(UTC) < RENEW_BEFORE

    # -- import ------------------------------------------------------------------------------

    def import_pkcs12(self, data: bytes, password: str | None, org: str | None = None) -> SigningKey:
        """Take an office's own PKCS#12; it signs for ``org`` (default: its certificate's name).

        Checked before anything is stored: the passphrase, that key and certificate are a pair,
        the validity period, and that the key may sign. A file that fails stores nothing.
        """
        try:
            bundle = pkcs12.load_pkcs12(data, password.encode("utf-8") if password else None)
        except ValueError:
            raise SigningError("无法打开 PKCS#12 文件：口令错误，或文件已损坏。未导入任何证书。") from None
        certs = [c.certificate for c in bundle.additional_certs]
        if bundle.key is None or (bundle.cert is None and not certs):
            raise SigningError("PKCS#12 文件中缺少私钥或证书，无法用于签名。未导入任何证书。")
        key = bundle.key
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise SigningError("PKCS#12 文件中的私钥类型不受支持（只支持 RSA 和 ECDSA）。未导入任何证书。")
        if bundle.cert is not None:
            cert = bundle.cert.certificate
        else:
            # Some tools leave the key's own certificate unmarked among the others: it is the one
            # whose public key is the key's (none: key and certificates do not belong together).
            mine = [c for c in certs if _public_der(c.public_key()) == _public_der(key.public_key())]
            cert = mine[0] if mine else certs[0]
        chain = [c for c in certs if c != cert]
        name = normalise(org or _subject_name(cert))
        candidate = SigningKey(name, "imported", key, cert, chain)
        check_usable(candidate, "导入的证书")
        target = self.dir / "imported" / f"{org_id(name)}.p12"
        with self._locked():
            self._store(target, name, key, cert, chain)
            # Verification must later trust this certificate: anchor the top of its chain, or
            # the certificate itself when the file carries no issuer.
            anchor = chain[-1] if chain else cert
            self._write(self.dir / "trust" / f"{fingerprint(anchor)}.pem",
                        anchor.public_bytes(serialization.Encoding.PEM))
        return self._load(target, name, "imported")

    # -- storage -----------------------------------------------------------------------------

    def _store(self, target: Path, org: str, key: SignKey, cert: x509.Certificate,
               chain: list[x509.Certificate]) -> None:
        enc = serialization.BestAvailableEncryption(self.passphrase())
        blob = pkcs12.serialize_key_and_certificates(org.encode("utf-8"), key, cert, chain or None, enc)
        self._write(target, blob)

    def _load(self, path: Path, org: str, source: str) -> SigningKey:
        stat = path.stat()
        # Decrypting a PKCS#12 runs a key-derivation function: pay it once per process.
        cache_key = (str(path), stat.st_mtime_ns)
        if cache_key in self._cache:
            return self._cache[cache_key]
        data = path.read_bytes()
        known = checked.load(self.dir, data, self.passphrase())  # checked before: no RSA check again
        if known is None:
            try:
                bundle = pkcs12.load_pkcs12(data, self.passphrase())
            except ValueError:
                raise SigningError(_WRONG_PASSPHRASE.format(what=f"密钥文件 {path.name}")) from None
            if bundle.key is None or bundle.cert is None:
                raise SigningError(f"密钥文件 {path} 不完整（缺少私钥或证书）。")
            known = (bundle.key, bundle.cert.certificate, [c.certificate for c in bundle.additional_certs],
                     (bundle.cert.friendly_name or b"").decode("utf-8", "replace"))
            checked.remember(self._write, self.dir, data, known[3], known[1], known[2])
        assert isinstance(known[0], ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        key = SigningKey(org or known[3], source, known[0], known[1], known[2], path)
        self._cache[cache_key] = key
        return key

    def _write(self, path: Path, data: bytes) -> None:
        _private_dir(self.dir)
        _write_private(path, data)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Several processes may meet a fresh workspace at once: one creates, the others wait.
        # Re-entrant within the process (creating an organisation's key creates the CA, which
        # may create the passphrase): a second flock on a new descriptor would wait forever.
        with self._thread_lock:
            if self._depth == 0:
                _private_dir(self.dir)
                self._lock_file = open(self.dir / ".lock", "a")  # noqa: SIM115 - held across yields
                fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_file is not None:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                    self._lock_file.close()
                    self._lock_file = None


_WRONG_PASSPHRASE = ("无法解密{what}：密钥口令不正确。请检查环境变量 " + PASSPHRASE_ENV
                     + " 或设置项 signing.passphrase 是否与创建密钥时相同。")


def check_usable(key: SigningKey, label: str) -> None:
    """Refuse a key that would make a signature no verifier accepts."""
    cert = key.cert
    now = datetime.now(UTC)
    if cert.not_valid_after_utc < now:
        raise SigningError(f"{label}（{key.common_name}）已于 {cert.not_valid_after_utc:%Y-%m-%d} 过期，不能签名。"
                           "请用 sanfang keys import 导入有效的证书。")
    if cert.not_valid_before_utc > now + timedelta(minutes=5):
        raise SigningError(f"{label}（{key.common_name}）自 {cert.not_valid_before_utc:%Y-%m-%d} 起才生效，现在不能签名。")
    if _public_der(key.key.public_key()) != _public_der(cert.public_key()):
        raise SigningError(f"{label}（{key.common_name}）与私钥不匹配：私钥不属于该证书，不能签名。")
    # Verifiers (pyHanko, Acrobat) want the key usage stated: a certificate without it would
    # sign, and every check of the signature would then fail.
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise SigningError(f"{label}（{key.common_name}）的密钥用途不包括数字签名"
                           "（digitalSignature 或 nonRepudiation），不能签名。")


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _subject_name(cert: x509.Certificate) -> str:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    raise SigningError("证书中没有组织名称，请用 --org 指定它为哪个组织签名。")


def _key_usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Write owner-only, atomically: a reader never sees half a key."""
    _private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
