from __future__ import annotations

from rest_framework.routers import SimpleRouter

from cases.api import CaseViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-case")
urlpatterns = router.urls
