"""Login, logout, language, and a home page for each role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def test_login_in_vietnamese_by_default(world):
    client = Client()
    page = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in page
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_is_refused_with_a_message(world):
    response = Client().post(reverse("login"), {"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.content.decode()


def test_logout_ends_the_session(world, client_for):
    client = client_for("officer")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_switching_to_english(world, client_for):
    client = client_for("officer")
    client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    page = client.get(reverse("home")).content.decode()
    assert "Cases in your area" in page
    client.post(reverse("set_language"), {"language": "vi", "next": reverse("home")})
    assert "Hồ sơ trong địa bàn" in client.get(reverse("home")).content.decode()


# persona -> a phrase (Vietnamese) its home page must show
HOME_SHOWS = {
    "officer": "Hồ sơ trong địa bàn",
    "chairman": "Hồ sơ trong địa bàn",
    "supervisor": "Hồ sơ trong địa bàn",
    "hotline": 'id="intake-hotline"',
    "collaborator": 'id="intake-collaborator"',
    "school": 'id="referral-inbox"',
    "auditor": "Nhật ký kiểm tra",
    "admin": "Mở trang quản trị",
    "nobody": "Bạn chưa có vai trò nào",
}


@pytest.mark.parametrize("persona", sorted(HOME_SHOWS))
def test_each_role_has_its_home_page(world, client_for, persona):
    response = client_for(persona).get(reverse("home"))
    assert response.status_code == 200
    assert HOME_SHOWS[persona] in response.content.decode()


def test_the_officer_home_lists_the_commune_cases_only(world, client_for):
    page = client_for("officer").get(reverse("home")).content.decode()
    assert world.case.number in page
    assert world.other_case.number not in page


def test_roles_without_case_access_see_no_case_on_home(world, client_for):
    for persona in ("collaborator", "school", "auditor", "admin"):
        page = client_for(persona).get(reverse("home")).content.decode()
        assert world.case.number not in page
        assert world.case.child_name not in page


def test_the_home_page_needs_a_login(db):
    response = Client().get(reverse("home"))
    assert response.status_code == 302


def test_unknown_pages_get_the_translated_not_found_page(db):
    response = Client().get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()


def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(world):
    client = Client(headers={"accept-language": "en-US,en;q=0.9"})
    assert "Đăng nhập" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    page = client.get(reverse("login"))
    assert "Log in" in page.content.decode()
    assert page["Content-Language"] == "en"


def test_accounts_imports_nothing_of_the_apps_that_depend_on_it():
    """docs/DESIGN.md §3: hotline → cases → accounts (the home page lives in cases for this)."""
    import ast
    from pathlib import Path

    import accounts

    for path in Path(accounts.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"cases", "hotline", "referrals"}, (path, name)


def test_the_home_page_is_never_cached(world, client_for):
    assert "no-store" in client_for("officer").get(reverse("home"))["Cache-Control"]
