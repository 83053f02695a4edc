from django.urls import path  # noqa: F401
from rest_framework.routers import DefaultRouter

from leads.api import feedback

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
feedback.register(router)

urlpatterns: list = [*router.urls]
