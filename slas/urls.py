from django.urls import include, path

from slas import views

app_name = "slas"

urlpatterns = [
    path("", views.agreement_list, name="agreement_list"),
    path("<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("", include("slas.signing_urls")),
]
