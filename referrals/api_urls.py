"""
The referrals API under /api/v1/referrals/. Ids in paths are taken as text and resolved by the
selectors, so a malformed id answers the same JSON 404 as a referral that does not exist or may
not be seen.
"""

from __future__ import annotations

from django.urls import path

from referrals import api

urlpatterns = [
    path("referrals/", api.ReferralListView.as_view(), name="api-referral-list"),
    # Before <id>/: "recipients" is not a referral's id.
    path(
        "referrals/recipients/",
        api.RecipientListView.as_view(),
        name="api-referral-recipients",
    ),
    path("referrals/<str:id>/", api.ReferralDetailView.as_view(), name="api-referral-detail"),
    path(
        "referrals/<str:id>/acknowledge/",
        api.AcknowledgeView.as_view(),
        name="api-referral-acknowledge",
    ),
    path("referrals/<str:id>/accept/", api.AcceptView.as_view(), name="api-referral-accept"),
    path("referrals/<str:id>/decline/", api.DeclineView.as_view(), name="api-referral-decline"),
    path("referrals/<str:id>/updates/", api.UpdateListView.as_view(), name="api-referral-updates"),
    path("referrals/<str:id>/complete/", api.CompleteView.as_view(), name="api-referral-complete"),
    path("referrals/<str:id>/revoke/", api.RevokeView.as_view(), name="api-referral-revoke"),
    path(
        "referrals/<str:id>/written-notice/",
        api.WrittenNoticeView.as_view(),
        name="api-referral-written-notice",
    ),
]
