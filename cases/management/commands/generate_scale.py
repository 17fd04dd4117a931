"""
Fill a PostgreSQL database with a country at national scale (see cases.scale).

    DATABASE_URL=postgres://… manage.py generate_scale --cases 5000000

Refuses a database that is not PostgreSQL, and one that already holds cases unless --append is
given (then the organisations and users a previous run made are reused when every commune has
its People's Committee, and N more cases are added). --check verifies the result through the
app's own code; --check-only runs only the checks.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases import scale
from cases.models import Case, CaseNumberSequence


class Command(BaseCommand):
    help = (
        "Generate N cases over the real provinces and communes, with organisations, users, "
        "history, deadlines, plans, referrals, shares, notifications and an audit trail "
        "(PostgreSQL only; fast COPY load)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, default=0, help="how many cases to write")
        parser.add_argument("--seed", type=int, default=111, help="random seed (deterministic)")
        parser.add_argument(
            "--now",
            default="",
            help="the generation's present, ISO 8601 (default: now, to the hour); with --seed "
            "it makes the data identical from run to run",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="allow a database that already holds cases: add N more (reusing the world)",
        )
        parser.add_argument(
            "--no-vacuum", action="store_true", help="skip VACUUM ANALYZE at the end"
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="keep secondary indexes during the load (default: drop, then rebuild)",
        )
        parser.add_argument("--check", action="store_true", help="verify the data at the end")
        parser.add_argument(
            "--check-only", action="store_true", help="only verify the data already there"
        )
        parser.add_argument("--check-sample", type=int, default=25, help="cases checked by page")
        parser.add_argument("--audit-days", type=int, default=21, help="days of audit trail")
        parser.add_argument("--audit-max", type=int, default=400_000, help="most audit entries")
        parser.add_argument("--batch", type=int, default=50_000, help="rows per COPY batch")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_scale writes with PostgreSQL's COPY: set DATABASE_URL=postgres://… "
                f"(this database is {connection.vendor})."
            )
        if options["check_only"]:
            scale_check(self.say, sample=options["check_sample"], seed=options["seed"])
            return
        if options["cases"] <= 0:
            raise CommandError("Say how many cases to write: --cases N.")
        began = time.monotonic()
        phases: list[tuple[str, float]] = []

        def phase(name: str, started: float) -> float:
            elapsed = time.monotonic() - started
            phases.append((name, elapsed))
            self.say(f"[{name}] {elapsed:.1f}s")
            return time.monotonic()

        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_admin_units", stdout=self.stdout)
        started = phase("migrate + load_admin_units", started)
        if Case.objects.exists() and not options["append"]:
            raise CommandError(
                f"This database already holds {Case.objects.count():,} cases. Use an empty "
                "database, or pass --append to add to it."
            )
        if options["now"]:
            now_dt = datetime.datetime.fromisoformat(options["now"])
            if now_dt.tzinfo is None:
                now_dt = now_dt.replace(tzinfo=datetime.timezone.utc)
        else:
            now_dt = datetime.datetime.now(datetime.timezone.utc).replace(
                minute=0, second=0, microsecond=0
            )
        now = int(now_dt.timestamp())
        rng = random.Random(options["seed"])
        provinces, communes = scale.current_units()
        if len(communes) == 0:
            raise CommandError("No communes: load_admin_units loaded nothing.")

        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                # No foreign-key triggers while loading: the ids are assigned here (--check).
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            world = scale.world_load_existing(provinces, communes) if options["append"] else None
            big = _big_tables()
            small = _world_tables()
            frozen = _truncate_empty(big + ([] if world else small), self.say)
            dropped = [] if options["keep_indexes"] else _drop_indexes(big)
            started = phase(
                f"prepare (truncated {len(frozen)} empty tables, dropped {len(dropped)} indexes)",
                started,
            )
            loader = scale.Loader(
                connection.connection,
                freeze=False,
                batch=options["batch"],
                now_text=scale.ts(now),
            )
            if world is None:
                world = scale.world_create(loader, rng, provinces, communes, now)
                for table in loader.tables.values():
                    table.freeze = table.name in frozen
                loader.flush_all()
            started = phase(
                f"world ({len(world.communes):,} communes, {len(world.usernames):,} users)",
                started,
            )
            generator = scale.Generator(
                loader,
                world,
                scale.Options(
                    cases=options["cases"],
                    seed=options["seed"],
                    now=now,
                    audit_days=options["audit_days"],
                    audit_max=options["audit_max"],
                    progress=self.say,
                ),
            )
            for table in loader.tables.values():
                table.freeze = table.name in frozen
            generator.run()
            loader.flush_all()
            started = phase("cases (generate + copy)", started)
            scale.audit_write(generator, world, rng, self.say)
            loader.close()
            started = phase("audit trail + drain", started)
            for year, value in generator.sequences.items():
                CaseNumberSequence.objects.update_or_create(
                    year=year, defaults={"last_value": value}
                )
            with connection.cursor() as cursor:
                for table in loader.tables.values():
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                        f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"
                    )
            _recreate_indexes(dropped, self.say)
            started = phase(f"indexes rebuilt ({len(dropped)})", started)
        started = phase("commit", started)
        if not options["no_vacuum"]:
            with connection.cursor() as cursor:
                for table in loader.tables.values():
                    t0 = time.monotonic()
                    cursor.execute(f"VACUUM (ANALYZE) {table.name}")
                    self.say(f"  vacuum analyze {table.name}: {time.monotonic() - t0:.1f}s")
                # The tables the load did not write (areas, permissions) need statistics too:
                # without them the planner guessed 322 of the 3,355 areas and hashed them all.
                cursor.execute("ANALYZE")
            started = phase("vacuum analyze", started)
        total = time.monotonic() - began
        self.say("")
        self.say(f"{'table':<40} {'rows':>12} {'copy s':>8}")
        for table in loader.tables.values():
            self.say(f"{table.name:<40} {table.rows:>12,} {table.copy_seconds:>8.1f}")
        self.say("")
        self.say(
            "Cases by status: "
            + ", ".join(
                f"{k} {v:,}"
                for k, v in sorted(generator.status_counts.items(), key=lambda x: -x[1])
            )
        )
        self.say(f"Total: {total:.1f}s ({total / 60:.1f} min) for {options['cases']:,} cases.")
        if options["check"]:
            scale_check(self.say, sample=options["check_sample"], seed=options["seed"])


def _big_tables() -> list[str]:
    from cases import models as m
    from referrals import models as r

    return [
        model._meta.db_table
        for model in (
            m.Child,
            m.Case,
            m.CaseTransition,
            m.CaseDeadline,
            m.Assessment,
            m.EmergencyDecision,
            m.NeedsMeeting,
            m.Plan,
            m.PlanActivity,
            r.Referral,
            r.ReferralUpdate,
            r.ReferralGroupObjectPermission,
            m.CaseGroupObjectPermission,
            m.Notification,
        )
    ]


def _world_tables() -> list[str]:
    from django.contrib.auth.models import Group

    from accounts.models import Membership, Organisation, User

    return [
        model._meta.db_table
        for model in (Organisation, User, Group, Membership, User.groups.through)
    ]


def _truncate_empty(tables: list[str], say) -> set[str]:
    """
    TRUNCATE (in this transaction, so COPY can FREEZE) the tables to load, with every table
    referencing them, when all of those are empty. Return the truncated tables, or nothing.
    """
    with connection.cursor() as cursor:
        wanted = set(tables)
        frontier = set(tables)
        while frontier:
            cursor.execute(
                "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND confrelid::regclass::text = ANY(%s)",
                [list(frontier)],
            )
            found = {row[0] for row in cursor.fetchall()} - wanted
            wanted |= found
            frontier = found
        for table in sorted(wanted):
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            if cursor.fetchone()[0]:
                if table in tables:
                    say(f"  {table} holds rows: loading without FREEZE")
                    return set()
                say(f"  {table} (referencing the loaded tables) holds rows: no FREEZE")
                return set()
        cursor.execute(f"TRUNCATE {', '.join(sorted(wanted))}")
    return set(tables)


def _drop_indexes(tables: list[str]) -> list[str]:
    """Drop secondary indexes and unique constraints; return the statements that rebuild them."""
    rebuild: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
            "AND f.conindid = c.conindid)",
            [tables],
        )
        for table, name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            rebuild.append(definition)
    return rebuild


def _recreate_indexes(statements: list[str], say) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            t0 = time.monotonic()
            cursor.execute(statement)
            elapsed = time.monotonic() - t0
            if elapsed > 2:
                say(f"  {statement[:90]}…: {elapsed:.1f}s")


def scale_check(say, *, sample: int, seed: int) -> None:
    """Verify the generated data through the app's own code, and say what was checked."""
    scale.run_checks(say, sample=sample, seed=seed)
