"""pyHanko's glyph accumulator for the note's font, which is already the note's subset.

Imported only to build the note's template (signing/stamp.py) or to draw a note pyHanko's way:
``pyhanko.pdf_utils.font.opentype`` brings in HarfBuzz and fontTools (~15 ms to import, ~40 ms
more to read a font's tables), which a signature from a kept template never needs.
"""

from __future__ import annotations

import io
import marshal
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.version import __version__ as _PYHANKO

from .. import usercache


class StampGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator for a font that is already the stamp's subset (``stampfont.stamp_font``):
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
                # The bytes as encoded: its entries name the filter (FlateDecode). (Until issue
                # 17e the decoded program was kept, under that filter: a reused font did not load.)
                _FONT_PROGRAMS[self._source] = (stream.encoded_data, dict(stream))
                _keep_program(self._source, stream.encoded_data, dict(stream))
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
    return f"{usercache.stamp(source)}:{_PYHANKO}:encoded"  # a program kept decoded is not read


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


class StampFontFactory(GlyphAccumulatorFactory):
    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        with open(self.font_file, "rb") as fh:
            engine = StampGlyphs(writer=writer, font_handle=io.BytesIO(fh.read()), font_size=self.font_size,
                                  obj_stream=obj_stream)
        engine._source = self.font_file
        return engine
