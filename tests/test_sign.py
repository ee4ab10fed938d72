"""Signing: keys on first use, PAdES signatures checked by pyHanko and by poppler's pdfsig, the
visible text-only appearance, PDF/A metadata and the embedded answers, imported PKCS#12."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from sanfang_docs.api import Sanfang
from sanfang_docs.cli import main
from sanfang_docs.documents import GEOMETRY, MM
from sanfang_docs.errors import SigningError
from sanfang_docs.signing import pdfmeta
from sanfang_docs.signing.keys import KeyStore, org_id
from sanfang_docs.signing.pades import embed_record
from sanfang_docs.signing.pdfmeta import NS_RECORD, record_fields
from tests.conftest import example

DOCS = ("branch-founding-request", "branch-founding-reply", "branch-meeting-request", "branch-election-notice")
PDFSIG = shutil.which("pdfsig") and shutil.which("certutil")


def file_docs(app: Sanfang, docs: tuple[str, ...] = DOCS, branch: str = "secretary-only") -> list[Any]:
    answers = example("branch-founding", branch)
    return [app.produce(app.run_interview("branch-founding", answers, key)).record for key in docs]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sanfang, list[Any]]:
    """One workspace with four records by four issuing organisations, shared by the read-only tests."""
    app = Sanfang(tmp_path_factory.mktemp("signed") / "ws")
    return app, file_docs(app)


def validate(data: bytes, roots: list[x509.Certificate]) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sigs = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(sigs) == 1
    anchors = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in roots]
    return validate_pdf_signature(sigs[0], ValidationContext(trust_roots=anchors))


# -- signatures, by pyHanko and by pdfsig ----------------------------------------------------


def test_every_record_is_signed_by_its_issuer_pades_bb(signed: tuple[Sanfang, list[Any]]) -> None:
    app, records = signed
    roots = KeyStore(app.workspace).trust_roots()
    fingerprints = set()
    for record in records:
        status = validate(record.file("document.pdf").read_bytes(), roots)
        assert status.bottom_line, status.pretty_print_details()
        assert (status.intact, status.valid, status.trusted) == (True, True, True)
        assert status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
        assert status.signing_cert.subject.native["common_name"] == record.meta["责任者"]
        sig = record.meta["signature"]
        assert sig["level"] == "PAdES-B-B" and sig["source"] == "generated"
        assert status.signing_cert.sha256.hex() == sig["certificate_sha256"]
        assert record.meta["status"] == "已签名"
        fingerprints.add(sig["certificate_sha256"])
        with pikepdf.open(record.file("document.pdf")) as pdf:
            field = pdf.Root.AcroForm.Fields[0]
            assert field.V.SubFilter == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert len(fingerprints) == len(records)  # one key per issuing organisation


def test_a_key_signing_again_validates_with_the_same_certificates(signed: tuple[Sanfang, list[Any]],
                                                                  tmp_path: Path) -> None:
    """The second and later signatures of a key reuse its encoded certificate set and CMS pieces
    (signing/pades.py): each validates on its own, with the certificates of the first."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from sanfang_docs.signing.pades import Signer

    app, records = signed
    signer, pdf = Signer(app.workspace), records[0].file("document.pdf").read_bytes()
    key = KeyStore(app.workspace).signing_key(records[0].meta["责任者"])
    unsigned = pdf[:pdf.rfind(b"%%EOF", 0, pdf.rfind(b"/ByteRange")) + 5]
    outs = [signer.sign(unsigned, key).pdf for _ in range(3)]
    roots = KeyStore(app.workspace).trust_roots()
    certificates = set()
    for out in outs:
        status = validate(out, roots)
        assert status.bottom_line and status.coverage.name == "ENTIRE_FILE", status.pretty_print_details()
        certificates.add(PdfFileReader(io.BytesIO(out)).embedded_signatures[0].signed_data["certificates"].dump())
    assert len(certificates) == 1 and len({o[-4000:] for o in outs}) == 3
    for out in outs:  # the note's font loads in each (a reused program was kept decoded under FlateDecode)
        assert note_font_program(out)[:2] in (b"\x01\x00", b"\x00\x01", b"tr")
    if shutil.which("pdftoppm"):  # poppler draws the note with its font (it drew boxes with the broken one)
        (tmp_path / "last.pdf").write_bytes(outs[-1])
        with pikepdf.open(tmp_path / "last.pdf") as doc:
            last = str(len(doc.pages))
        drawn = subprocess.run(["pdftoppm", "-r", "20", "-f", last, "-l", last, "-singlefile", "-png",
                                str(tmp_path / "last.pdf"), str(tmp_path / "page")], capture_output=True, text=True)
        assert "font" not in drawn.stderr.lower() and (tmp_path / "page.png").is_file(), drawn.stderr
    if PDFSIG:  # poppler reads the assembled CMS too
        (tmp_path / "again.pdf").write_bytes(outs[-1])
        out = pdfsig(nss_db(tmp_path, KeyStore(app.workspace).ca_cert()), tmp_path / "again.pdf")
        assert "Signature is Valid." in out and "Certificate is Trusted." in out, out


def test_the_cms_assembled_from_pieces_is_pyhankos_byte_for_byte(signed: tuple[Sanfang, list[Any]]) -> None:
    """After a key's first signature its signed attributes and SignedData are assembled from that
    one's encoded parts (pades._LoadedKeySigner): the same DER as pyHanko's for the same digest
    and signature value."""
    import asyncio
    import hashlib

    from pyhanko.sign.signers.pdf_cms import Signer as CmsSigner

    from sanfang_docs.signing.pades import _LoadedKeySigner

    app, records = signed
    loaded = _LoadedKeySigner(KeyStore(app.workspace).signing_key(records[1].meta["责任者"]))
    for n in range(3):
        digest = hashlib.sha256(b"%d" % n).digest()
        attrs = asyncio.run(loaded.signed_attrs(digest, "sha256", use_pades=True))
        reference = asyncio.run(CmsSigner.signed_attrs(loaded, digest, "sha256", use_pades=True))
        assert attrs.dump() == reference.dump(force=True)
        value = loaded.sign_raw(attrs.dump(), "sha256")
        args = {"digest_algorithm": "sha256", "cms_version": "v1", "signed_attrs": attrs, "signature": value,
                "unsigned_attrs": None, "encap_content_info": {"content_type": "data"}}
        ours = loaded._package_signature(**args).dump()
        assert ours == CmsSigner._package_signature(loaded, **args).dump(force=True)
    assert "sha256" in loaded._pieces and "sha256" in loaded._attrs


@pytest.mark.skipif(not PDFSIG, reason="needs poppler-utils (pdfsig) and libnss3-tools (certutil)")
def test_pdfsig_finds_every_signature_valid_trusted_and_covering_the_file(
        signed: tuple[Sanfang, list[Any]], tmp_path: Path) -> None:
    app, records = signed
    nss = nss_db(tmp_path, KeyStore(app.workspace).ca_cert())
    for record in records:
        out = pdfsig(nss, record.file("document.pdf"))
        assert "Signature Validation: Signature is Valid." in out, out
        assert "Certificate Validation: Certificate is Trusted." in out, out
        assert "Total document signed" in out, out
        assert "ETSI.CAdES.detached" in out
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(records[0].file("document.pdf").read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert "Signature is Valid." not in pdfsig(nss, tampered)


def nss_db(tmp_path: Path, ca: x509.Certificate) -> Path:
    db = tmp_path / "nss"
    db.mkdir()
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "sanfang-ca", "-t", "CT,C,C",
                    "-i", str(tmp_path / "ca.pem")], check=True, capture_output=True)
    return db


def pdfsig(nss: Path, pdf: Path) -> str:
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True)
    return done.stdout + done.stderr


# -- the appearance --------------------------------------------------------------------------


def test_appearance_is_chinese_text_in_the_bottom_margin_and_no_seal(signed: tuple[Sanfang, list[Any]]) -> None:
    _, records = signed
    for record in records:
        with pikepdf.open(record.file("document.pdf")) as pdf:
            widget = pdf.Root.AcroForm.Fields[0]
            page = pdf.pages[-1]
            assert widget.P.objgen == page.obj.objgen  # on the last page, with the 发文机关署名
            x0, y0, x1, y1 = (float(v) / MM for v in widget.Rect)
            text, ops = appearance_text(widget.AP.N)
        # Below the 版心 and under the page number; right of the QR code.
        assert y1 < GEOMETRY["bottom"] - GEOMETRY["folio_gap"] - GEOMETRY["folio_pt"] / MM, (y0, y1)
        assert y0 > 3 and x0 > GEOMETRY["qr_x"] + GEOMETRY["qr_size"] and x1 < 210 - 3
        when = datetime.fromisoformat(record.meta["signature"]["signed_at"])
        assert when.utcoffset() == timedelta(hours=8)  # 北京时间
        # One line, a Chinese date like the 成文日期 (never an ISO date), no frame.
        assert text == f"本文件已由{record.meta['责任者']}于{when.year}年{when.month}月{when.day}日 {when:%H:%M}数字签名"
        assert y1 - y0 < 5
        assert not re.findall(r" re$", ops, re.M), "a ruled box around the note"
        # A seal would be red and round, or a picture: here no colour, no curve, no image.
        colours = re.findall(r"^(.*) (rg|RG|k|K|sc|scn|SC|SCN)$", ops, re.M)
        assert all(len(set(values.split())) <= 1 for values, _ in colours), colours  # grey levels only
        assert not re.findall(r" (c|v|y)$", ops, re.M) and "/Image" not in ops


def appearance_text(stream: pikepdf.Stream) -> tuple[str, str]:
    """The text an appearance stream shows (pyHanko tags each line with /ActualText, the
    Unicode a reader copies) and its operators, nested forms included."""
    texts, ops = [], []

    def walk(xobj: pikepdf.Stream) -> None:
        resources = xobj.get("/Resources", pikepdf.Dictionary())
        for operands, operator in pikepdf.parse_content_stream(xobj):
            op = str(operator)
            ops.append(" ".join(str(o) for o in operands) + " " + op)
            if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/ActualText" in operands[1]:
                texts.append(str(operands[1].ActualText))
            elif op == "Do":
                inner = resources.XObject[str(operands[0])]
                ops.append(str(inner.get("/Subtype")))
                if inner.get("/Subtype") == "/Form":
                    walk(inner)

    walk(stream)
    return "".join(texts), "\n".join(ops)


def test_the_note_is_drawn_as_pyhankos_text_stamp_draws_it(signed: tuple[Sanfang, list[Any]]) -> None:
    """signing/stamp.py writes the note from a per-font template: the same operators, byte for
    byte, as pyHanko's TextStampStyle, and a font whose ToUnicode map reads the glyphs back as the
    note's text (independently of the /ActualText tag)."""
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.pdf_utils.writer import PdfFileWriter
    from pyhanko.stamp import TextStampStyle

    from sanfang_docs.signing import stamp

    _, records = signed
    for record in records[:2]:
        name = stamp.stamp_name(record.meta["责任者"])
        ours = stamp.note_style(name)
        theirs = ours.pyhanko_style()
        assert type(theirs) is TextStampStyle and theirs.text_box_style.font.font_file == ours.font_file
        for when in ("2026年1月2日 09:05", "2026年12月31日 23:59"):
            params, box = {"signer": name, "ts": when}, BoxConstraints(width=436, height=13)
            drawn = ours.create_stamp(PdfFileWriter(), box, params)
            assert isinstance(drawn, stamp._Note)
            assert drawn._content == theirs.create_stamp(PdfFileWriter(), box, params).render()
        with pikepdf.open(record.file("document.pdf")) as pdf:
            form = pdf.Root.AcroForm.Fields[0].AP.N
            text, _ = appearance_text(form)
            font = form.Resources.Font.F1
            cids = [int(h[i:i + 4], 16) for h in re.findall(r"<([0-9a-f]+)>", form.read_bytes().decode("latin-1")
                                                             .split("BDC", 1)[1]) for i in range(0, len(h), 4)]
            unicode = tounicode(bytes(font.ToUnicode.read_bytes()).decode("ascii"))
            w, widths = list(font.DescendantFonts[0].W), {}
        while w:  # the W array: a first CID and a list of widths (the form pyHanko writes)
            first, run, w = int(w[0]), w[1], w[2:]
            widths.update({first + n: int(width) for n, width in enumerate(run)})
        assert "".join(unicode[c] for c in cids) == text
        assert all(widths.get(c, 0) > 0 for c in cids)  # every glyph of the note has its width


def test_a_note_with_a_character_outside_the_template_is_left_to_pyhanko() -> None:
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.pdf_utils.writer import PdfFileWriter
    from pyhanko.stamp.text import TextStamp

    from sanfang_docs.signing import stamp

    style = stamp.note_style("测试社区")
    drawn = style.create_stamp(PdfFileWriter(), BoxConstraints(width=436, height=13), {"signer": "测试社区", "ts": "Ω"})
    assert isinstance(drawn, TextStamp)


def test_a_kept_note_template_is_the_one_built_and_a_damaged_one_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note's template is kept beside its subset (a one-shot command then reads no font);
    what is read back is what was built, and a damaged or outdated file is not used."""
    from sanfang_docs.signing import stamp, stampfont

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(stamp, "_TEMPLATES", {})
    monkeypatch.setattr(stampfont, "_FONTS", {})
    font = stamp.stamp_font("测试社区")
    built = stamp._template(font, 9)  # built and kept
    assert (tmp_path / "sanfang-docs" / "stamp-fonts" / f"{Path(font).name}.note").is_file()
    monkeypatch.setattr(stamp, "_TEMPLATES", {})
    assert stamp._kept(font, 9) == built and stamp._kept(font, 10) is None  # another size: not this one
    for damage in (b"garbage", b""):
        Path(f"{font}.note").write_bytes(damage)
        monkeypatch.setattr(stamp, "_TEMPLATES", {})
        assert stamp._kept(font, 9) is None
    monkeypatch.setattr(stamp, "_TEMPLATES", {})
    again = stamp._template(font, 9)  # built again: the same but for the subset tag (random per build)

    def untagged(template: Any) -> str:
        return re.sub(r"/[A-Z]{6}\+", "/TAG+", repr(template))
    assert untagged(again) == untagged(built) and again.glyphs == built.glyphs


def note_font_program(pdf: bytes) -> bytes:
    """The decoded font program of a signed PDF's note (pikepdf applies the stream's filters)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        descriptor = doc.Root.AcroForm.Fields[0].AP.N.Resources.Font.F1.DescendantFonts[0].FontDescriptor
        stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
        return bytes(stream.read_bytes())


def tounicode(cmap: str) -> dict[int, str]:
    """CID → text from a ToUnicode CMap's bfchar and bfrange sections (the forms pyHanko writes)."""
    out: dict[int, str] = {}
    for section in re.findall(r"beginbfchar\n(.*?)endbfchar", cmap, re.S):
        for cid, uni in re.findall(r"<([0-9a-f]+)> <([0-9a-f]+)>", section, re.I):
            out[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for section in re.findall(r"beginbfrange\n(.*?)endbfrange", cmap, re.S):
        for first, last, rest in re.findall(r"<([0-9a-f]+)> <([0-9a-f]+)> (\[.*?\]|<[0-9a-f]+>)", section, re.I):
            values = re.findall(r"<([0-9a-f]+)>", rest)
            for n, cid in enumerate(range(int(first, 16), int(last, 16) + 1)):
                if rest.startswith("["):
                    out[cid] = bytes.fromhex(values[n]).decode("utf-16-be")
                else:
                    out[cid] = chr(int(values[0], 16) + n)
    return out


# -- PDF/A, XMP, the embedded answers ---------------------------------------------------------


def test_xmp_carries_the_record_and_the_answers_are_attached(signed: tuple[Sanfang, list[Any]]) -> None:
    _, records = signed
    for record in records:
        meta = record.meta
        answers = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
        with pikepdf.open(record.file("document.pdf")) as pdf:
            xmp = pdf.open_metadata()
            assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "B"
            assert xmp["dc:title"] == meta["题名"] and xmp["dc:identifier"] == meta["档号"]
            assert xmp["dc:creator"] == [meta["责任者"]] and xmp["dc:type"] == {meta["文种"]}
            assert meta["成文日期"] in str(xmp["dc:date"])
            raw = bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8")
            for name, value in (("ArchiveNo", meta["档号"]), ("Title", meta["题名"]), ("Author", meta["责任者"]),
                                ("DocDate", meta["成文日期"]), ("DocKind", meta["文种"]), ("ItemNo", str(meta["件号"])),
                                ("Retention", meta["保管期限"]), ("Fonds", meta["全宗号"])):
                assert f"<sfrec:{name}>{value}</sfrec:{name}>" in raw
            # PDF/A-3 lets custom XMP in only with its schema described.
            assert f"<pdfaSchema:namespaceURI>{NS_RECORD}</pdfaSchema:namespaceURI>" in raw
            assert raw.count("<pdfaProperty:name>") >= 9 + 5  # ours and Typst's own
            assert str(pdf.docinfo["/Title"]) == meta["题名"] and str(pdf.docinfo["/Author"]) == meta["责任者"]
            assert pdf.pdf_version <= "1.7" and "/Version" not in pdf.Root  # not raised to PDF 2.0
            spec = pdf.attachments["answers.json"]
            assert spec.obj.AFRelationship == "/Data" and spec.obj.objgen in [o.objgen for o in pdf.Root.AF]
            assert spec.get_file().mime_type == "application/json"
            assert json.loads(spec.get_file().read_bytes()) == answers


def test_signing_leaves_the_xmp_exactly_as_written(signed: tuple[Sanfang, list[Any]]) -> None:
    """pyHanko would re-serialise the XMP (and break its PDF/A schema); sign.py stops it. The
    record's XMP is written in the signature's own update, as the next version of Typst's
    metadata object (the document keeps one metadata stream)."""
    _, records = signed
    record = records[0]
    data = record.file("document.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        signed_xmp = bytes(pdf.Root.Metadata.read_bytes())
        metadata = pdf.Root.Metadata.objgen
        contents_at = int(pdf.Root.AcroForm.Fields[0].V.ByteRange[1])
    # The revision before the signature: the file up to the last %%EOF ahead of /Contents —
    # Typst's PDF as rendered.
    unsigned = data[:data.rfind(b"%%EOF", 0, contents_at) + 5]
    with pikepdf.open(io.BytesIO(unsigned)) as first:
        assert "/AcroForm" not in first.Root and "/AF" not in first.Root
        assert first.Root.Metadata.objgen == metadata
        typst_xmp = bytes(first.Root.Metadata.read_bytes())
    fields = {label: str(record.meta[label]) for _, label, _, _ in pdfmeta.RECORD_PROPERTIES}
    assert signed_xmp == pdfmeta._record_xmp(typst_xmp, fields) != typst_xmp


def test_no_new_pdfa_findings_from_signing(signed: tuple[Sanfang, list[Any]], tmp_path: Path) -> None:
    """pikepdf's allowlist PDF/A validator, unsigned Typst output against the filed PDF. It does
    not know extension schemas, embedded files or forms (it flags Typst's own XMP schema too),
    so those are compared by kind; no other finding may appear."""
    pdfa = pytest.importorskip("pikepdf.pdfa", exc_type=ImportError)
    from sanfang_docs.documents import render_pdf

    app, records = signed
    record = records[1]
    outcome = app.run_interview("branch-founding", example("branch-founding", "secretary-only"), record.meta["doc_key"])
    doc = outcome.documents[0]
    doc.archive_no, doc.qr_payload = record.archive_no, record.meta["qr"]
    (tmp_path / "raw.pdf").write_bytes(render_pdf(doc))

    def findings(path: Path) -> set[str]:
        report = pdfa.validate_written(str(path), "3b")
        return {re.sub(r"obj \d+ \d+", "obj", str(f)) for f in report.findings}

    new = findings(record.file("document.pdf")) - findings(tmp_path / "raw.pdf")
    tolerated = ("pikepdf:embedded-file", "/AcroForm: interactive forms", "sfrec")
    assert [f for f in new if not any(t in f for t in tolerated)] == []


def test_embed_record_keeps_metadata_consistent_for_an_empty_xmp() -> None:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out)
    from sanfang_docs.documents.model import Document

    doc = Document(key="k", title="关于测试的请示", kind="请示", issuer="中共测试社区委员会", doc_date="2026-03-02",
                   archive_no="J001-WS·2026-Y-SQDW-0007")
    data = embed_record(out.getvalue(), record_fields(doc), {"x": "一"})
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.open_metadata()["dc:identifier"] == "J001-WS·2026-Y-SQDW-0007"
        assert record_fields(doc)["件号"] == "7" and record_fields(doc)["保管期限"] == "永久"


# -- keys ------------------------------------------------------------------------------------


def test_keys_are_created_on_first_use_owner_only_and_encrypted(signed: tuple[Sanfang, list[Any]]) -> None:
    app, _ = signed
    keys = app.workspace.keys_dir
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for path in [*keys.rglob("*.p12"), *keys.rglob("*.pem"), keys / "passphrase"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for p12 in (keys / "orgs").glob("*.p12"):
        with pytest.raises(ValueError):
            pkcs12.load_pkcs12(p12.read_bytes(), None)
    assert b"PRIVATE KEY-----" in (keys / "ca.key.pem").read_bytes()
    assert b"ENCRYPTED" in (keys / "ca.key.pem").read_bytes()
    assert len(list((keys / "orgs").glob("*.p12"))) == 4


def test_passphrase_from_the_environment_and_a_wrong_one_signs_nothing(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANFANG_KEY_PASSPHRASE", "正确的口令")
    app = Sanfang(home)
    file_docs(app, DOCS[:1])
    assert not (home / "keys" / "passphrase").exists()
    monkeypatch.setenv("SANFANG_KEY_PASSPHRASE", "错误的口令")
    app = Sanfang(home)
    with pytest.raises(SigningError, match="密钥口令不正确"):
        file_docs(app, DOCS[:1])
    assert len(list(app.archive.records())) == 1 and not (home / "archive" / ".pending").exists()
    monkeypatch.setenv("SANFANG_KEY_PASSPHRASE", "正确的口令")
    assert file_docs(Sanfang(home), DOCS[:1])[0].meta["件号"] == 2  # the failed try used no 件号


# -- imported PKCS#12 -------------------------------------------------------------------------


def make_p12(org: str, password: str | None, *, days: tuple[int, int] = (-1, 365), mismatch: bool = False,
             key_type: str = "rsa", with_ca: bool = True, signing: bool = True) -> tuple[bytes, x509.Certificate]:
    """An office's own certificate: issued by its own CA (or self-signed)."""
    now = datetime.now(UTC)

    def new_key() -> Any:
        return ec.generate_private_key(ec.SECP256R1()) if key_type == "ec" else rsa.generate_private_key(65537, 2048)

    ca_key = new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "某市电子认证中心（测试）")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=3650))
          .not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, org), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])
    usage = x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=not signing,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name if with_ca else name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days[0])).not_valid_after(now + timedelta(days=days[1]))
            .add_extension(usage, critical=True)
            .sign(ca_key if with_ca else key, hashes.SHA256()))
    enc = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    if mismatch:  # cryptography refuses to pair them, so the certificate rides as an extra one
        blob = pkcs12.serialize_key_and_certificates(b"office", new_key(), None, [cert], enc)
    else:
        blob = pkcs12.serialize_key_and_certificates(b"office", key, cert, [ca] if with_ca else None, enc)
    return blob, cert


def test_imported_pkcs12_wins_and_verifies(home: Path) -> None:
    app = Sanfang(home)
    org = "中共文化路社区委员会"
    blob, cert = make_p12(org, "办公室口令")
    key = KeyStore(app.workspace).import_pkcs12(blob, "办公室口令")
    assert key.org == org and key.source == "imported"
    assert stat.S_IMODE((home / "keys" / "imported" / f"{org_id(org)}.p12").stat().st_mode) == 0o600
    record = file_docs(app, DOCS[:1])[0]
    assert record.meta["signature"]["source"] == "imported"
    assert record.meta["signature"]["certificate_sha256"] == cert.fingerprint(hashes.SHA256()).hex()
    report = app.verify()
    assert report.ok, [p.as_text() for p in report.problems]


def test_imported_ecdsa_key_keeps_the_file_pdf_17(home: Path) -> None:
    app = Sanfang(home)
    blob, _ = make_p12("中共文化路社区委员会", "pw", key_type="ec", with_ca=False)
    KeyStore(app.workspace).import_pkcs12(blob, "pw")
    for record in [file_docs(app, DOCS[:1])[0] for _ in range(2)]:  # the second: the CMS from pieces
        assert record.meta["signature"]["source"] == "imported"
        with pikepdf.open(record.file("document.pdf")) as pdf:
            assert "/Version" not in pdf.Root and pdf.pdf_version <= "1.7"
    assert app.verify().ok


@pytest.mark.parametrize(("case", "message"), [
    ("wrong passphrase", "口令错误"),
    ("expired", "已于"),
    ("not yet valid", "起才生效"),
    ("key does not match", "不匹配"),
    ("not for signing", "密钥用途不包括数字签名"),
])
def test_bad_pkcs12_is_refused_with_a_clear_error_and_stores_nothing(home: Path, case: str, message: str) -> None:
    app = Sanfang(home)
    blob, _ = make_p12("中共文化路社区委员会", "pw", days={"expired": (-400, -1), "not yet valid": (30, 400)}.get(case, (-1, 365)),
                       mismatch=case == "key does not match", signing=case != "not for signing")
    with pytest.raises(SigningError, match=message) as caught:
        KeyStore(app.workspace).import_pkcs12(blob, "nope" if case == "wrong passphrase" else "pw")
    assert "Traceback" not in caught.value.message
    assert not list((home / "keys").glob("imported/*")) and not list((home / "keys").glob("trust/*"))
    # And through the CLI: the Chinese message, the SigningError exit code, nothing else.
    (home.parent / "office.p12").write_bytes(blob)
    result = CliRunner().invoke(main, ["keys", "import", str(home.parent / "office.p12"), "--home", str(home)],
                                input=("nope" if case == "wrong passphrase" else "pw") + "\n")
    assert result.exit_code == SigningError.exit_code and message in result.output
    assert "Traceback" not in result.output


def test_an_expired_imported_key_signs_nothing(home: Path) -> None:
    """A certificate that expired after it was imported: filing stops before anything is written."""
    app = Sanfang(home)
    org = "中共文化路社区委员会"
    blob, _ = make_p12(org, "pw", days=(-400, -1))
    store = KeyStore(app.workspace)
    bundle = pkcs12.load_pkcs12(blob, b"pw")
    store._store(home / "keys" / "imported" / f"{org_id(org)}.p12", org, bundle.key, bundle.cert.certificate, [])
    with pytest.raises(SigningError, match="过期"):
        file_docs(app, DOCS[:1])
    assert list(app.archive.records()) == []
    assert not list((home / "archive").glob("20*"))


def test_keys_cli_import_and_list(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob, _ = make_p12("江南花山郡小区党支部", "口令")
    (tmp_path / "zb.p12").write_bytes(blob)
    monkeypatch.setenv("P12_PASS", "口令")
    runner = CliRunner()
    result = runner.invoke(main, ["keys", "import", str(tmp_path / "zb.p12"), "--passphrase-env", "P12_PASS",
                                  "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "已导入：江南花山郡小区党支部" in result.output
    listed = runner.invoke(main, ["keys", "list", "--json", "--home", str(home)])
    assert json.loads(listed.output)[0]["source"] == "导入"


# -- PAdES B-T with a timestamp server --------------------------------------------------------


def test_timestamp_server_makes_b_t(home: Path) -> None:
    """A local RFC 3161 server (pyHanko's test TSA behind http.server): the signature carries a
    timestamp token, pyHanko validates it, and verify passes once the TSA root is trusted."""
    server, tsa_root = start_tsa()
    try:
        home.mkdir(parents=True)
        (home / "settings.yaml").write_text(f"signing:\n  timestamp_url: http://127.0.0.1:{server.server_port}/\n",
                                            encoding="utf-8")
        app = Sanfang(home)
        record = file_docs(app, DOCS[:1])[0]
    finally:
        server.shutdown()
    assert record.meta["signature"]["level"] == "PAdES-B-T"
    (home / "keys" / "trust").mkdir(mode=0o700, exist_ok=True)
    (home / "keys" / "trust" / "tsa.pem").write_bytes(tsa_root.public_bytes(serialization.Encoding.PEM))
    os.chmod(home / "keys" / "trust" / "tsa.pem", 0o600)
    status = validate(record.file("document.pdf").read_bytes(), KeyStore(app.workspace).trust_roots())
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert status.timestamp_validity.trusted and status.bottom_line
    assert app.verify().ok


def start_tsa() -> tuple[Any, x509.Certificate]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys as asn1_keys
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    now = datetime.now(UTC)
    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试时间戳服务")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert
