"""Signing a filed PDF: record metadata in XMP, answers attached, a PAdES signature by pyHanko.

All three go into one incremental update of the Typst PDF, written by pyHanko: the XMP record
and the attached answers (:func:`sanfang_docs.signing.pdfmeta.write_record`: the next version of
the metadata object, the /AF file), the signature field with its visible note, and the
signature, whose byte range covers the whole file. (The record used to be written first by a
pikepdf rewrite of the whole file, which pyHanko then read again: ~2.5 ms of a ~10 ms signature.)

The signature is PAdES baseline B-B, or B-T when ``signing.timestamp_url`` is configured. Its
visible appearance is one quiet line on the last page only, in the bottom margin (right of the
QR code, well below the page number), saying who signed and when in a Chinese date: text only,
no frame, nothing that looks like a seal (signing/stamp.py draws it). (Kept visible rather than
moved into the XMP alone: a clerk holding the PDF sees at once that it is the signed original.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asn1crypto import algos, cms, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import constants
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from ..documents.layout import GEOMETRY, MM
from ..documents.model import Document
from ..errors import SigningError
from ..workspace import Workspace
from .keys import KeyStore, SigningKey
from .pdfmeta import record_fields, write_record
from .stamp import note_style, stamp_name

FIELD_NAME = "SanfangSignature"


@dataclass
class Signed:
    pdf: bytes
    info: dict[str, Any]  # what record.json and the audit log keep about the signature


class Signer:
    def __init__(self, workspace: Workspace, keys: KeyStore | None = None):
        self.ws = workspace
        self.keys = keys or KeyStore(workspace)
        self._signers: dict[str, _LoadedKeySigner] = {}

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.ws.setting("signing") or {})

    def sign_document(self, pdf: bytes, doc: Document, answers: dict[str, Any]) -> Signed:
        """Metadata and answers into the PDF, then the issuing organisation's signature."""
        key = self.keys.signing_key(doc.issuer, doc.issuer_role)
        return self.sign(pdf, key, record=(record_fields(doc), answers))

    def sign(self, pdf: bytes, key: SigningKey,
             record: tuple[dict[str, Any], dict[str, Any]] | None = None) -> Signed:
        """The signature as one incremental update of ``pdf``; with ``record`` (its fields and the
        answers) that update also carries the XMP record and the attached answers
        (:func:`pdfmeta.write_record`), so the file is read and written once."""
        zone = str(self.settings.get("timezone") or "Asia/Shanghai")
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SigningError(f"设置项 signing.timezone 的时区“{zone}”无效（例如 Asia/Shanghai）。") from None
        when = datetime.now(tz).replace(microsecond=0)
        url = self.settings.get("timestamp_url")
        timestamper = _timestamper(str(url)) if url else None
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            reason="电子文件归档", use_pades_lta=False, embed_validation_info=False)
        name = stamp_name(key.common_name)

        def writer() -> MetadataKeepingWriter:
            out = MetadataKeepingWriter(io.BytesIO(pdf))
            if record is not None:
                write_record(out, *record)
            return out

        try:
            first = writer()
            box = _stamp_box(first)
            if key.fingerprint not in self._signers:
                self._signers[key.fingerprint] = _LoadedKeySigner(key)
            pdf_signer = _PdfSigner(meta, signer=self._signers[key.fingerprint], timestamper=timestamper,
                                    stamp_style=note_style(name), when=when,
                                    new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=-1, box=box))
            # A fixed reservation skips pyHanko's dry-run signature that only measures the
            # size (half the cost of a signature). It counts hex digits, two per byte of the
            # CMS container, whose size is mostly the certificates and a timestamp token.
            ders = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in [key.cert, *key.chain])
            reserve = 2 * (1536 + ders + (8192 if timestamper else 0))
            try:
                out = pdf_signer.sign_pdf(first, bytes_reserved=reserve, appearance_text_params={"signer": name})
            except Exception as exc:  # noqa: BLE001 - a too-small reservation: let pyHanko size it
                if "ByteRange payload larger" not in str(exc):
                    raise
                out = pdf_signer.sign_pdf(writer(), appearance_text_params={"signer": name})
        except SigningError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyHanko, network or font errors: one clear message
            via = f"，时间戳服务器 {url} 可能无法访问" if url else ""
            raise SigningError(f"签名失败（{key.common_name}{via}）：{type(exc).__name__}: {exc}") from exc
        data = out.getvalue()
        return Signed(data, {
            "signer": key.common_name, "organisation": key.org, "source": key.source,
            "certificate_sha256": key.fingerprint, "serial": format(key.cert.serial_number, "x"),
            "issuer": key.cert.issuer.rfc4514_string(), "signed_at": when.isoformat(),
            "level": "PAdES-B-T" if timestamper else "PAdES-B-B",
        })


def embed_record(pdf: bytes, record: dict[str, Any], answers: dict[str, Any]) -> bytes:
    """The PDF with the record metadata in XMP and the answers attached, as an incremental update
    of its own (a signature writes the same objects into its update: :func:`write_record`)."""
    try:
        writer = MetadataKeepingWriter(io.BytesIO(pdf))
        write_record(writer, record, answers)
        out = io.BytesIO()
        writer.write(out)
    except SigningError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyHanko's reader raises many kinds for a broken file
        raise SigningError(f"无法写入 PDF 元数据：{exc}") from exc
    return out.getvalue()


def _stamp_box(writer: IncrementalPdfFileWriter) -> tuple[int, int, int, int]:
    """The appearance's rectangle on the last page, in points.

    Right of the QR code (which ends at qr_x + qr_size), below the page number (which sits
    folio_gap under the 版心), above the paper's edge, as wide as the 版心 allows.
    """
    page = writer.find_page_for_modification(-1)[0].get_object()
    while "/MediaBox" not in page:  # inherited from the page tree
        page = page["/Parent"]
    box = [float(v) for v in page["/MediaBox"]]
    left = (GEOMETRY["qr_x"] + GEOMETRY["qr_size"] + 5) * MM
    right = box[2] - GEOMETRY["right"] * MM
    # One line of 9 pt, 10–14.5 mm above the paper's edge: the page number ends ~20 mm up.
    return int(box[0] + left), int(box[1] + 10 * MM), int(box[0] + right), int(box[1] + 14.5 * MM)


class _PdfSigner(signers.PdfSigner):
    """Signs with one chosen time: the same instant in /M, the CMS and the visible text.

    pyHanko takes the machine's local zone for the appearance; a clerk reads 北京时间.
    """

    def __init__(self, *args: Any, when: datetime, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._when = when

    def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
        # Only the ESIC extension PAdES asks for. pyHanko would also declare ISO 32002 for an
        # ECDSA key (an office may import one) and so raise the file to PDF 2.0, which is
        # not PDF/A-3; the signature itself is the same either way.
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._when
        return session


class MetadataKeepingWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the document's metadata exactly as write_record made it.

    pyHanko would otherwise re-serialise the XMP (turning pdfaSchema:namespaceURI text into
    an rdf:resource, which PDF/A validators reject) and add a Producer the Info dictionary
    does not have. tests/test_sign.py checks that the XMP bytes survive signing.
    """

    def _update_meta(self) -> None:
        return None


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key on every signature, and parsing an
    RSA key checks it (~100 ms for 3072 bits). This one signs with the key already loaded."""

    def __init__(self, key: SigningKey):
        der = key.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        super().__init__(signing_cert=_asn1(key.cert), signing_key=asn1_keys.PrivateKeyInfo.load(der),
                         cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in key.chain]))
        self._loaded = key.key
        # The CMS pieces that name the signer's certificate are the same in every signature
        # of this key; asn1crypto rebuilt and re-encoded them each time (copying the issuer's
        # name through two nested choices): ~40 % of the CMS assembly. Encoded once here,
        # each signature parses them back (lazily, nothing re-encoded).
        self._signing_cert_attr = as_signing_certificate_v2(self.signing_cert).dump()
        self._sid = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": self.signing_cert.issuer, "serial_number": self.signing_cert.serial_number})}).dump()
        self._pieces: dict[str, _CmsPieces] = {}  # digest algorithm → the first signature's pieces
        self._attrs: dict[str, tuple[bytes, bytes, bytes]] = {}  # … its signed attributes around the digest

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Any:
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, SigningCertificateV2Provider):
                provider = _Encoded("signing_certificate_v2", tsp.SigningCertificateV2, self._signing_cert_attr)
            yield provider

    async def signed_attrs(self, data_digest: bytes, digest_algorithm: str, attr_settings: Any = None,
                           content_type: str = "data", use_pades: bool = False, timestamper: Any = None,
                           dry_run: bool = False, is_pdf_sig: bool = True) -> Any:
        """The signed attributes: after this key's first signature, that one's encoding with the new
        document digest in place of its own — they are the content type, the digest and the
        signing certificate (PAdES puts the time in the signature dictionary), so nothing else
        changes (asn1crypto built and encoded all three again, ~0.3 ms)."""
        plain = (use_pades and is_pdf_sig and not dry_run and content_type == "data"
                 and getattr(attr_settings, "cades_signed_attrs", None) is None
                 and getattr(attr_settings, "adobe_revinfo_attr", None) is None)
        kept = self._attrs.get(digest_algorithm) if plain else None
        if kept is None or len(data_digest) != len(kept[2]):
            attrs = await super().signed_attrs(
                data_digest, digest_algorithm, attr_settings=attr_settings, content_type=content_type,
                use_pades=use_pades, timestamper=timestamper, dry_run=dry_run, is_pdf_sig=is_pdf_sig)
            encoded = attrs.dump()
            if plain and [a["type"].native for a in attrs] == _PLAIN_ATTRS and encoded.count(data_digest) == 1:
                before, after = encoded.split(data_digest)
                self._attrs[digest_algorithm] = (before, after, data_digest)
            return attrs
        return cms.CMSAttributes.load(kept[0] + data_digest + kept[1])

    def signer_info(self, digest_algorithm: str, signed_attrs: Any, signature: bytes) -> Any:
        return cms.SignerInfo({
            "version": "v1", "sid": cms.SignerIdentifier.load(self._sid),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "signature_algorithm": self.get_signature_mechanism_for_digest(digest_algorithm),
            "signed_attrs": signed_attrs, "signature": signature,
        })

    def _package_signature(self, *, digest_algorithm: str, cms_version: Any, signed_attrs: Any, signature: bytes,
                           unsigned_attrs: Any, encap_content_info: Any) -> Any:
        """pyHanko's SignedData, after this key's first signature assembled from that one's encoded
        pieces: asn1crypto built and checked the whole structure again (walking every
        certificate's parsed tree for changes, ~0.4 ms a signature) though only the signed
        attributes and the signature value change. A signature with unsigned attributes (the
        B-T timestamp) or another content is packed by pyHanko, as before."""
        plain = unsigned_attrs is None and cms_version == "v1" and encap_content_info in (None, {"content_type": "data"})
        pieces = self._pieces.get(digest_algorithm) if plain else None
        if pieces is None:
            packed = super()._package_signature(
                digest_algorithm=digest_algorithm, cms_version=cms_version, signed_attrs=signed_attrs,
                signature=signature, unsigned_attrs=unsigned_attrs, encap_content_info=encap_content_info)
            if plain:
                self._pieces[digest_algorithm] = _CmsPieces.of(packed)
            return packed
        return cms.ContentInfo.load(pieces.assemble(signed_attrs.dump(), signature))

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._loaded, rsa.RSAPrivateKey):
            return self._loaded.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._loaded, ec.EllipticCurvePrivateKey):
            return self._loaded.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


_PLAIN_ATTRS = ["content_type", "message_digest", "signing_certificate_v2"]


@dataclass(frozen=True)
class _CmsPieces:
    """The DER of a SignedData's parts that stay the same across one key's signatures."""

    content_type: bytes  # ContentInfo's contentType: signedData
    head: bytes  # SignedData's version, digestAlgorithms, encapContentInfo and certificates
    signer: bytes  # SignerInfo's version, sid and digestAlgorithm
    algorithm: bytes  # SignerInfo's signatureAlgorithm

    @classmethod
    def of(cls, packed: cms.ContentInfo) -> _CmsPieces:
        data, info = packed["content"], packed["content"]["signer_infos"][0]
        return cls(packed["content_type"].dump(),
                   b"".join(data[k].dump() for k in ("version", "digest_algorithms", "encap_content_info",
                                                     "certificates")),
                   b"".join(info[k].dump() for k in ("version", "sid", "digest_algorithm")),
                   info["signature_algorithm"].dump())

    def assemble(self, signed_attrs: bytes, signature: bytes) -> bytes:
        """ContentInfo { signedData, [0] SignedData { …, signerInfos SET { SignerInfo } } }; the
        signed attributes (a SET) go in as [0] IMPLICIT, the signature as an OCTET STRING."""
        info = _der(0x30, self.signer + b"\xa0" + signed_attrs[1:] + self.algorithm + _der(0x04, signature))
        data = _der(0x30, self.head + _der(0x31, info))
        return _der(0x30, self.content_type + _der(0xA0, data))


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


class _Encoded(CMSAttributeProvider):
    """A signed attribute whose value was encoded once (see _LoadedKeySigner)."""

    def __init__(self, attribute_type: str, spec: Any, der: bytes):
        self.attribute_type, self._spec, self._der = attribute_type, spec, der

    async def build_attr_value(self, dry_run: bool = False) -> Any:
        return self._spec.load(self._der)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _timestamper(url: str) -> Any:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url)
