from __future__ import annotations

from django.urls import path

from hotline import views

app_name = "hotline"

urlpatterns = [
    path("calls/", views.call_list, name="calls"),
    path("calls/new/", views.call_new, name="call-new"),
    path("calls/<uuid:public_id>/", views.call_detail, name="call-detail"),
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_new, name="report-new"),
    path("reports/mine/", views.my_reports, name="my-reports"),
    path("reports/<uuid:public_id>/", views.report_detail, name="report-detail"),
]
