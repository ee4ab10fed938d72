"""The signature's visible note: one line of text in a small subset of a CJK face.

The subset holds just the note's characters for one signer (``stamp_font``, made once per signer
name and kept in the user's cache, its compiled font program beside it). pyHanko's
``TextStampStyle`` would, on every signature, parse that font with fontTools and HarfBuzz, shape
the line and build the font's PDF objects (~2 ms of a ~7 ms signature). :class:`NoteStyle`
does that once per font and process (:func:`_template`: the font's objects written with every
glyph of the subset, and each character's glyph, width and advance as HarfBuzz gives them), and
per signature copies those objects into the file and writes the line's content stream with
pyHanko's own layout rules: the same operators, byte for byte, as ``TextStampStyle`` draws
(tests/test_sign.py compares them). A line with a character the template lacks is drawn by
``TextStampStyle`` as before.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import marshal
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import DEFAULT_BOX_LAYOUT, DEFAULT_TEXT_BOX_MARGIN, TextBoxStyle
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from pyhanko.stamp import TextStampStyle
from pyhanko.version import __version__ as _PYHANKO

from .. import usercache
from ..documents.fonts import Face

STAMP_TEXT = "本文件已由%(signer)s于%(ts)s数字签名"
STAMP_TIME = "%Y年%-m月%-d日 %H:%M"  # the 成文日期's style, not ISO (which would contradict it)
STAMP_PT = 9


def stamp_font(signer: str) -> str:
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


def stamp_name(name: str) -> str:
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


def note_style(signer: str) -> NoteStyle:
    """The stamp style of one signer's note (its name as :func:`stamp_name` prints it)."""
    font = _StampFontFactory(stamp_font(signer), font_size=STAMP_PT)
    return NoteStyle(stamp_text=STAMP_TEXT, timestamp_format=STAMP_TIME, border_width=0, background=None,
                     text_box_style=TextBoxStyle(font=font, font_size=STAMP_PT))


@dataclass(frozen=True)
class NoteStyle(TextStampStyle):
    """``TextStampStyle`` for the note, drawn from the font's template (see the module's text)."""

    def create_stamp(self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]) -> Any:
        text = self.stamp_text % text_params
        size = self.text_box_style.font_size
        template = _template(self.text_box_style.font.font_file, size)
        if any(c not in template.glyphs for c in text) or self.text_box_style.leading is not None:
            return super().create_stamp(writer, box, text_params)
        return _Note(writer, box, template.content(text, size, box), template)


@dataclass
class _Template:
    """One stamp font's PDF objects (in a scratch writer of their own) and its characters' glyphs."""

    writer: Any
    font: generic.IndirectObject
    glyphs: dict[str, tuple[int, int, int, int]]  # character → CID, width, HarfBuzz's advance and x offset
    units_per_em: int

    def content(self, text: str, size: int, box: layout.BoxConstraints) -> bytes:
        """The operators ``TextStampStyle`` writes for one line (pyHanko 0.38: TextStamp, TextBox,
        GlyphAccumulator.shape and its one-TJ glyph line), from the glyphs found once."""
        segments, cids, adjust, total = [], [], 0, 0
        for char in text:  # _format_simple_glyphline_from_buffer, glyph by glyph
            cid, width, advance, offset = self.glyphs[char]
            adjust -= offset
            if adjust:
                segments.append(f"<{''.join(f'{c:04x}' for c in cids)}>")
                segments.append(str(adjust))
                cids = []
            cids.append(cid)
            adjust = width - advance + offset
            total += advance
        segments.append(f"<{''.join(f'{c:04x}' for c in cids)}>")
        if adjust:
            segments.append(str(adjust))
        span = io.BytesIO()
        generic.DictionaryObject({generic.pdf_name("/ActualText"): generic.TextStringObject(text)}).write_to_stream(span)
        x_advance = total / self.units_per_em * size
        line = (b"/Span %s BDC [%s] TJ %g 0 Td EMC %g %g Td"
                % (span.getvalue(), " ".join(segments).encode("ascii"), x_advance, -x_advance, -size))
        width, height = round(abs(x_advance)), size  # one line: the leading is the font size
        inner = layout.BoxConstraints()
        placed = DEFAULT_BOX_LAYOUT.substitute_margins(layout.Margins.uniform(DEFAULT_TEXT_BOX_MARGIN)).fit(
            inner, width, height)
        da = b"/F1 %d Tf %d TL" % (size, size)
        text_box = b" ".join([placed.as_cm(), b"/Tx BMC q", b"BT", da, da, b"0 %g Td" % (height * placed.y_scale - size),
                              line, b"ET Q EMC"])
        outer = DEFAULT_BOX_LAYOUT.fit(box, inner.width, inner.height)
        return b" ".join([b"q", b"q", outer.as_cm(), text_box, b"Q", b"Q"])


class _Note:
    """The appearance pyHanko asks the style for: one form XObject, its font copied in."""

    def __init__(self, writer: Any, box: layout.BoxConstraints, content: bytes, template: _Template):
        self.writer, self.box, self._content, self._template = writer, box, content, template

    def apply_appearance(self, annot: generic.DictionaryObject) -> None:
        font = _copy(self._template.font, self.writer, {})
        resources = generic.DictionaryObject({generic.pdf_name("/Font"): generic.DictionaryObject(
            {generic.pdf_name("/F1"): font})})
        form = self.writer.add_object(init_xobject_dictionary(self._content, self.box.width, self.box.height,
                                                              resources))
        annot[generic.pdf_name("/AP")] = generic.DictionaryObject({generic.pdf_name("/N"): form})
        annot.pop(generic.pdf_name("/AS"), None)


def _copy(obj: Any, target: Any, done: dict[int, generic.IndirectObject]) -> Any:
    """A template object and all it refers to, as new objects of ``target`` (the streams' encoded
    bytes shared, not compressed again)."""
    if isinstance(obj, generic.IndirectObject):
        if obj.idnum not in done:
            done[obj.idnum] = ref = target.allocate_placeholder()
            target.add_object(_copy(obj.get_object(), target, done), idnum=ref.idnum)
        return done[obj.idnum]
    if isinstance(obj, generic.StreamObject):
        entries = {k: _copy(v, target, done) for k, v in obj.items() if k != "/Length"}
        return generic.StreamObject(entries, encoded_data=obj.encoded_data)
    if isinstance(obj, generic.DictionaryObject):
        return generic.DictionaryObject({k: _copy(v, target, done) for k, v in obj.items()})
    if isinstance(obj, generic.ArrayObject):
        return generic.ArrayObject(_copy(v, target, done) for v in obj)
    return obj  # names, numbers, strings: never changed in place


_TEMPLATES: dict[tuple[str, int], _Template] = {}
_TEMPLATE_LOCK = threading.Lock()  # the web app's workers may sign at once


def _template(font_file: str, size: int) -> _Template:
    found = _TEMPLATES.get((font_file, size))
    if found is not None:
        return found
    with _TEMPLATE_LOCK:
        if (font_file, size) not in _TEMPLATES:
            _TEMPLATES[(font_file, size)] = _build_template(font_file, size)
        return _TEMPLATES[(font_file, size)]


def _build_template(font_file: str, size: int) -> _Template:
    """Every character of the subset shaped once, its font written with all their glyphs."""
    import uharfbuzz as hb
    from pyhanko.pdf_utils.writer import PdfFileWriter

    scratch = PdfFileWriter(init_page_tree=False)
    engine = _StampFontFactory(font_file, font_size=size).create_font_engine(scratch)
    glyphs = {}
    for code in sorted(engine.tt.getBestCmap()):
        char = chr(code)
        buf = hb.Buffer()
        buf.add_str(char)
        buf.guess_segment_properties()
        hb.shape(engine.hb_font, buf, None)
        if len(buf.glyph_infos) != 1 or buf.glyph_infos[0].codepoint == 0 or buf.glyph_positions[0].y_offset:
            continue  # not one plain glyph: a line with it is left to TextStampStyle
        engine.shape(char)  # the glyph joins the font's widths and ToUnicode map
        cid, width = engine._get_cid_and_width(buf.glyph_infos[0].codepoint)
        position = buf.glyph_positions[0]
        glyphs[char] = (cid, width, position.x_advance, position.x_offset)
    engine.prepare_write()
    return _Template(scratch, engine.as_resource(), glyphs, engine.units_per_em)
