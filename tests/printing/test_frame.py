"""The frame of every page is built from people's names and purposes: they must not break it."""

from __future__ import annotations

from accounts.models import User
from printing.templatetags.pdf import css_string, vnd
from tests.printing.conftest import PURPOSE, pdf_pages, print_url


def test_css_strings_are_escaped_for_a_style_element():
    assert css_string('Lê "Bé" \\ </style><b>') == 'Lê \\"Bé\\" \\\\ \\3C /style\\3E \\3C b\\3E '
    assert css_string("a\nb") == "a\\A b"


def test_money_is_written_the_vietnamese_way():
    assert vnd(1500000) == "1.500.000"
    assert vnd(None) == ""


def test_a_printer_name_with_quotes_and_markup_prints_as_written(client_for, world):
    User.objects.filter(pk=world.supervisor.pk).update(full_name='Hồ "Thị" </style> Ngự')
    response = client_for("supervisor").post(
        print_url("case-file", world.case.public_id), {"purpose": PURPOSE}
    )

    assert response.status_code == 200
    for page in pdf_pages(response.content):
        assert 'Hồ "Thị" </style> Ngự' in page
