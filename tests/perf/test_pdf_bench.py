"""
Benchmark: the case file as PDF, for a ~20-page and a ~100-page file (`make bench`).

Prints, for each size, the pages, the median seconds of a whole print (the context read, the
template, the render in the worker process, the hash and the register row) and of the render
alone, and the worker's peak memory; then whether the worker's memory grows over 20 renders.
Targets (issue #6): 20 pages ≤ 1.5 s, 100 pages ≤ 8 s. Figures are printed, not asserted as
timed tests (docs/DESIGN.md §12), except the targets, which a benchmark run checks.
"""

from __future__ import annotations

import resource
import statistics
import time

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from printing import documents, render, services
from tests.printing.conftest import through_review

pytestmark = [pytest.mark.bench]

SIZES = {
    # name: (notes, history rows, plan activities, runs, target seconds)
    "20 pages": (118, 44, 22, 7, 1.5),
    "100 pages": (815, 292, 146, 5, 8.0),
}
GROWTH_RENDERS = 20
VERIFY_URL = "http://127.0.0.1:8000/print/verify/"


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def print_once(world, case):
    started = time.perf_counter()
    issued = services.document_print(
        actor=world.supervisor,
        document=documents.case_file(case),
        case=case,
        purpose="Benchmark",
        verify_url=VERIFY_URL,
    )
    return time.perf_counter() - started, issued


@pytest.mark.parametrize("size", list(SIZES))
def test_case_file_render_time_and_memory(world, named_case, grow_case, settings, size):
    notes, history, activities, runs, target = SIZES[size]
    through_review(world, named_case)
    grow_case(named_case, notes=notes, history=history, activities=activities)
    render.pool_shutdown()
    translation.activate("vi")

    print_once(world, named_case)  # warm-up: the worker starts and imports WeasyPrint
    totals, renders, pages, peaks = [], [], set(), []
    for _ in range(runs):
        seconds, issued = print_once(world, named_case)
        totals.append(seconds)
        pages.add(issued.rendered.pages)
        peaks.append(issued.rendered.peak_rss_kib)
    document = documents.case_file(named_case)
    frame = services.document_frame(
        document=document,
        case=named_case,
        actor=world.supervisor,
        public_id=issued.record.public_id,
        printed_at=issued.record.printed_at,
        purpose="Benchmark",
        verify_url=VERIFY_URL,
        language="vi",
    )
    html = render_to_string(document.template, {**document.context, "frame": frame})
    for _ in range(runs):
        started = time.perf_counter()
        render.html_to_pdf(html)
        renders.append(time.perf_counter() - started)
    render.pool_shutdown()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    median = statistics.median(totals)
    print(
        f"\n[bench] case file {size}: {sorted(pages)} pages, {runs} runs; "
        f"median whole print {median:.3f} s (min {min(totals):.3f}, max {max(totals):.3f}); "
        f"median render in the worker {statistics.median(renders):.3f} s; "
        f"HTML {len(html) / 1024:.0f} KiB; worker peak RSS {mib(max(peaks))} MiB "
        f"(RUSAGE_CHILDREN max {mib(children)} MiB); target ≤ {target} s"
    )
    assert median <= target


def test_worker_memory_does_not_grow_over_many_renders(world, named_case, grow_case, settings):
    notes, history, activities, _runs, _target = SIZES["20 pages"]
    through_review(world, named_case)
    grow_case(named_case, notes=notes, history=history, activities=activities)
    translation.activate("vi")
    document = documents.case_file(named_case)
    frame = services.document_frame(
        document=document,
        case=named_case,
        actor=world.supervisor,
        public_id=named_case.public_id,
        printed_at=named_case.received_at,
        purpose="Benchmark",
        verify_url=VERIFY_URL,
        language="vi",
    )
    html = render_to_string(document.template, {**document.context, "frame": frame})

    # One worker for all 20 renders (no recycling), to see what a long-lived worker does.
    render.pool_shutdown()
    settings.PDF_WORKER_MAX_TASKS = 1000
    results = [render.html_to_pdf(html) for _ in range(GROWTH_RENDERS)]
    render.pool_shutdown()
    assert len({r.worker_pid for r in results}) == 1
    rss = [r.rss_kib for r in results]
    # Memory settles after the first renders (caches, allocator arenas); compare after that.
    settled, last = rss[2], rss[-1]
    growth = last - settled
    print(
        f"\n[bench] {GROWTH_RENDERS} renders of {results[0].pages} pages in one worker: "
        f"RSS after render 1 {mib(rss[0])} MiB, 3 {mib(settled)} MiB, "
        f"{GROWTH_RENDERS} {mib(last)} MiB (growth after settling {mib(growth)} MiB); "
        f"peak {mib(max(r.peak_rss_kib for r in results))} MiB; "
        f"RSS per render (MiB): {[mib(v) for v in rss]}"
    )

    # With the default recycling (PDF_WORKER_MAX_TASKS) workers are replaced before any growth
    # adds up: count the distinct workers over the same 20 renders.
    del settings.PDF_WORKER_MAX_TASKS
    recycled = [render.html_to_pdf(html) for _ in range(GROWTH_RENDERS)]
    render.pool_shutdown()
    print(
        f"[bench] with recycling every {render.DEFAULT_MAX_TASKS} renders: "
        f"{len({r.worker_pid for r in recycled})} worker(s), "
        f"last RSS {mib(recycled[-1].rss_kib)} MiB"
    )
    assert growth < 64 * 1024  # KiB: less than 64 MiB over 18 renders of 20 pages
