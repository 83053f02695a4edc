from django.urls import path

from leads.api import views

urlpatterns = [
    path("leads/", views.LeadList.as_view(), name="api-lead-list"),
    path("leads/events/bulk/", views.BulkEvents.as_view(), name="api-lead-events-bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="api-lead-detail"),
    path("leads/<int:pk>/actions/", views.LeadActions.as_view(), name="api-lead-actions"),
]
