"""pyHanko imported in the parts a signature uses, not its whole validation and network stack.

``import pyhanko.sign.signers.pdf_signer`` first runs ``pyhanko/sign/__init__.py``, which imports
every signer, the timestamp clients (aiohttp, ~0.2 s, its classes used in annotations at import
time, so a lazy module does not defer it) and the validation package (with
``pyhanko.sign.validation.ades``, which imports aiohttp again through the certificate fetchers);
``pyhanko.pdf_utils.font.opentype`` imports ``fontTools.subset`` (~75 ms), which the stamp's
glyph accumulator never calls (stamp.py embeds a font that is already its subset). Together
that was ~0.3 s of a one-shot ``sanfang make`` (bench/README.md "A cold command").

:func:`install` (run by ``signing/__init__.py``, before pades.py imports pyHanko) changes only
*when* pyHanko's modules run, never what they do:

- the packages in ``LAZY_PACKAGES`` are put in ``sys.modules`` without running their
  ``__init__``; a name the ``__init__`` re-exports (``from .x import Name``) is imported from
  its own module when first asked for, a submodule loads as usual, and any other name (one the
  ``__init__``'s own code defines, such as ``validate_pdf_signature``) runs the real
  ``__init__`` in place, so every name is still there when asked for. (Read for 0.38: these
  ``__init__`` files have no side effects beyond defining names.)
- ``pyhanko.sign.validation.ades`` — pdf_signer imports one coroutine from it, for validating
  an earlier timestamp, which a new signature never does — is a stand-in whose coroutine and
  every other attribute load the real module first;
- ``fontTools.subset`` is a stand-in only while ``opentype`` is imported (a finder on
  ``sys.meta_path`` that waits for that import, then leaves); its ``Options`` and ``Subsetter``
  build the real module's objects, anything else loads it. Importing the box (``keys`` for
  ``sanfang keys``) imports no pyHanko module at all.

``tests/test_cold_imports.py`` checks that a filing imports none of these and that signing and
verification in one process still work. pyHanko is pinned below 0.39 (pyproject.toml); with
another layout (a package not found, its source unreadable) the step is skipped and pyHanko
imports as it always did.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

# Packages whose __init__ imports far more than a signature uses (pdf_signer's own imports).
LAZY_PACKAGES = ("pyhanko.sign", "pyhanko.sign.signers", "pyhanko.sign.timestamps", "pyhanko.stamp",
                 "pyhanko.sign.validation")
# Modules pdf_signer imports a name from that a new signature never calls.
DEFERRED = {"pyhanko.sign.validation.ades": ("ades_timestamp_validation_internal",)}
OPENTYPE = "pyhanko.pdf_utils.font.opentype"


def install() -> None:
    """Defer pyHanko's package inits (once per process; not if pyHanko is already imported)."""
    if "pyhanko.sign" in sys.modules or "pyhanko.sign.signers.pdf_signer" in sys.modules:
        return
    made: list[str] = []
    try:
        for name in LAZY_PACKAGES:
            _lazy_package(name)
            made.append(name)
        for name, coroutines in DEFERRED.items():
            _deferred(name, coroutines)
            made.append(name)
    except (ImportError, OSError, SyntaxError, ValueError):
        for name in made:  # pyHanko's layout is not the one this was written for: import as usual
            sys.modules.pop(name, None)
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and child in vars(sys.modules[parent]):
                delattr(sys.modules[parent], child)
        return
    if OPENTYPE not in sys.modules and not any(isinstance(f, _OpentypeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _OpentypeFinder())


def _reexports(init: Path) -> dict[str, tuple[int, str, str]]:
    """name → (level, module, name) of what an ``__init__`` re-exports (``from .x import Name``)."""
    names: dict[str, tuple[int, str, str]] = {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level >= 1 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = (node.level, node.module, alias.name)
    return names


def _lazy_package(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.loader is None or not spec.submodule_search_locations:
        raise ImportError(name)
    names = _reexports(Path(spec.origin))
    module = importlib.util.module_from_spec(spec)
    folders = [Path(p) for p in spec.submodule_search_locations]

    def complete() -> None:
        module.__dict__.pop("__getattr__", None)
        spec.loader.exec_module(module)  # type: ignore[union-attr]

    def __getattr__(attr: str) -> Any:
        if attr in names:
            level, source, original = names[attr]
            base = name.rsplit(".", level - 1)[0] if level > 1 else name
            value = getattr(importlib.import_module(f"{base}.{source}"), original)
            setattr(module, attr, value)
            return value
        if not attr.startswith("__") and any((f / f"{attr}.py").is_file() or (f / attr).is_dir() for f in folders):
            return importlib.import_module(f"{name}.{attr}")
        complete()
        return getattr(module, attr)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)


def _forwarding(name: str, stand_in: types.ModuleType) -> Any:
    """A stand-in's ``__getattr__``: any name it lacks comes from the real module. Not dunder
    names: the import system asks for ``__path__`` and the like of every module it returns."""
    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_real(name, stand_in), attr)

    return __getattr__


def _real(name: str, stand_in: types.ModuleType) -> types.ModuleType:
    """The real module ``name``, imported in place of its stand-in (now and for later imports)."""
    current = sys.modules.get(name)
    if current is not None and current is not stand_in:
        return current
    sys.modules.pop(name, None)
    real = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, real)
    return real


def _deferred(name: str, coroutines: tuple[str, ...]) -> None:
    stand_in = types.ModuleType(name, f"stand-in for {name}: loads it when used (sanfang_docs.signing.lean)")

    def forward(attr: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(_real(name, stand_in), attr)(*args, **kwargs)

        call.__name__ = attr
        return call

    for attr in coroutines:
        setattr(stand_in, attr, forward(attr))
    stand_in.__getattr__ = _forwarding(name, stand_in)  # type: ignore[method-assign]
    sys.modules[name] = stand_in


class _OpentypeFinder(importlib.abc.MetaPathFinder):
    """When (and only when) pyHanko's opentype module is imported, it is imported with the
    ``fontTools.subset`` stand-in; once, then this finder takes itself off ``sys.meta_path``."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != OPENTYPE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or "fontTools.subset" in sys.modules:
            return spec
        spec.loader = _WithoutSubset(spec.loader)
        return spec


class _WithoutSubset(importlib.abc.Loader):
    def __init__(self, loader: Any):
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        import fontTools

        stand_in = types.ModuleType("fontTools.subset", "stand-in while pyHanko's opentype module is imported")

        def building(cls: str) -> type:
            # A class, so that annotations such as ``subset.Options | None`` still evaluate.
            return type(cls, (), {"__new__": lambda _cls, *a, **k: getattr(_real("fontTools.subset", stand_in), cls)(*a, **k)})

        stand_in.Options = building("Options")  # type: ignore[attr-defined]
        stand_in.Subsetter = building("Subsetter")  # type: ignore[attr-defined]
        stand_in.__getattr__ = _forwarding("fontTools.subset", stand_in)  # type: ignore[method-assign]
        sys.modules["fontTools.subset"] = stand_in
        fontTools.subset = stand_in  # type: ignore[attr-defined]
        try:
            self.loader.exec_module(module)
        finally:
            if sys.modules.get("fontTools.subset") is stand_in:
                del sys.modules["fontTools.subset"]
            if getattr(fontTools, "subset", None) is stand_in:
                del fontTools.subset  # type: ignore[attr-defined]
