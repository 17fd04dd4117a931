"""The pure logic of the national-scale benchmark (tests/perf/bench_scale.py): no database."""

from __future__ import annotations

import pytest

from tests.perf.bench_scale import (
    markdown_table,
    next_page_link,
    path_of,
    percentile,
    replayable,
    summarise_run,
)


class TestPercentile:
    def test_interpolates_between_ranks(self):
        values = [10.0, 20.0, 30.0, 40.0]
        assert percentile(values, 50) == pytest.approx(25.0)
        assert percentile(values, 95) == pytest.approx(38.5)
        assert percentile(values, 0) == 10.0
        assert percentile(values, 100) == 40.0

    def test_order_of_the_samples_does_not_matter(self):
        assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0

    def test_one_value(self):
        assert percentile([7.0], 95) == 7.0

    def test_refuses_no_values_and_bad_p(self):
        with pytest.raises(ValueError, match="no values"):
            percentile([], 50)
        with pytest.raises(ValueError, match="between 0 and 100"):
            percentile([1.0], 101)


class TestReplayable:
    @pytest.mark.parametrize(
        "sql",
        [
            'SELECT "cases_case"."id" FROM "cases_case" LIMIT 50',
            '  select count(*) from "cases_case"',
            "(SELECT 1) UNION (SELECT 2)",
            "/* view */ SELECT 1",
            'SELECT "id" FROM "cases_case" WHERE "id" = 3 FOR UPDATE',
            "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
            # A literal naming a write is still a read.
            "WITH t AS (SELECT 'update me' AS x) SELECT x FROM t",
        ],
    )
    def test_reads_are_replayed(self, sql):
        assert replayable(sql)

    @pytest.mark.parametrize(
        "sql",
        [
            "SELECT out_seq, out_prev, out_hash FROM audit_append('[]'::jsonb, true)",
            'INSERT INTO "audit_auditentry" ("seq") VALUES (1)',
            'UPDATE "django_session" SET "expire_date" = now()',
            'DELETE FROM "django_session"',
            'SAVEPOINT "s1_x1"',
            'RELEASE SAVEPOINT "s1_x1"',
            "BEGIN",
            "WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved",
            "",
        ],
    )
    def test_writes_audit_and_transaction_control_are_not(self, sql):
        assert not replayable(sql)


class TestNextPageLink:
    def test_rel_next_wins(self):
        html = (
            '<a href="?cursor=abc">Mới hơn</a>'
            '<a rel="next" class="older" href="?cursor=def&amp;x=1">Cũ hơn</a>'
        )
        assert next_page_link(html, "/cases/?cursor=xyz") == "/cases/?cursor=def&x=1"

    def test_page_numbers_go_forward_not_back(self):
        html = (
            '<nav class="pagination"><a href="?page=3">Trước</a><span>Trang 4 / 9</span>'
            '<a href="?page=5">Sau</a></nav><a href="/cases/new/">Mở hồ sơ</a>'
        )
        assert next_page_link(html, "/cases/?page=4") == "/cases/?page=5"

    def test_first_page_without_a_parameter(self):
        html = "<a href=\"/accounts/logout/\">x</a><a href='?page=2'>Sau</a>"
        assert next_page_link(html, "/cases/") == "/cases/?page=2"

    def test_last_page_has_none(self):
        html = '<a href="?page=8">Trước</a><span>Trang 9 / 9</span>'
        assert next_page_link(html, "/cases/?page=9") is None

    def test_cursor_links_without_rel_take_the_last_other_than_the_page(self):
        html = '<a href="?cursor=newer">Mới hơn</a><a href="?cursor=older">Cũ hơn</a>'
        assert next_page_link(html, "/cases/?cursor=here") == "/cases/?cursor=older"
        assert next_page_link('<a href="?cursor=here">x</a>', "/cases/?cursor=here") is None

    def test_no_paging_links(self):
        assert next_page_link('<a href="/cases/1/">x</a>', "/cases/") is None


def test_path_of_keeps_only_path_and_query():
    assert path_of("http://testserver:8000/api/v1/cases/?cursor=cD0y") == (
        "/api/v1/cases/?cursor=cD0y"
    )
    assert path_of("https://example.org") == "/"
    assert path_of("/cases/?page=2") == "/cases/?page=2"


def test_summarise_run_pools_clients():
    samples = [
        {"latencies": [0.010, 0.030], "statuses": {"200": 2}, "errors": 0, "cpu": 0.2},
        {"latencies": [0.020], "statuses": {"200": 1}, "errors": 1, "cpu": 0.2},
    ]
    run = summarise_run(samples, wall=2.0, cores=2)
    assert run["requests"] == 3
    assert run["errors"] == 1
    assert run["statuses"] == {"200": 3}
    assert run["rps"] == 1.5
    assert run["p50_ms"] == 20.0
    assert run["loadgen_cpu_share"] == 0.1


def test_markdown_table_has_one_row_per_result_and_shows_skips():
    rows = [
        {
            "user": "officer",
            "request": "case list page",
            "status": 200,
            "queries": 8,
            "selects": 7,
            "floor_ms": 3.5,
            "runs": {
                "1": {"p50_ms": 20.0, "p95_ms": 30.0, "loadgen_cpu_share": 0.01},
                "4": {"rps": 60.0, "p95_ms": 90.0, "loadgen_cpu_share": 0.02},
                "8": {"rps": 70.0, "p95_ms": 150.0, "loadgen_cpu_share": 0.03},
            },
        },
        {"user": "school", "request": "case list API, deep page", "note": "no `next` link"},
    ]
    lines = markdown_table(rows).splitlines()
    assert len(lines) == 4
    header_cells = lines[0].count("|")
    assert all(line.count("|") == header_cells for line in lines)
    figures = "| 8 (7) | 3.50 | 20.0 | 30.0 | 60.0 | 90.0 | 70.0 | 150.0 | 0.01/0.02/0.03 |"
    assert figures in lines[2]
    assert "no `next` link" in lines[3]
