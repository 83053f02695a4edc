"""Mounted at /api/v1/ by portal/urls.py."""

from rest_framework.routers import SimpleRouter

from slas.api import views

router = SimpleRouter()
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("versions", views.VersionViewSet, basename="version")
for name, viewset in views.PART_VIEWSETS.items():
    router.register(rf"versions/(?P<version_pk>\d+)/{name}", viewset, basename=f"version-{name}")

urlpatterns = router.urls
