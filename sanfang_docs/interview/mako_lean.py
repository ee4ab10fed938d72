"""Mako's Template, imported without Pygments.

``mako.exceptions`` imports Pygments (~30 ms, 42 modules) at import time, only to colour the
source in ``html_error_template()``, which nothing here calls (a template error becomes an
InterviewError naming the block). With ``mako.ext.pygmentplugin`` unimportable while Mako is
first imported, Mako installs its own plain fallback; the entry is removed again at once.
"""

from __future__ import annotations

import sys

_PLUGIN = "mako.ext.pygmentplugin"
_blocked = "mako.exceptions" not in sys.modules and _PLUGIN not in sys.modules
if _blocked:
    sys.modules[_PLUGIN] = None  # type: ignore[assignment] - None in sys.modules: "cannot import"
try:
    from mako.template import Template
finally:
    if _blocked and sys.modules.get(_PLUGIN, 0) is None:
        del sys.modules[_PLUGIN]

__all__ = ["Template"]
