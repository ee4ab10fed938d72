"""Signing a filed PDF: record metadata in XMP, answers attached, a PAdES signature by pyHanko.

The order is fixed: first the PDF/A-3 file gets its record metadata and the interview answers
(:mod:`sanfang_docs.signing.pdfmeta`); then pyHanko appends one incremental update holding the
signature, so the signature covers the whole file.

The signature is PAdES baseline B-B, or B-T when ``signing.timestamp_url`` is configured. Its
visible appearance is one quiet line on the last page only, in the bottom margin (right of the
QR code, well below the page number), saying who signed and when in a Chinese date: text only,
no frame, nothing that looks like a seal. (Kept visible rather than moved into the XMP alone:
a clerk holding the PDF sees at once that it is the signed original.)
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import marshal
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pikepdf
from asn1crypto import algos, cms, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import constants
from pyhanko.stamp import TextStampStyle
from pyhanko.version import __version__ as _PYHANKO
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .. import usercache
from ..documents.fonts import Face
from ..documents.layout import GEOMETRY, MM
from ..documents.model import Document
from ..errors import SigningError
from ..workspace import Workspace
from .keys import KeyStore, SigningKey
from .pdfmeta import embed_record, record_fields

FIELD_NAME = "SanfangSignature"
STAMP_TEXT = "本文件已由%(signer)s于%(ts)s数字签名"
STAMP_TIME = "%Y年%-m月%-d日 %H:%M"  # the 成文日期's style, not ISO (which would contradict it)
STAMP_PT = 9
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
        return self.sign(embed_record(pdf, record_fields(doc), answers), key)

    def sign(self, pdf: bytes, key: SigningKey) -> Signed:
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
        style = TextStampStyle(
            stamp_text=STAMP_TEXT, timestamp_format=STAMP_TIME,
            text_box_style=TextBoxStyle(font=_StampFontFactory(self._stamp_font(_stamp_name(key.common_name)),
                                                               font_size=STAMP_PT), font_size=STAMP_PT),
            border_width=0, background=None)
        try:
            box = _stamp_box(pdf)
            if key.fingerprint not in self._signers:
                self._signers[key.fingerprint] = _LoadedKeySigner(key)
            pdf_signer = _PdfSigner(meta, signer=self._signers[key.fingerprint], timestamper=timestamper,
                                    stamp_style=style, when=when,
                                    new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=-1, box=box))
            # A fixed reservation skips pyHanko's dry-run signature that only measures the
            # size (half the cost of a signature). It counts hex digits, two per byte of the
            # CMS container, whose size is mostly the certificates and a timestamp token.
            ders = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in [key.cert, *key.chain])
            reserve = 2 * (1536 + ders + (8192 if timestamper else 0))
            try:
                out = pdf_signer.sign_pdf(_MetadataKeepingWriter(io.BytesIO(pdf)), bytes_reserved=reserve,
                                          appearance_text_params={"signer": _stamp_name(key.common_name)})
            except Exception as exc:  # noqa: BLE001 - a too-small reservation: let pyHanko size it
                if "ByteRange payload larger" not in str(exc):
                    raise
                out = pdf_signer.sign_pdf(_MetadataKeepingWriter(io.BytesIO(pdf)),
                                          appearance_text_params={"signer": _stamp_name(key.common_name)})
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

    def _stamp_font(self, signer: str) -> str:
        """A subset of a CJK face with just the stamp's characters, cached on disk.

        pyHanko re-subsets whatever font it gets on every signature; from the whole 16 MB CJK
        face that costs ~0.5 s each time, from this subset a few milliseconds. Making the
        subset itself (~1 s) happens once per signer name.
        """
        chars = "".join(sorted(set(STAMP_TEXT.replace("%(signer)s", "").replace("%(ts)s", "")
                                   + signer + "0123456789-: 年月日")))
        if chars in _FONTS and os.path.exists(_FONTS[chars]):  # a cache may be cleared under us
            return _FONTS[chars]
        face = _stamp_face()
        tag = hashlib.sha256(f"{usercache.stamp(face.path)}|{face.index}|{chars}".encode()).hexdigest()[:24]
        path = _font_cache() / f"{tag}.otf"
        if not _readable_font(path):  # none yet, or damaged: made again
            _subset_font(face.path, face.index, chars, path)
        _FONTS[chars] = str(path)
        return str(path)


_FONTS: dict[str, str] = {}  # stamp characters → subset font file, for the process


def _stamp_name(name: str) -> str:
    """The signer's name as the visible note prints it: a 生僻字 the note's face lacks becomes 〓
    (the note is a reading aid; the certificate and the record keep the real name)."""
    from ..documents.fonts import covers

    face = _stamp_face()
    return "".join(c if covers(face, c) else "〓" for c in name)


def _readable_font(path: Path) -> bool:
    from fontTools import ttLib

    try:
        ttLib.TTFont(str(path), lazy=True).close()
    except Exception:  # noqa: BLE001 - fontTools raises many kinds for a damaged file
        return False
    return True


def _font_cache() -> Path:
    """Subsets depend only on the installed face, not on the workspace: one cache per user."""
    base = usercache.folder("stamp-fonts")
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"sanfang-docs-{os.getuid()}" / "stamp-fonts"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


@functools.cache
def _stamp_face() -> Face:
    """The document's 宋体/仿宋 face, or its 楷体 when only that one has TrueType outlines:
    pyHanko re-compiles a CFF font (Noto CJK) on every signature, ~10 ms more per document."""
    from fontTools import ttLib

    from ..documents.fonts import faces

    resolved = faces()
    for role in ("song", "body", "kai"):
        face = resolved[role]
        if "glyf" in ttLib.TTFont(face.path, fontNumber=face.index, lazy=True):
            return face
    return resolved["song"]


def _subset_font(source: str, index: int, chars: str, target: Path) -> None:
    from fontTools import subset, ttLib

    options = subset.Options()
    options.layout_features = []  # horizontal CJK text needs no shaping features
    options.hinting = False
    options.notdef_outline = True
    font = ttLib.TTFont(source, fontNumber=index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    # fontTools warns about tables it drops (FFTM …) through logging, which would print.
    quiet = logging.getLogger("fontTools")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        subsetter.subset(font)
    finally:
        quiet.setLevel(level)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    font.save(str(tmp))
    os.replace(tmp, target)


class _StampGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator for a font that is already the stamp's subset (``_stamp_font``):
    it does not subset it again, and embeds the font program compiled once per process. The
    two were most of a signature's cost (~40 %: fontTools re-reading and re-compiling every
    CFF charstring each time); the text's glyphs, widths and ToUnicode map are still the
    signature's own."""

    def _extract_subset(self, options: Any = None) -> None:
        return None  # every glyph of this small font stays; their ids with them

    def prepare_write(self) -> None:
        cid = self.cidfont_obj
        cached = _FONT_PROGRAMS.get(self._source) or _kept_program(self._source)
        if cached is None:
            original = cid.set_font_file

            def remember(writer: Any) -> Any:
                ref = original(writer)
                stream = ref.get_object()
                _FONT_PROGRAMS[self._source] = (stream.data, dict(stream))
                _keep_program(self._source, stream.data, dict(stream))
                return ref

            cid.set_font_file = remember  # type: ignore[method-assign]
        else:
            data, entries = cached

            def reuse(writer: Any) -> Any:
                stream = generic.StreamObject(dict(entries), encoded_data=data)
                ref = writer.add_object(stream)
                key = "/FontFile3" if "/Subtype" in entries else "/FontFile2"
                cid._font_descriptor[generic.pdf_name(key)] = ref
                return ref

            cid.set_font_file = reuse  # type: ignore[method-assign]
        super().prepare_write()


# Compiled, compressed font programs of stamp subsets (path → stream data, stream entries).
_FONT_PROGRAMS: dict[str, tuple[bytes, dict[Any, Any]]] = {}


def _program_stamp(source: str) -> str:
    return f"{usercache.stamp(source)}:{_PYHANKO}"


def _kept_program(source: str) -> tuple[bytes, dict[Any, Any]] | None:
    """The compiled program kept beside the subset by an earlier process (compiling it, fontTools
    re-reading every CFF charstring, was ~40 ms of a one-shot command's only signature)."""
    try:
        stamp, data, entries = marshal.loads(Path(f"{source}.program").read_bytes())
        if stamp != _program_stamp(source):
            return None
        found = (data, {generic.NameObject(k): generic.NameObject(v) for k, v in entries})
    except (OSError, ValueError, EOFError, TypeError):
        return None
    _FONT_PROGRAMS[source] = found
    return found


def _keep_program(source: str, data: bytes, entries: dict[Any, Any]) -> None:
    if not all(isinstance(v, generic.NameObject) for v in entries.values()):
        return  # only names (/Subtype, /Filter) are kept as text
    usercache.keep(Path(f"{source}.program"), marshal.dumps(  # not kept: compiled again next time
        (_program_stamp(source), bytes(data), [(str(k), str(v)) for k, v in entries.items()])))


class _StampFontFactory(GlyphAccumulatorFactory):
    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        with open(self.font_file, "rb") as fh:
            engine = _StampGlyphs(writer=writer, font_handle=io.BytesIO(fh.read()), font_size=self.font_size,
                                  obj_stream=obj_stream)
        engine._source = self.font_file
        return engine


def _stamp_box(pdf: bytes) -> tuple[int, int, int, int]:
    """The appearance's rectangle on the last page, in points.

    Right of the QR code (which ends at qr_x + qr_size), below the page number (which sits
    folio_gap under the 版心), above the paper's edge, as wide as the 版心 allows.
    """
    with pikepdf.open(io.BytesIO(pdf)) as src:
        box = [float(v) for v in src.pages[-1].mediabox]
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


class _MetadataKeepingWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the document's metadata exactly as embed_record made it.

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

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Any:
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, SigningCertificateV2Provider):
                provider = _Encoded("signing_certificate_v2", tsp.SigningCertificateV2, self._signing_cert_attr)
            yield provider

    def signer_info(self, digest_algorithm: str, signed_attrs: Any, signature: bytes) -> Any:
        return cms.SignerInfo({
            "version": "v1", "sid": cms.SignerIdentifier.load(self._sid),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "signature_algorithm": self.get_signature_mechanism_for_digest(digest_algorithm),
            "signed_attrs": signed_attrs, "signature": signature,
        })

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._loaded, rsa.RSAPrivateKey):
            return self._loaded.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._loaded, ec.EllipticCurvePrivateKey):
            return self._loaded.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


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
