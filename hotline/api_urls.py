"""
The intake API under /api/v1/: calls, collaborator reports, their triage, and the call centre.
Ids in paths are taken as text and resolved by the selectors, so a malformed id answers the
same JSON 404 as an item that does not exist or may not be seen.
"""

from __future__ import annotations

from django.urls import path

from hotline import api

urlpatterns = [
    path("calls/", api.CallListView.as_view(), name="api-call-list"),
    path("calls/<str:id>/", api.CallDetailView.as_view(), name="api-call-detail"),
    path(
        "calls/<str:id>/open-case/",
        api.CALL_TRIAGE["open_case"].as_view(),
        name="api-call-open-case",
    ),
    path("calls/<str:id>/link/", api.CALL_TRIAGE["link"].as_view(), name="api-call-link"),
    path("calls/<str:id>/close/", api.CALL_TRIAGE["close"].as_view(), name="api-call-close"),
    path(
        "calls/<str:id>/suggestions/",
        api.CALL_TRIAGE["suggestions"].as_view(),
        name="api-call-suggestions",
    ),
    path("reports/", api.ReportListView.as_view(), name="api-report-list"),
    path("reports/<str:id>/", api.ReportDetailView.as_view(), name="api-report-detail"),
    path(
        "reports/<str:id>/open-case/",
        api.REPORT_TRIAGE["open_case"].as_view(),
        name="api-report-open-case",
    ),
    path("reports/<str:id>/link/", api.REPORT_TRIAGE["link"].as_view(), name="api-report-link"),
    path("reports/<str:id>/close/", api.REPORT_TRIAGE["close"].as_view(), name="api-report-close"),
    path(
        "reports/<str:id>/suggestions/",
        api.REPORT_TRIAGE["suggestions"].as_view(),
        name="api-report-suggestions",
    ),
    path("telephony/events/", api.TelephonyEventView.as_view(), name="api-telephony-events"),
    path("telephony/waiting/", api.TelephonyWaitingView.as_view(), name="api-telephony-waiting"),
]
