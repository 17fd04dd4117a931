from __future__ import annotations

app_name = "hotline"
urlpatterns: list = []
