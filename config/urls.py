from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.views import home

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("hotline.api_urls")),
    path("", include("referrals.api_urls")),
    path("", include("audit.api_urls")),
]

urlpatterns = [
    # The home page shows each role its work, which is mostly cases: it lives in cases, so
    # accounts imports nothing of cases (docs/DESIGN.md §3).
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("intake/", include("hotline.urls")),
    path("referrals/", include("referrals.urls")),
    path("print/", include("printing.urls")),
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "accounts.views.not_found"
