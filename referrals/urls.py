from __future__ import annotations

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("send/<uuid:public_id>/", views.send, name="send"),
    path("consent/<uuid:public_id>/", views.consent, name="consent"),
    path(
        "consent/<uuid:public_id>/<uuid:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent-withdraw",
    ),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<uuid:public_id>/accept/", views.accept, name="accept"),
    path("<uuid:public_id>/decline/", views.decline, name="decline"),
    path("<uuid:public_id>/updates/", views.update_add, name="update-add"),
    path("<uuid:public_id>/complete/", views.complete, name="complete"),
    path("<uuid:public_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:public_id>/written-notice/", views.written_notice, name="written-notice"),
]
