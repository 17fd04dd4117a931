"""Rendering runs in a separate worker process, within a page limit and a time limit; a refusal
is a page with a message, never a 500, and nothing is recorded."""

from __future__ import annotations

import os

import pytest

from printing import render, worker
from printing.models import PrintRecord
from tests.printing.conftest import PURPOSE, pdf_text, print_url, through_review


def test_rendering_runs_in_a_worker_process():
    html = "<html><body><p>Đặng Hữu Phước ặ ỗ ữ ự</p></body></html>"
    rendered = render.html_to_pdf(html)

    assert rendered.worker_pid != os.getpid()
    assert rendered.pages == 1
    assert "Đặng Hữu Phước ặ ỗ ữ ự" in pdf_text(rendered.pdf)
    assert rendered.peak_rss_kib > 0


def test_a_document_over_the_page_limit_is_refused_with_a_message(
    client_for, world, named_case, settings
):
    through_review(world, named_case, notes=30)
    settings.PDF_MAX_PAGES = 2

    response = client_for("supervisor").post(
        print_url("case-file", named_case.public_id), {"purpose": PURPOSE}
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert 'id="print-refusal"' in content
    assert "PDF_MAX_PAGES" in content
    assert "2" in content
    assert not PrintRecord.objects.exists()


def test_a_render_past_the_time_limit_is_stopped_with_a_message(
    client_for, world, named_case, settings
):
    settings.PDF_RENDER_TIMEOUT = 0.001
    client = client_for("supervisor")
    address = print_url("case-file", named_case.public_id)

    response = client.post(address, {"purpose": PURPOSE})
    assert response.status_code == 503
    assert "PDF_RENDER_TIMEOUT" in response.content.decode()
    assert not PrintRecord.objects.exists()

    # The pool was replaced: the next print works.
    settings.PDF_RENDER_TIMEOUT = 60
    assert client.post(address, {"purpose": PURPOSE}).status_code == 200
    assert PrintRecord.objects.count() == 1


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_the_worker_retires_after_its_tasks_and_a_fresh_one_takes_over(settings, start_method):
    render.pool_shutdown()
    settings.PDF_WORKER_MAX_TASKS = 1
    settings.PDF_RENDER_START_METHOD = start_method
    try:
        first = render.html_to_pdf("<p>1</p>").worker_pid
        second = render.html_to_pdf("<p>2</p>").worker_pid
    finally:
        render.pool_shutdown()
    assert first != second


def test_a_document_loads_only_its_own_files_never_the_network(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    html = (
        f'<p>Đây là tài liệu</p><img src="{secret.as_uri()}">'
        '<img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd">'
    )
    rendered = render.html_to_pdf(html)
    assert "Đây là tài liệu" in pdf_text(rendered.pdf)

    fetch = worker._local_only(render.static_base())
    with pytest.raises(ValueError, match="only their own files"):
        fetch(secret.as_uri())
    with pytest.raises(ValueError, match="only their own files"):
        fetch("http://127.0.0.1:9/x.png")
    font = fetch(render.font_url("DejaVuSans.ttf"))
    assert font.status in (None, 200)
    font.close()
