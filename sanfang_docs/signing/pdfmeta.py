"""The record inside its PDF: metadata in XMP, the interview answers as an attached file.

PDF/A-3 allows both: XMP properties outside the predefined schemas must have their schema
described (``pdfaExtension:schemas``), which :func:`write_record` writes with them, and an
embedded file must be an associated file (``/AF``) with an ``AFRelationship`` (``Data``).
The Dublin Core fields every viewer shows (title, creator, identifier, date, type) carry the
same values, and the Info dictionary keeps agreeing with the XMP. :func:`write_record` writes
into pyHanko's incremental update (the signature's, signing/pades.py); reading a filed record
(:func:`xmp_record`, :func:`embedded_answers`: verify) uses pikepdf.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..documents.model import Document
from ..errors import SigningError

if TYPE_CHECKING:  # the readers take a pikepdf.Pdf; a signature needs no pikepdf (~20 ms to import)
    import pikepdf

# The record's own XMP properties. PDF/A lets custom properties in only with a description
# of their schema (pdfaExtension), which embed_record writes alongside.
NS_RECORD = "urn:sanfang-docs:ns:record:1.0/"
RECORD_PROPERTIES = (  # (XMP name, record.json key, value type, description)
    ("ArchiveNo", "档号", "Text", "档号（DA/T 22-2015）"),
    ("Title", "题名", "Text", "题名"),
    ("Author", "责任者", "Text", "责任者（发文机关）"),
    ("DocDate", "成文日期", "Date", "成文日期"),
    ("DocKind", "文种", "Text", "文种"),
    ("Fonds", "全宗号", "Text", "全宗号"),
    ("Year", "年度", "Integer", "年度"),
    ("Retention", "保管期限", "Text", "保管期限"),
    ("ItemNo", "件号", "Integer", "件号"),
)
ANSWERS_NAME = "answers.json"
RETENTION_NAMES = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "sfrec": NS_RECORD,
}


def record_fields(doc: Document) -> dict[str, Any]:
    """The record metadata that goes into XMP, read from the document and its 档号."""
    parts = doc.archive_no.split("-")
    fonds, year, retention, item = parts[0], "", "", ""
    if len(parts) >= 5 and "·" in parts[1]:
        year, retention, item = parts[1].split("·")[1], RETENTION_NAMES.get(parts[2], parts[2]), parts[-1]
    return {"档号": doc.archive_no, "题名": doc.title, "责任者": normal_org(doc.issuer),
            "成文日期": doc.doc_date, "文种": doc.kind, "全宗号": fonds, "年度": year,
            "保管期限": retention, "件号": str(int(item)) if item.isdigit() else item}


def normal_org(name: str) -> str:
    return " ".join(name.split())


# -- metadata and attachment -----------------------------------------------------------------


def write_record(writer: Any, record: dict[str, Any], answers: dict[str, Any]) -> None:
    """Write the record metadata into XMP and attach the answers as JSON (PDF/A-3 /AF), as objects
    of a pyHanko incremental update — the signature's, so the file is not rewritten first.

    The XMP replaces the catalog's metadata stream under the same object number (so the
    document keeps one metadata stream); the Info entries are made to agree with it.
    """
    from pyhanko.pdf_utils import generic  # verify reads records through this module without pyHanko

    def name(value: str) -> Any:
        return generic.NameObject(value)

    root = writer.root
    meta_ref = root.raw_get("/Metadata") if "/Metadata" in root else None
    raw = bytes(meta_ref.get_object().data) if meta_ref is not None else b""
    xmp = generic.StreamObject({name("/Type"): name("/Metadata"), name("/Subtype"): name("/XML")},
                               stream_data=_record_xmp(raw, record))
    if isinstance(meta_ref, generic.IndirectObject):
        writer.objects[(meta_ref.generation, meta_ref.idnum)] = xmp  # the object's next version
    else:
        root[name("/Metadata")] = writer.add_object(xmp)
    if "/Info" in writer.trailer:  # PDF/A: the Info entries must say what the XMP says
        info_ref = writer.trailer.raw_get("/Info")
        info = info_ref.get_object()
        for key, value in (("/Title", record["题名"]), ("/Author", record["责任者"])):
            info[name(key)] = generic.TextStringObject(value)
        if isinstance(info_ref, generic.IndirectObject):
            writer.mark_update(info_ref)
    data = json.dumps(answers, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    params = generic.DictionaryObject({name("/Size"): generic.NumberObject(len(data)),
                                       name("/CheckSum"): generic.ByteStringObject(hashlib.md5(data).digest())})
    stamp = _pdf_date(record.get("成文日期") or "")
    if stamp:
        params[name("/CreationDate")] = params[name("/ModDate")] = generic.pdf_string(stamp)
    embedded = generic.StreamObject({name("/Type"): name("/EmbeddedFile"), name("/Subtype"): name("/application/json"),
                                     name("/Params"): params}, stream_data=data)
    embedded.compress()
    file_ref = writer.add_object(embedded)
    spec = writer.add_object(generic.DictionaryObject({
        name("/Type"): name("/Filespec"), name("/F"): generic.pdf_string(ANSWERS_NAME),
        name("/UF"): generic.pdf_string(ANSWERS_NAME),
        name("/EF"): generic.DictionaryObject({name("/F"): file_ref, name("/UF"): file_ref}),
        name("/Desc"): generic.TextStringObject("访谈答案（生成本文件所用的全部回答）"),
        name("/AFRelationship"): name("/Data")}))
    if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
        raise SigningError("PDF 已带有附件目录，无法再附上访谈答案。")  # Typst's output never has one
    names = root["/Names"] if "/Names" in root else generic.DictionaryObject()
    names[name("/EmbeddedFiles")] = generic.DictionaryObject(
        {name("/Names"): generic.ArrayObject([generic.pdf_string(ANSWERS_NAME), spec])})
    if "/Names" not in root:
        root[name("/Names")] = names
    elif names.container_ref is not None:
        writer.update_container(names)
    root[name("/AF")] = generic.ArrayObject([spec])
    writer.update_root()


def embedded_answers(pdf: pikepdf.Pdf) -> bytes | None:
    """The answers JSON attached to a filed PDF, or None."""
    if ANSWERS_NAME not in pdf.attachments:
        return None
    return bytes(pdf.attachments[ANSWERS_NAME].get_file().read_bytes())


def xmp_record(pdf: pikepdf.Pdf) -> dict[str, str]:
    """The record properties found in a PDF's XMP (record.json names as keys)."""
    if "/Metadata" not in pdf.Root:
        return {}
    root = etree.fromstring(bytes(pdf.Root.Metadata.read_bytes()), _parser())
    out = {}
    for name, label, _, _ in RECORD_PROPERTIES:
        found = root.find(f".//{{{NS_RECORD}}}{name}")
        if found is not None and found.text is not None:
            out[label] = found.text
    return out


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


def _pdf_date(iso: str) -> str:
    digits = iso.replace("-", "")[:8]
    return f"D:{digits}000000+08'00'" if len(digits) == 8 else ""


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _record_xmp(raw: bytes, record: dict[str, Any]) -> bytes:
    if raw.strip():
        root = etree.fromstring(raw, _parser())
    else:
        root = etree.Element(_q("x", "xmpmeta"), nsmap={"x": NS["x"]})
        etree.SubElement(root, _q("rdf", "RDF"), nsmap={"rdf": NS["rdf"]})
    rdf = root if root.tag == _q("rdf", "RDF") else root.find(_q("rdf", "RDF"))
    if rdf is None:
        raise SigningError("PDF 的 XMP 元数据无法识别（缺少 rdf:RDF）。")
    descriptions = rdf.findall(_q("rdf", "Description"))
    main = descriptions[0] if descriptions else etree.SubElement(rdf, _q("rdf", "Description"))
    main.set(_q("rdf", "about"), main.get(_q("rdf", "about"), ""))
    # Dublin Core, which every viewer shows: title, creator, identifier, date, type.
    _set_container(main, "dc", "title", "Alt", record["题名"], lang=True)
    _set_container(main, "dc", "creator", "Seq", record["责任者"])
    _set_simple(main, _q("dc", "identifier"), record["档号"])
    _set_container(main, "dc", "date", "Seq", record["成文日期"])
    _set_container(main, "dc", "type", "Bag", record["文种"])
    # The record's own schema, complete (DA/T 46 names in the descriptions).
    sf = etree.SubElement(rdf, _q("rdf", "Description"), nsmap={"sfrec": NS_RECORD})
    sf.set(_q("rdf", "about"), "")
    for name, label, _, _ in RECORD_PROPERTIES:
        etree.SubElement(sf, _q("sfrec", name)).text = str(record.get(label, ""))
    _declare_schema(rdf)
    body = etree.tostring(root, encoding="utf-8")
    # The xpacket wrapper with padding lets a later editor update the XMP in place.
    return (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body
            + b"\n" + (b" " * 99 + b"\n") * 20 + b'<?xpacket end="w"?>')


def _set_simple(parent: etree._Element, tag: str, value: str) -> None:
    for old in parent.findall(tag):
        parent.remove(old)
    etree.SubElement(parent, tag).text = value


def _set_container(parent: etree._Element, prefix: str, name: str, kind: str, value: str,
                   lang: bool = False) -> None:
    tag = _q(prefix, name)
    for old in parent.findall(tag):
        parent.remove(old)
    container = etree.SubElement(etree.SubElement(parent, tag, nsmap={prefix: NS[prefix]}), _q("rdf", kind))
    item = etree.SubElement(container, _q("rdf", "li"))
    if lang:
        item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
    item.text = value


def _declare_schema(rdf: etree._Element) -> None:
    """Describe the sfrec properties in pdfaExtension:schemas (PDF/A-3 6.6.2.3)."""
    bag = rdf.find(f".//{_q('pdfaExtension', 'schemas')}/{_q('rdf', 'Bag')}")
    if bag is None:
        holder = etree.SubElement(rdf, _q("rdf", "Description"), nsmap={
            "pdfaExtension": NS["pdfaExtension"], "pdfaSchema": NS["pdfaSchema"],
            "pdfaProperty": NS["pdfaProperty"]})
        holder.set(_q("rdf", "about"), "")
        bag = etree.SubElement(etree.SubElement(holder, _q("pdfaExtension", "schemas")), _q("rdf", "Bag"))
    li = etree.SubElement(bag, _q("rdf", "li"))
    li.set(_q("rdf", "parseType"), "Resource")
    etree.SubElement(li, _q("pdfaSchema", "schema")).text = "三方联动文书档案记录"
    etree.SubElement(li, _q("pdfaSchema", "namespaceURI")).text = NS_RECORD
    etree.SubElement(li, _q("pdfaSchema", "prefix")).text = "sfrec"
    seq = etree.SubElement(etree.SubElement(li, _q("pdfaSchema", "property")), _q("rdf", "Seq"))
    for name, _, value_type, description in RECORD_PROPERTIES:
        prop = etree.SubElement(seq, _q("rdf", "li"))
        prop.set(_q("rdf", "parseType"), "Resource")
        etree.SubElement(prop, _q("pdfaProperty", "name")).text = name
        etree.SubElement(prop, _q("pdfaProperty", "valueType")).text = value_type
        etree.SubElement(prop, _q("pdfaProperty", "category")).text = "external"
        etree.SubElement(prop, _q("pdfaProperty", "description")).text = description
