from django.urls import include, path
from rest_framework.routers import SimpleRouter

from reports.api.rituals import IncentiveViewSet, MeetingViewSet
from reports.api.views import ComplianceViewSet

router = SimpleRouter()
router.register("compliance/versions", ComplianceViewSet, basename="compliance-version")
router.register("incentives/versions", IncentiveViewSet, basename="incentive-version")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = [path("", include((router.urls, "reports-api"), namespace="reports-api"))]
