from django.urls import path

from leads.visitors import views

app_name = "visitors"

urlpatterns = [
    path("agreements/<int:pk>/", views.visitor_counts, name="counts"),
]
