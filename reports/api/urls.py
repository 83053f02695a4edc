from django.urls import include, path
from rest_framework.routers import SimpleRouter

from reports.api.views import ComplianceViewSet

router = SimpleRouter()
router.register("compliance/versions", ComplianceViewSet, basename="compliance-version")

urlpatterns = [path("", include((router.urls, "reports-api"), namespace="reports-api"))]
