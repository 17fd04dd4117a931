from __future__ import annotations

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("<uuid:public_id>/", views.case_detail, name="detail"),
    path("<uuid:public_id>/readers/", views.case_readers_page, name="readers"),
    path("<uuid:public_id>/edit/", views.case_edit, name="edit"),
    path("<uuid:public_id>/child/edit/", views.case_edit_child, name="edit-child"),
    path("<uuid:public_id>/family/add/", views.family_add, name="family-add"),
    path("<uuid:public_id>/family/remove/", views.family_remove, name="family-remove"),
    path("<uuid:public_id>/perpetrators/add/", views.perpetrator_add, name="perpetrator-add"),
    path(
        "<uuid:public_id>/perpetrators/remove/",
        views.perpetrator_remove,
        name="perpetrator-remove",
    ),
    path("<uuid:public_id>/notes/add/", views.note_add, name="note-add"),
    path("<uuid:public_id>/incident/", views.incident_link, name="incident-link"),
    path("<uuid:public_id>/documents/add/", views.document_add, name="document-add"),
    path(
        "<uuid:public_id>/documents/<uuid:document_id>/",
        views.document_download,
        name="document-download",
    ),
    path("<uuid:public_id>/steps/<slug:step_name>/", views.case_step, name="step"),
    path(
        "<uuid:public_id>/activities/<uuid:activity_id>/",
        views.activity_detail,
        name="activity",
    ),
    path(
        "<uuid:public_id>/plans/<int:version>/distributions/add/",
        views.distribution_add,
        name="distribution-add",
    ),
]
