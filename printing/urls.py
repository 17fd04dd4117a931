from __future__ import annotations

from django.urls import path

from printing import views

app_name = "printing"
urlpatterns = [
    path("cases/<uuid:public_id>/file/", views.case_file, name="case-file"),
    path("cases/<uuid:public_id>/forms/<str:number>/", views.form, name="form"),
    path("cases/<uuid:public_id>/register/", views.register, name="register"),
    path("referrals/<uuid:public_id>/", views.referral_summary, name="referral-summary"),
    path("verify/", views.verify, name="verify"),
]
