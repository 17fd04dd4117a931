"""
What runs inside the render process: HTML in, PDF bytes out. Nothing of Django is imported here,
so a fresh (spawned) worker starts in about a second and holds only WeasyPrint's memory; the
parent renders the template and sends the finished HTML with the folder its URLs resolve against.
"""

from __future__ import annotations

import gc
import os
import resource
from typing import Any


def warm_up() -> None:
    """Import WeasyPrint when the worker starts, not inside the first render's time limit."""
    import weasyprint  # noqa: F401


def _rss_kib() -> int:
    """The worker's resident memory now, in KiB (Linux); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _local_only(base_url: str) -> Any:
    """A URL fetcher that serves files under `base_url` (the shipped fonts) and nothing else:
    a printed document never reaches the network or other files, whatever its text says."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    root = Path(base_url).resolve()

    class LocalFilesOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                raise ValueError(f"Printed documents load only their own files, not {url[:80]}")
            return super().fetch(url, headers)

    return LocalFilesOnly(allowed_protocols={"file"})


def render_pdf(html: str, base_url: str, max_pages: int) -> dict[str, Any]:
    """
    Lay the document out; refuse it past `max_pages` (before writing any PDF), else write it.

    Returns a plain dict (picklable): `pdf` (bytes, or None when refused), `pages`, and the
    worker's `pid`, current and peak memory, so callers and benchmarks can see where it ran.
    """
    from weasyprint import HTML

    # The cyclic collector walks WeasyPrint's many box objects again and again during a render
    # (about a tenth of the time); the document's garbage is collected when the render is done.
    gc.disable()
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=_local_only(base_url)).render()
        pages = len(document.pages)
        pdf = None if pages > max_pages else document.write_pdf()
        del document
    finally:
        gc.enable()
    return {
        "pdf": pdf,
        "pages": pages,
        "pid": os.getpid(),
        "rss_kib": _rss_kib(),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
