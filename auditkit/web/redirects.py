"""Where a redirect after sign-in or a language switch may go: only a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None, fallback: str) -> str:
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        # an absolute URL is acceptable only when it points back at this host
        if parts.netloc != request.host:
            return fallback
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
