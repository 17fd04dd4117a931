from __future__ import annotations

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("<uuid:public_id>/", views.case_detail, name="detail"),
]
