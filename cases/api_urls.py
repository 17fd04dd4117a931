"""
The cases API under /api/v1/cases/. Ids in paths are taken as text and resolved by the views, so
a malformed id answers the same JSON 404 as a case that does not exist or may not be seen.
"""

from __future__ import annotations

from django.urls import path

from cases import api

urlpatterns = [
    path("cases/", api.CaseListView.as_view(), name="api-case-list"),
    path("cases/<str:id>/", api.CaseDetailView.as_view(), name="api-case-detail"),
    path("cases/<str:id>/child/", api.ChildView.as_view(), name="api-case-child"),
    path(
        "cases/<str:id>/family-members/",
        api.FamilyMemberListView.as_view(),
        name="api-case-family-members",
    ),
    path(
        "cases/<str:id>/family-members/<str:member_id>/",
        api.FamilyMemberDetailView.as_view(),
        name="api-case-family-member",
    ),
    path(
        "cases/<str:id>/perpetrators/",
        api.PerpetratorListView.as_view(),
        name="api-case-perpetrators",
    ),
    path(
        "cases/<str:id>/perpetrators/<str:perpetrator_id>/",
        api.PerpetratorDetailView.as_view(),
        name="api-case-perpetrator",
    ),
    path(
        "cases/<str:id>/assessments/",
        api.AssessmentListView.as_view(),
        name="api-case-assessments",
    ),
    path("cases/<str:id>/plans/", api.PlanListView.as_view(), name="api-case-plans"),
    path(
        "cases/<str:id>/plans/<str:version>/distributions/",
        api.DistributionListView.as_view(),
        name="api-case-plan-distributions",
    ),
    path("cases/<str:id>/activities/", api.ActivityListView.as_view(), name="api-case-activities"),
    path(
        "cases/<str:id>/activities/<str:activity_id>/progress/",
        api.ActivityProgressView.as_view(),
        name="api-case-activity-progress",
    ),
    path(
        "cases/<str:id>/emergency-decisions/",
        api.EmergencyDecisionListView.as_view(),
        name="api-case-emergency-decisions",
    ),
    path(
        "cases/<str:id>/needs-meetings/",
        api.NeedsMeetingListView.as_view(),
        name="api-case-needs-meetings",
    ),
    path(
        "cases/<str:id>/transitions/",
        api.TransitionListView.as_view(),
        name="api-case-transitions",
    ),
    path("cases/<str:id>/steps/", api.StepListView.as_view(), name="api-case-steps"),
    path("cases/<str:id>/deadlines/", api.DeadlineListView.as_view(), name="api-case-deadlines"),
    path("cases/<str:id>/notes/", api.NoteListView.as_view(), name="api-case-notes"),
    path("cases/<str:id>/documents/", api.DocumentListView.as_view(), name="api-case-documents"),
    path(
        "cases/<str:id>/documents/<str:document_id>/download/",
        api.DocumentDownloadView.as_view(),
        name="api-case-document-download",
    ),
]
