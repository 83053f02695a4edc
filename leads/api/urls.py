from django.urls import path
from rest_framework.routers import DefaultRouter

from leads.api import views
from leads.reviews import api as reviews_api
from leads.visitors import api as visitors_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
reviews_api.register(router)
visitors_api.register(router)

urlpatterns = [
    path("leads/", views.LeadList.as_view(), name="api-lead-list"),
    path("leads/events/bulk/", views.BulkEvents.as_view(), name="api-lead-events-bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="api-lead-detail"),
    path("leads/<int:pk>/actions/", views.LeadActions.as_view(), name="api-lead-actions"),
    path("leads/<int:pk>/events/", views.LeadEvents.as_view(), name="api-lead-events"),
    *router.urls,
]
