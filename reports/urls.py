from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("versions/<int:pk>/", views.version_compliance, name="version"),
    path(
        "versions/<int:pk>/commitments/<int:commitment_pk>/<str:label>/",
        views.breakdown,
        name="breakdown",
    ),
    path(
        "versions/<int:pk>/steps/<int:step_pk>/<str:label>/",
        views.process_step,
        name="process_step",
    ),
    path("versions/<int:pk>/what-if/", views.whatif, name="whatif"),
    path("agreements/<int:pk>/", views.agreement_compliance, name="agreement"),
    path("agreements/<int:pk>/ungoverned/", views.ungoverned, name="ungoverned"),
    path("agreements/<int:pk>/monthly/", views.monthly, name="monthly_latest"),
    path("agreements/<int:pk>/monthly/<str:label>/", views.monthly, name="monthly"),
    path(
        "agreements/<int:pk>/monthly/<str:label>.csv",
        views.monthly,
        {"fmt": "csv"},
        name="monthly_csv",
    ),
    path(
        "agreements/<int:pk>/monthly/<str:label>.pdf",
        views.monthly,
        {"fmt": "pdf"},
        name="monthly_pdf",
    ),
]
