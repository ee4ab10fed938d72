"""What the views share: the request's library API, the admin-only guard, a safe redirect."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import abort, g, url_for

from ..api import Sanfang


def api() -> Sanfang:
    return g.api  # type: ignore[no-any-return]


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.caller is None or g.caller.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //) is followed after login."""
    if not target:
        return url_for("pages.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.home")
    return target
