"""
HTML to PDF in a separate process, so a request worker is never held hostage by WeasyPrint and
its memory does not grow with the documents it prints.

The parent renders the Django template (it has the database, the language, the user) and sends
the finished HTML to a small pool of worker processes that only run WeasyPrint
(printing.worker). The pool is created on first use, spawns fresh interpreters (no fork of a
process holding database connections and threads), and retires each worker after
PDF_WORKER_MAX_TASKS renders, which caps any growth in memory. Each render has a time limit
(PDF_RENDER_TIMEOUT seconds): past it the pool is killed and replaced, and the caller gets a
message instead of a hung request. A document longer than PDF_MAX_PAGES is refused after
layout, before any PDF is written. Settings are read when each render starts, with defaults.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _

from printing import worker

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60
DEFAULT_MAX_PAGES = 300
DEFAULT_WORKERS = 1
DEFAULT_MAX_TASKS = 25

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


class RenderRefused(Exception):
    """Nothing was printed; `message` says why, for the person who asked."""

    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyPages(RenderRefused):
    status = 422

    def __init__(self, pages: int, limit: int) -> None:
        super().__init__(
            _(
                "This document has %(pages)s pages, more than the %(limit)s pages one print may "
                "have (PDF_MAX_PAGES). Nothing was printed: print the Decree 56 forms one by one, "
                "or ask the administrator to raise the limit."
            )
            % {"pages": pages, "limit": limit}
        )
        self.pages = pages
        self.limit = limit


class RenderTimeout(RenderRefused):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            _(
                "The document could not be produced within %(seconds)s seconds "
                "(PDF_RENDER_TIMEOUT). Nothing was printed: try again later, or print the "
                "Decree 56 forms one by one."
            )
            % {"seconds": seconds}
        )


class RenderFailed(RenderRefused):
    def __init__(self) -> None:
        super().__init__(_("The document could not be produced. Nothing was printed: try again."))


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    worker_pid: int
    rss_kib: int
    peak_rss_kib: int


def render_timeout() -> float:
    return getattr(settings, "PDF_RENDER_TIMEOUT", DEFAULT_TIMEOUT)


def max_pages() -> int:
    return getattr(settings, "PDF_MAX_PAGES", DEFAULT_MAX_PAGES)


def static_base() -> str:
    """The folder relative URLs in a printed document resolve against (a path, not HTTP)."""
    return str(Path(settings.BASE_DIR) / "static")


def font_url(name: str) -> str:
    """A file:// URL of a font shipped in static/fonts (never fetched over HTTP)."""
    path = finders.find(f"fonts/{name}") or str(Path(settings.BASE_DIR) / "static/fonts" / name)
    return Path(path).resolve().as_uri()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            method = getattr(settings, "PDF_RENDER_START_METHOD", "spawn")
            _pool = ProcessPoolExecutor(
                max_workers=getattr(settings, "PDF_RENDER_WORKERS", DEFAULT_WORKERS),
                mp_context=multiprocessing.get_context(method),
                max_tasks_per_child=getattr(settings, "PDF_WORKER_MAX_TASKS", DEFAULT_MAX_TASKS),
                initializer=worker.warm_up,
            )
        return _pool


def pool_shutdown(*, kill: bool = False) -> None:
    """Stop the render pool (killing its workers mid-render when `kill`); the next render
    starts a new one."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    if kill:
        # The executor has no public way to stop a running task: end its processes.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
    pool.shutdown(wait=not kill, cancel_futures=True)


def html_to_pdf(html: str, *, base_url: str | None = None) -> RenderedPdf:
    """Render finished HTML to PDF bytes in the worker pool, within the time and page limits."""
    timeout = render_timeout()
    limit = max_pages()
    try:
        future = _executor().submit(worker.render_pdf, html, base_url or static_base(), limit)
        result = future.result(timeout=timeout)
    except TimeoutError:
        logger.warning("PDF render exceeded %s s; render pool killed", timeout)
        pool_shutdown(kill=True)
        raise RenderTimeout(timeout) from None
    except BrokenProcessPool:
        logger.exception("PDF render worker died")
        pool_shutdown(kill=True)
        raise RenderFailed() from None
    except Exception:
        logger.exception("PDF render failed")
        raise RenderFailed() from None
    if result["pdf"] is None:
        raise TooManyPages(result["pages"], limit)
    return RenderedPdf(
        pdf=result["pdf"],
        pages=result["pages"],
        worker_pid=result["pid"],
        rss_kib=result["rss_kib"],
        peak_rss_kib=result["peak_rss_kib"],
    )
