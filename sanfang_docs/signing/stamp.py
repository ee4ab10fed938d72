"""The signature's visible note: one line of text in the signer's subset of a CJK face.

pyHanko's ``TextStampStyle`` would, on every signature, read that font with fontTools and
HarfBuzz, shape the line and build the font's PDF objects (~1.1–1.4 ms of a signature, and
fontTools' and HarfBuzz's imports and table reading, ~55 ms, in a one-shot command).
:class:`NoteStyle` does that once per font (:func:`_template`: the font's objects written with
every glyph of the subset, and each character's glyph, width and advance as HarfBuzz gives
them), keeps it beside the subset in the user's cache, and per signature copies those objects
into the file and writes the line's content stream with pyHanko's own layout rules: the same
operators, byte for byte, as ``TextStampStyle`` draws (tests/test_sign.py compares them). A
line with a character the template lacks is drawn by ``TextStampStyle`` as before
(signing/glyphs.py, pyHanko's glyph accumulator for the subset).
"""

from __future__ import annotations

import io
import marshal
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.text import DEFAULT_BOX_LAYOUT, DEFAULT_TEXT_BOX_MARGIN, TextBoxStyle
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from pyhanko.stamp import TextStampStyle
from pyhanko.version import __version__ as _PYHANKO

from .. import usercache
from .stampfont import STAMP_PT, STAMP_TEXT, STAMP_TIME, stamp_font, stamp_name

__all__ = ["NoteStyle", "note_style", "stamp_name"]


def note_style(signer: str) -> NoteStyle:
    """The stamp style of one signer's note (its name as :func:`stamp_name` prints it)."""
    return NoteStyle(stamp_text=STAMP_TEXT, timestamp_format=STAMP_TIME, border_width=0, background=None,
                     text_box_style=TextBoxStyle(font_size=STAMP_PT),
                     font_file=stamp_font(signer, known=lambda path: _kept(path, STAMP_PT) is not None))


@dataclass(frozen=True)
class NoteStyle(TextStampStyle):
    """``TextStampStyle`` for the note, drawn from the font's template (see the module's text)."""

    font_file: str = ""

    def pyhanko_style(self) -> TextStampStyle:
        """The same note as pyHanko's own ``TextStampStyle`` draws it."""
        from .glyphs import StampFontFactory

        size = self.text_box_style.font_size
        return TextStampStyle(stamp_text=self.stamp_text, timestamp_format=self.timestamp_format,
                              border_width=self.border_width, background=self.background,
                              text_box_style=TextBoxStyle(font=StampFontFactory(self.font_file, font_size=size),
                                                          font_size=size))

    def create_stamp(self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]) -> Any:
        text = self.stamp_text % text_params
        size = self.text_box_style.font_size
        template = _template(self.font_file, size)
        if any(c not in template.glyphs for c in text) or self.text_box_style.leading is not None:
            return self.pyhanko_style().create_stamp(writer, box, text_params)
        return _Note(writer, box, template.content(text, size, box), template)


@dataclass(frozen=True)
class _Template:
    """One stamp font's PDF objects, encoded (:func:`_encode`; the first is the Type0 font), and
    its characters' glyphs."""

    objects: tuple[tuple[int, Any], ...]
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

    def font_into(self, writer: Any) -> generic.IndirectObject:
        """The font's objects as new objects of ``writer``; the Type0 font's reference."""
        refs = {number: writer.allocate_placeholder() for number, _ in self.objects}
        for number, obj in self.objects:
            writer.add_object(_decode(obj, refs), idnum=refs[number].idnum)
        return refs[self.objects[0][0]]


class _Note:
    """The appearance pyHanko asks the style for: one form XObject, its font copied in."""

    def __init__(self, writer: Any, box: layout.BoxConstraints, content: bytes, template: _Template):
        self.writer, self.box, self._content, self._template = writer, box, content, template

    def apply_appearance(self, annot: generic.DictionaryObject) -> None:
        resources = generic.DictionaryObject({generic.pdf_name("/Font"): generic.DictionaryObject(
            {generic.pdf_name("/F1"): self._template.font_into(self.writer)})})
        form = self.writer.add_object(init_xobject_dictionary(self._content, self.box.width, self.box.height,
                                                              resources))
        annot[generic.pdf_name("/AP")] = generic.DictionaryObject({generic.pdf_name("/N"): form})
        annot.pop(generic.pdf_name("/AS"), None)


# -- the template: built once per font, kept beside it ------------------------------------------

_TEMPLATES: dict[tuple[str, int], _Template] = {}
_TEMPLATE_LOCK = threading.Lock()  # the web app's workers may sign at once
_FORMAT = 2  # of the kept file


def _template(font_file: str, size: int) -> _Template:
    found = _TEMPLATES.get((font_file, size))
    if found is not None:
        return found
    with _TEMPLATE_LOCK:
        found = _TEMPLATES.get((font_file, size)) or _kept(font_file, size)
        if found is None:
            found = _build_template(font_file, size)
            _keep(font_file, size, found)
        _TEMPLATES[(font_file, size)] = found
        return found


def _kept_stamp(font_file: str, size: int) -> str:
    return f"{usercache.stamp(font_file)}:{_PYHANKO}:{size}:{_FORMAT}"


def _kept(font_file: str, size: int) -> _Template | None:
    """The template an earlier process kept for this font file (as it is now), or None."""
    if (font_file, size) in _TEMPLATES:
        return _TEMPLATES[(font_file, size)]
    try:
        stamp, objects, glyphs, units = marshal.loads(Path(f"{font_file}.note").read_bytes())
        if stamp != _kept_stamp(font_file, size) or not objects or not isinstance(units, int):
            return None
        template = _Template(tuple((int(n), obj) for n, obj in objects), dict(glyphs), units)
        refs = {n: generic.IndirectObject(n, 0, None) for n, _ in template.objects}
        for _, obj in template.objects:
            _decode(obj, refs)  # a damaged file fails here, not in a signature
            if obj[0] == "s" and ("/Filter", ("n", "/FlateDecode")) in obj[1]:
                zlib.decompress(obj[2])  # the font program and ToUnicode map as encoded
        if not all(len(g) == 4 and all(isinstance(v, int) for v in g) for g in template.glyphs.values()):
            return None
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError, zlib.error):
        return None
    _TEMPLATES[(font_file, size)] = template
    return template


def _keep(font_file: str, size: int, template: _Template) -> None:
    try:
        stamp = _kept_stamp(font_file, size)
    except OSError:
        return
    usercache.keep(Path(f"{font_file}.note"), marshal.dumps(
        (stamp, template.objects, template.glyphs, template.units_per_em)))


def _build_template(font_file: str, size: int) -> _Template:
    """Every character of the subset shaped once, its font written with all their glyphs."""
    import uharfbuzz as hb
    from pyhanko.pdf_utils.writer import PdfFileWriter

    from .glyphs import StampFontFactory

    scratch = PdfFileWriter(init_page_tree=False)
    engine = StampFontFactory(font_file, font_size=size).create_font_engine(scratch)
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
    objects, todo, seen = [], [engine.as_resource()], set()
    while todo:  # the font and everything it refers to
        ref = todo.pop(0)
        if ref.idnum in seen:
            continue
        seen.add(ref.idnum)
        objects.append((ref.idnum, _encode(ref.get_object(), todo)))
    return _Template(tuple(objects), glyphs, engine.units_per_em)


def _encode(obj: Any, refs: list[generic.IndirectObject]) -> Any:
    """A pyHanko object as nested tuples marshal can keep (references noted in ``refs``)."""
    if isinstance(obj, generic.IndirectObject):
        refs.append(obj)
        return ("r", obj.idnum)
    if isinstance(obj, generic.StreamObject):  # its bytes as encoded: not compressed again
        return ("s", tuple((str(k), _encode(v, refs)) for k, v in obj.items() if k != "/Length"),
                bytes(obj.encoded_data))
    if isinstance(obj, generic.DictionaryObject):
        return ("d", tuple((str(k), _encode(v, refs)) for k, v in obj.items()))
    if isinstance(obj, generic.ArrayObject):
        return ("a", tuple(_encode(v, refs) for v in obj))
    for tag, kind, plain in _SCALARS:
        if isinstance(obj, kind):
            return (tag, plain(obj))
    raise TypeError(f"不能保存的字体对象：{type(obj).__name__}")


def _decode(item: Any, refs: dict[int, generic.IndirectObject]) -> Any:
    tag = item[0]
    if tag == "r":
        return refs[item[1]]
    if tag == "s":
        return generic.StreamObject({generic.NameObject(k): _decode(v, refs) for k, v in item[1]},
                                    encoded_data=item[2])
    if tag == "d":
        return generic.DictionaryObject({generic.NameObject(k): _decode(v, refs) for k, v in item[1]})
    if tag == "a":
        return generic.ArrayObject(_decode(v, refs) for v in item[1])
    return _MAKE[tag](item[1])


_SCALARS: tuple[tuple[str, type, Any], ...] = (  # tag, pyHanko type, its plain value (marshal-able)
    ("n", generic.NameObject, str), ("o", generic.BooleanObject, lambda b: bool(b.value)),
    ("i", generic.NumberObject, int), ("f", generic.FloatObject, str), ("t", generic.TextStringObject, str),
    ("b", generic.ByteStringObject, bytes), ("z", generic.NullObject, lambda _: None))
_MAKE: dict[str, Any] = {
    "n": generic.NameObject, "o": generic.BooleanObject, "i": generic.NumberObject, "f": generic.FloatObject,
    "t": generic.TextStringObject, "b": generic.ByteStringObject, "z": lambda _: generic.NullObject()}
