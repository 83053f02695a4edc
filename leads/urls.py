from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
]
