"""Mounted at /api/v1/ by portal/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from slas.api import views
from slas.signing import api as signing

router = SimpleRouter()
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("versions", views.VersionViewSet, basename="version")
for name, viewset in views.PART_VIEWSETS.items():
    router.register(rf"versions/(?P<version_pk>\d+)/{name}", viewset, basename=f"version-{name}")

urlpatterns = [
    path("versions/<int:pk>/send/", signing.VersionSendView.as_view(), name="api_signing_send"),
    path("versions/<int:pk>/sign/", signing.VersionSignView.as_view(), name="api_signing_sign"),
    path(
        "versions/<int:pk>/decline/",
        signing.VersionDeclineView.as_view(),
        name="api_signing_decline",
    ),
    path(
        "versions/<int:pk>/withdraw/",
        signing.VersionWithdrawView.as_view(),
        name="api_signing_withdraw",
    ),
    path(
        "versions/<int:pk>/certificate/",
        signing.VersionCertificateView.as_view(),
        name="api_signing_certificate",
    ),
    path("signing/verify/", signing.SigningVerifyView.as_view(), name="api_signing_verify"),
] + router.urls
