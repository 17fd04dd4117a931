"""
National-scale benchmark (`make bench-scale`): the app served by gunicorn against a large
PostgreSQL database, measured from a load generator on the same machine.

    DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python -m tests.perf.bench_scale \\
        --database-url postgres://postgres@127.0.0.1:5432/childprotection_scale --requests 100

Three users are chosen from the data: the child-protection officer of the commune with the most
cases, the supervisor of the provincial Department of Health whose province holds the most
cases, and the sector staff of the school with the most (open) referrals. Each gets a Django
session made directly (their passwords are unusable) and sends its cookie.

For each user and request (case list: API first page, a deep page reached by following the
`next` links, the page /cases/; the home page, which is also the supervisor's overview; one
case's page and API detail; the referral inbox page and API) it reports:

- queries per request, captured in-process (django.test.Client with the same session and
  CaptureQueriesContext on the same database);
- the SQL floor: that request's SELECT statements replayed over a raw psycopg2 connection in a
  transaction that is rolled back (writes and the audit_append call skipped), each timed with its
  fetch, median over repeats, summed: what the request costs the database alone;
- p50/p95 latency at one client, requests/s and p95 at 4 and 8 concurrent clients;
- the CPU share the load generator itself took (its processes' CPU time over wall × cores),
  since it runs on the same cores as gunicorn and PostgreSQL.

It prints a Markdown table and writes the figures as JSON (--output). The load generator talks
only to 127.0.0.1: one process per client (no shared GIL), each with one keep-alive
http.client connection (re-opened by http.client when a sync worker closes it), a bounded
request count and a time limit per run.

This module imports only the standard library at the top: the client processes are started
with `spawn` and import it again; Django is set up only in the parent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import html as htmllib
import http.client
import json
import math
import multiprocessing as mp
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/childprotection_scale"
DEEP_PAGE_STEPS = 40
CONCURRENCY = (1, 4, 8)

# Workers for 2 cores: gthread, 3 workers × 2 threads. Tried on the development database
# (officer's /cases/ and case API detail, 60 requests per run, on 2 cores shared with
# PostgreSQL, the load generator and other people's test runs), requests/s at 8 clients:
# gthread 3×2: 37.7 and 58.2; sync 3: 33.4 and 50.9; sync 5: 37.3 and 43.0; gthread 2×4:
# 31.6 and 45.9. The differences are near the noise, but gthread 3×2 led on both: a request
# is CPU-bound Python with short waits on PostgreSQL, so one process per core plus one
# (2n + 1 would be 5: too many processes for cores that PostgreSQL also needs) and a second
# thread to overlap those waits; gthread also keeps connections alive, which sync workers do
# not. --worker-class/--workers/--threads override it.
DEFAULT_WORKER_CLASS = "gthread"
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 2


# ---------------------------------------------------------------------------------------------
# Pure logic (tested in tests/perf/test_bench_scale_logic.py)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_WRITES = re.compile(r"\b(insert|update|delete|merge|truncate)\b", re.I)


def replayable(sql: str) -> bool:
    """
    Whether a captured statement belongs to the SQL floor: a read (SELECT, or WITH … SELECT
    without a data-modifying part), never the audit_append call (it appends to the trail) and
    never a write or a transaction/savepoint statement. SELECT … FOR UPDATE is a read here:
    it is replayed inside a transaction that is rolled back.
    """
    text = _COMMENTS.sub(" ", sql).strip().lstrip("(").strip()
    first = text.split(None, 1)[0].lower() if text else ""
    if "audit_append" in text.lower():
        return False
    if first == "select":
        return True
    if first == "with":
        # Literal strings could hold the words; a CTE that mentions them is skipped, safely.
        return not _WRITES.search(re.sub(r"'(?:[^']|'')*'", "''", text))
    return False


def path_of(url: str) -> str:
    """The path and query of an absolute or relative link: the harness only talks to HOST."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S | re.I)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_REL_NEXT = re.compile(r"""\brel\s*=\s*["']?[^"'>]*\bnext\b""", re.I)
_PAGING_PARAMS = ("page", "cursor")


def _resolve(current: str, href: str) -> str:
    """A link as found on the page at `current` (path and query), as path and query."""
    href = htmllib.unescape(href)
    current_path = urlsplit(current).path or "/"
    if href.startswith("?"):
        return f"{current_path}{href}"
    if href.startswith("/") or "://" in href:
        return path_of(href)
    base = current_path.rsplit("/", 1)[0]
    return path_of(f"{base}/{href}")


def next_page_link(html: str, current: str) -> str | None:
    """
    The link to the next page of a list page at `current`, or None: the `<a rel="next">` if
    the page has one; else the paging link (a `page` or `cursor` parameter) that goes forward:
    for page numbers the smallest one above the current page, for cursors the last paging link
    of the page (after "newer/previous") that is not the page itself.
    """
    anchors = []
    for attrs, _text in _ANCHOR.findall(html):
        href = _HREF.search(attrs)
        if href is None:
            continue
        link = _resolve(current, href.group(1) if href.group(1) is not None else href.group(2))
        if _REL_NEXT.search(attrs):
            return link
        anchors.append(link)
    current_query = parse_qs(urlsplit(current).query)
    current_page = _int(current_query.get("page", ["1"])[0]) or 1
    numbered, cursors = [], []
    for link in anchors:
        query = parse_qs(urlsplit(link).query)
        if "page" in query:
            number = _int(query["page"][0])
            if number is not None and number > current_page:
                numbered.append((number, link))
        elif "cursor" in query and link != current:
            cursors.append(link)
    if numbered:
        return min(numbered)[1]
    if cursors:
        return cursors[-1]
    return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def summarise_run(samples: list[dict], wall: float, cores: int) -> dict:
    """Figures of one load run from the client processes' reports (see _client_main)."""
    latencies = [s for sample in samples for s in sample["latencies"]]
    statuses: dict[str, int] = {}
    for sample in samples:
        for status, count in sample["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    cpu = sum(sample["cpu"] for sample in samples)
    return {
        "clients": len(samples),
        "requests": len(latencies),
        "errors": sum(sample["errors"] for sample in samples),
        "statuses": statuses,
        "wall_s": round(wall, 3),
        "rps": round(len(latencies) / wall, 2) if wall > 0 else None,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        "loadgen_cpu_share": round(cpu / (wall * cores), 3) if wall > 0 else None,
    }


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(rows: list[dict]) -> str:
    """The results as a Markdown table: one row per user and request."""
    head = (
        "| user | request | status | queries (SELECTs) | SQL floor ms | c1 p50 ms | c1 p95 ms "
        "| c4 req/s | c4 p95 ms | c8 req/s | c8 p95 ms | load-gen CPU c1/c4/c8 |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for row in rows:
        runs = row.get("runs") or {}
        c1, c4, c8 = (runs.get(str(c)) or {} for c in CONCURRENCY)
        cpu = "/".join(_fmt(r.get("loadgen_cpu_share"), 2) for r in (c1, c4, c8))
        queries = f"{row['queries']} ({row['selects']})" if row.get("queries") is not None else "–"
        lines.append(
            "| "
            + " | ".join(
                [
                    row["user"],
                    row["request"] + (f" — {row['note']}" if row.get("note") else ""),
                    _fmt(row.get("status")),
                    queries,
                    _fmt(row.get("floor_ms"), 2),
                    _fmt(c1.get("p50_ms")),
                    _fmt(c1.get("p95_ms")),
                    _fmt(c4.get("rps")),
                    _fmt(c4.get("p95_ms")),
                    _fmt(c8.get("rps")),
                    _fmt(c8.get("p95_ms")),
                    cpu,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# HTTP: one request, and the load generator's client processes


def fetch(port: int, path: str, cookie: str, *, json_api: bool = False) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        connection.request("GET", path, headers=_headers(cookie, json_api=json_api))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _headers(cookie: str, *, json_api: bool) -> dict[str, str]:
    return {
        "Cookie": cookie,
        "Accept": "application/json" if json_api else "text/html",
        "Connection": "keep-alive",
    }


def _client_main(pipe, port: int) -> None:
    """One client process: run the commands it receives (one load run each) until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    while True:
        command = pipe.recv()
        if command is None:
            return
        path, cookie, json_api, count, start_at, deadline = command
        headers = _headers(cookie, json_api=json_api)
        connection = http.client.HTTPConnection(HOST, port, timeout=300)
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        errors = 0
        while time.monotonic() < start_at:
            time.sleep(0.0005)
        cpu = time.process_time()
        for _ in range(count):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):
                errors += 1
                connection.close()
                continue
            latencies.append(time.perf_counter() - started)
            statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        end = time.monotonic()
        connection.close()
        pipe.send(
            {
                "latencies": latencies,
                "statuses": statuses,
                "errors": errors,
                "cpu": time.process_time() - cpu,
                "end": end,
            }
        )


class LoadGenerator:
    """Client processes started once (spawn: no Django, no inherited connections)."""

    def __init__(self, port: int, clients: int) -> None:
        context = mp.get_context("spawn")
        self.clients = []
        for _ in range(clients):
            parent, child = context.Pipe()
            process = context.Process(target=_client_main, args=(child, port), daemon=True)
            process.start()
            self.clients.append((process, parent))

    def run(
        self, path: str, cookie: str, *, json_api: bool, clients: int, requests: int, seconds: float
    ) -> dict:
        per_client = math.ceil(requests / clients)
        start_at = time.monotonic() + 0.2
        deadline = start_at + seconds
        parent_cpu = time.process_time()
        for _process, pipe in self.clients[:clients]:
            pipe.send((path, cookie, json_api, per_client, start_at, deadline))
        samples = [pipe.recv() for _process, pipe in self.clients[:clients]]
        wall = max(sample["end"] for sample in samples) - start_at
        # The parent only waits, but its CPU during the run is the load generator's too.
        samples[0]["cpu"] += max(0.0, time.process_time() - parent_cpu)
        return summarise_run(samples, wall, os.cpu_count() or 1)

    def close(self) -> None:
        for _process, pipe in self.clients:
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(None)
        for process, _pipe in self.clients:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join(5)


# ---------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn config.wsgi` on HOST in its own process group, stopped on leaving."""

    def __init__(self, *, env: dict[str, str], worker_class: str, workers: int, threads: int):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in __exit__)
            prefix="bench-scale-gunicorn-", suffix=".log", delete=False
        )
        self.command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--worker-class",
            worker_class,
            "--workers",
            str(workers),
            # gunicorn turns sync into gthread when threads > 1: sync keeps one thread.
            "--threads",
            str(threads if worker_class != "sync" else 1),
            "--timeout",
            "300",
            "--keep-alive",
            "30",
            "--error-logfile",
            "-",
        ]
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(  # noqa: S603
            self.command,
            env=self.env,
            cwd=str(Path(__file__).resolve().parents[2]),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                status, _body = fetch(self.port, "/", "")
                if status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None and self.process is not None:
            log(f"gunicorn's log ({self.log.name}) ends:\n{self.tail()}")
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()
        if exc_type is None:
            Path(self.log.name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Django side: environment, users, sessions, captured SQL and its floor


def prepare_environment(database_url: str) -> dict[str, str]:
    """The environment of gunicorn and of this process: production settings, plain HTTP."""
    secret = os.environ.get("SECRET_KEY", "")
    if not secret or secret.startswith("insecure-placeholder"):
        # Sessions are signed and the user's auth hash is keyed with it: one key for both.
        secret = secrets.token_urlsafe(50)
    values = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": HOST,
        # Served over plain HTTP on the loopback: no redirect to HTTPS.
        "SECURE_SSL_REDIRECT": "false",
        # No collectstatic: the manifest storage would refuse every {% static %} tag.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Persistent connections, as a production deployment sets them.
        "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "60"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    os.environ.update(values)
    return dict(os.environ)


def setup_django() -> None:
    import warnings

    import django

    # WhiteNoise looks for STATIC_ROOT, which only collectstatic creates: not needed here.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)

    django.setup()


def case_count() -> int:
    from cases.models import Case

    return Case.objects.count()


def choose_users() -> dict[str, tuple[object, str]]:
    """The three users, each with why it was chosen."""
    from django.db.models import Count, Q

    from accounts.models import Membership, Organisation, Role
    from cases.models import Case
    from referrals.models import Referral

    active = Membership.objects.filter(
        is_active=True, organisation__is_active=True, user__is_active=True
    )
    chosen: dict[str, tuple[object, str]] = {}

    def busiest(role: str, kind: str, scope: str) -> None:
        areas = set(
            active.filter(role=role, organisation__kind=kind).values_list(
                "organisation__area_id", flat=True
            )
        )
        top = (
            Case.objects.filter(**{f"{scope}_id__in": areas})
            .values(f"{scope}_id")
            .annotate(n=Count("id"))
            .order_by("-n", f"{scope}_id")
            .first()
        )
        if top is None:
            return
        membership = (
            active.filter(
                role=role, organisation__kind=kind, organisation__area_id=top[f"{scope}_id"]
            )
            .select_related("user", "organisation__area")
            .order_by("user_id")
            .first()
        )
        chosen[role] = (
            membership.user,
            f"{membership.organisation.area.name}: {top['n']} cases",
        )

    busiest(Role.CP_OFFICER, Organisation.Kind.COMMUNE_COMMITTEE, "commune")
    busiest(Role.SUPERVISOR, Organisation.Kind.PROVINCIAL_HEALTH, "province")

    schools = active.filter(role=Role.SECTOR_STAFF, organisation__kind=Organisation.Kind.SCHOOL)
    top = (
        Referral.objects.filter(organisation_id__in=schools.values("organisation_id"))
        .values("organisation_id")
        .annotate(open=Count("id", filter=Q(status__in=Referral.OPEN)), n=Count("id"))
        .order_by("-open", "-n", "organisation_id")
        .first()
    )
    if top is not None:
        membership = (
            schools.filter(organisation_id=top["organisation_id"])
            .select_related("user", "organisation")
            .order_by("user_id")
            .first()
        )
        why = f"{membership.organisation.name}: {top['n']} referrals, {top['open']} open"
    else:
        membership = schools.select_related("user", "organisation").order_by("user_id").first()
        why = f"{membership.organisation.name}: no school has referrals" if membership else ""
    if membership is not None:
        chosen[Role.SECTOR_STAFF] = (membership.user, why)
    return chosen


def make_session(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def capture(session_key: str, path: str, *, json_api: bool) -> tuple[int, list[str]]:
    """Run the request in-process with the same session; its status and the SQL it ran."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME=HOST)
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    accept = "application/json" if json_api else "text/html"
    client.get(path, HTTP_ACCEPT=accept)  # warm: the captured request is a steady one
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_ACCEPT=accept)
    return response.status_code, [query["sql"] for query in queries.captured_queries]


def _raw_connection():
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    raw = psycopg2.connect(**params)
    with raw.cursor() as cursor:
        # As Django's connection does with USE_TZ: the same dates, the same plans.
        cursor.execute("SET TIME ZONE 'UTC'")
    raw.commit()
    return raw


def sql_floor(statements: list[str], repeats: int) -> dict:
    """Replay the reads among `statements` in a rolled-back transaction; median per statement."""
    reads = [sql for sql in statements if replayable(sql)]
    raw = _raw_connection()
    timings: list[list[float]] = [[] for _ in reads]
    failed = 0
    try:
        for _ in range(repeats):
            for index, sql in enumerate(reads):
                with raw.cursor() as cursor:
                    started = time.perf_counter()
                    try:
                        cursor.execute(sql)
                        if cursor.description is not None:
                            cursor.fetchall()
                    except Exception:  # noqa: BLE001 (reported as a count)
                        raw.rollback()
                        failed += 1
                        continue
                    timings[index].append(time.perf_counter() - started)
            raw.rollback()
    finally:
        raw.rollback()
        raw.close()
    medians = [statistics.median(t) for t in timings if t]
    slowest = sorted(
        ((statistics.median(t), sql) for t, sql in zip(timings, reads, strict=True) if t),
        reverse=True,
    )[:3]
    return {
        "selects": len(reads),
        "floor_ms": round(sum(medians) * 1000, 3),
        "failed_replays": failed,
        "slowest": [{"ms": round(ms * 1000, 3), "sql": sql[:4000]} for ms, sql in slowest],
    }


def overview_path() -> str | None:
    """A separate supervisor overview page, if the app has one (else the home page is it)."""
    from django.urls import NoReverseMatch, reverse

    for name in ("overview", "cases:overview", "supervisor-overview", "cases:supervisor-overview"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


# ---------------------------------------------------------------------------------------------
# The run


def walk_api(port: int, cookie: str, path: str, steps: int) -> tuple[str | None, int, dict | None]:
    """Follow the API list's `next` link `steps` times; the last page reached and the depth."""
    status, body = fetch(port, path, cookie, json_api=True)
    if status != 200:
        return None, 0, None
    first = json.loads(body)
    data, current, depth = first, path, 0
    while depth < steps and isinstance(data, dict) and data.get("next"):
        current = path_of(data["next"])
        status, body = fetch(port, current, cookie, json_api=True)
        if status != 200:
            break
        data = json.loads(body)
        depth += 1
    return (current if depth else None), depth, first


def walk_html(port: int, cookie: str, path: str, steps: int) -> tuple[str | None, int]:
    status, body = fetch(port, path, cookie)
    current, depth = path, 0
    while status == 200 and depth < steps:
        link = next_page_link(body.decode("utf-8", "replace"), current)
        if link is None or link == current:
            break
        status, body = fetch(port, link, cookie)
        if status != 200:
            break
        current, depth = link, depth + 1
    return (current if depth else None), depth


def first_case_id(listing: dict | list | None) -> str | None:
    rows = listing.get("results", []) if isinstance(listing, dict) else (listing or [])
    for row in rows:
        if isinstance(row, dict) and (row.get("id") or row.get("public_id")):
            return str(row.get("id") or row.get("public_id"))
    return None


def targets_for(port: int, cookie: str, role: str, overview: str | None) -> list[dict]:
    """The requests measured for one user, with notes where a request could not be made."""
    targets: list[dict] = []
    deep, depth, first = walk_api(port, cookie, "/api/v1/cases/", DEEP_PAGE_STEPS)
    targets.append({"request": "case list API, first page", "path": "/api/v1/cases/", "api": 1})
    note = f"{depth} `next` links followed" if depth < DEEP_PAGE_STEPS else ""
    if deep:
        targets.append(
            {"request": "case list API, deep page", "path": deep, "api": 1, "note": note}
        )
    else:
        targets.append({"request": "case list API, deep page", "skip": "no `next` link"})
    targets.append({"request": "case list page", "path": "/cases/"})
    deep_html, depth_html = walk_html(port, cookie, "/cases/", DEEP_PAGE_STEPS)
    if deep_html:
        note = f"{depth_html} next links followed" if depth_html < DEEP_PAGE_STEPS else ""
        targets.append({"request": "case list page, deep", "path": deep_html, "note": note})
    else:
        targets.append({"request": "case list page, deep", "skip": "no next-page link"})
    home = "home page (supervisor overview)" if role == "supervisor" and not overview else "home"
    targets.append({"request": home, "path": "/"})
    if role == "supervisor" and overview:
        targets.append({"request": "supervisor overview", "path": overview})
    case_id = first_case_id(first)
    if case_id:
        targets.append({"request": "case page", "path": f"/cases/{case_id}/"})
        targets.append(
            {"request": "case API detail", "path": f"/api/v1/cases/{case_id}/", "api": 1}
        )
    else:
        targets.append({"request": "case page / API detail", "skip": "no case in the list"})
    targets.append({"request": "referral inbox page", "path": "/referrals/inbox/"})
    targets.append(
        {"request": "referral inbox API", "path": "/api/v1/referrals/?box=inbox", "api": 1}
    )
    return targets


def measure(args: argparse.Namespace) -> dict:
    env = prepare_environment(args.database_url)
    setup_django()
    from django.conf import settings
    from django.contrib.sessions.models import Session

    cases = case_count()
    users = choose_users()
    if not users:
        raise SystemExit("No officer, supervisor or school staff in this database.")
    labels = {"cp_officer": "officer", "supervisor": "supervisor", "sector_staff": "school"}
    sessions = {role: make_session(user) for role, (user, _why) in users.items()}
    overview = overview_path()
    results: list[dict] = []
    meta = {
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "database": settings.DATABASES["default"]["NAME"],
        "cases": cases,
        "cores": os.cpu_count(),
        "gunicorn": {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
        },
        "requests_per_run": args.requests,
        "max_seconds_per_run": args.max_seconds,
        "floor_repeats": args.floor_repeats,
        "users": {
            labels[role]: {"username": user.username, "why": why}
            for role, (user, why) in users.items()
        },
    }
    log(f"{cases} cases; users: {json.dumps(meta['users'], ensure_ascii=False)}")
    generator = None
    try:
        with Gunicorn(
            env=env, worker_class=args.worker_class, workers=args.workers, threads=args.threads
        ) as server:
            generator = LoadGenerator(server.port, max(CONCURRENCY))
            meta["port"] = server.port
            for role, session_key in sessions.items():
                cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
                if args.users and labels[role] not in args.users:
                    continue
                for target in targets_for(server.port, cookie, role, overview):
                    if args.only and not any(word in target["request"] for word in args.only):
                        continue
                    row = {"user": labels[role], **target}
                    results.append(row)
                    if "skip" in target:
                        row["note"] = target["skip"]
                        log(f"{row['user']}: {row['request']}: skipped ({target['skip']})")
                        continue
                    measure_target(args, server, generator, session_key, cookie, row)
    finally:
        if generator is not None:
            generator.close()
        Session.objects.filter(session_key__in=sessions.values()).delete()
    return {"meta": meta, "results": results}


def measure_target(args, server, generator, session_key, cookie, row) -> None:
    path, api = row["path"], bool(row.get("api"))
    for _ in range(max(1, args.warmup)):
        status, _body = fetch(server.port, path, cookie, json_api=api)
    row["status"] = status
    if status != 200:
        row["note"] = (row.get("note", "") + f" answers {status}: not measured").strip()
        log(f"{row['user']}: {row['request']}: {status}, not measured")
        return
    row["runs"] = {}
    for clients in CONCURRENCY:
        row["runs"][str(clients)] = run = generator.run(
            path,
            cookie,
            json_api=api,
            clients=clients,
            requests=args.requests,
            seconds=args.max_seconds,
        )
        if set(run["statuses"]) != {"200"} or run["errors"]:
            row["note"] = (
                row.get("note", "")
                + f" c{clients}: statuses {run['statuses']}, {run['errors']} errors"
            ).strip()
    captured_status, statements = capture(session_key, path, json_api=api)
    row["queries"] = len(statements)
    row.update(sql_floor(statements, args.floor_repeats))
    if captured_status != 200:
        row["note"] = (row.get("note", "") + f" in-process {captured_status}").strip()
    c1 = row["runs"]["1"]
    log(
        f"{row['user']}: {row['request']}: {row['queries']} queries, floor "
        f"{row['floor_ms']:.2f} ms, c1 p50 {_fmt(c1['p50_ms'])} ms, "
        f"c8 {_fmt(row['runs']['8']['rps'])} req/s"
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_case_count(database_url: str) -> None:
    """For the Makefile: the database's cases, 0 when it or its tables do not exist yet."""
    import psycopg2

    prepare_environment(database_url)
    setup_django()
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        print(case_count())
    except (DatabaseError, psycopg2.Error):
        print(0)
    finally:
        connection.close()


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def create_database(database_url: str) -> None:
    """For the Makefile: create the (PostgreSQL) database of `database_url` if it is missing."""
    import psycopg2
    from psycopg2 import sql

    prepare_environment(database_url)
    setup_django()
    from django.db import connection

    params = connection.get_connection_params()
    name = params.pop("dbname", None) or params.pop("database", None)
    for key in ("cursor_factory", "context"):
        params.pop(key, None)
    server = psycopg2.connect(**{**params, "dbname": "postgres"})
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log(f"created database {name}")
    finally:
        server.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=100, help="requests per run")
    parser.add_argument("--max-seconds", type=float, default=15.0, help="time limit per run")
    parser.add_argument("--warmup", type=int, default=6, help="requests before measuring a URL")
    parser.add_argument("--floor-repeats", type=int, default=5)
    parser.add_argument("--worker-class", default=DEFAULT_WORKER_CLASS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument(
        "--users", type=_words, default=None, help="only these users (officer,supervisor,school)"
    )
    parser.add_argument(
        "--only", type=_words, default=None, help="only requests whose name contains one of these"
    )
    parser.add_argument("--output", default="bench-scale.json", help="the JSON results file")
    parser.add_argument(
        "--print-case-count", action="store_true", help="print the database's cases and stop"
    )
    parser.add_argument(
        "--create-database", action="store_true", help="create the database if missing and stop"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.print_case_count:
        print_case_count(args.database_url)
        return
    if args.create_database:
        create_database(args.database_url)
        return
    # A terminated run still stops gunicorn and the clients (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data = measure(args)
    table = markdown_table(data["results"])
    meta = data["meta"]
    gunicorn = meta["gunicorn"]
    print(
        f"\n{meta['cases']} cases in {meta['database']}; gunicorn {gunicorn['worker_class']} "
        f"{gunicorn['workers']} workers × {gunicorn['threads']} threads on {meta['cores']} cores; "
        f"{meta['requests_per_run']} requests (≤ {meta['max_seconds_per_run']} s) per run.\n"
    )
    for label, user in meta["users"].items():
        print(f"- {label}: `{user['username']}` ({user['why']})")
    print()
    print(table)
    Path(args.output).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    print(f"\nJSON: {args.output}")


if __name__ == "__main__":
    main()
