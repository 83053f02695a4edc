from django.urls import path

from reports import incentive_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("versions/<int:pk>/", views.version_compliance, name="version"),
    path(
        "versions/<int:pk>/commitments/<int:commitment_pk>/<str:label>/",
        views.breakdown,
        name="breakdown",
    ),
    path("versions/<int:pk>/what-if/", views.whatif, name="whatif"),
    path("versions/<int:pk>/incentives/", incentive_views.incentives, name="incentives"),
    path(
        "versions/<int:pk>/incentives/<str:label>.csv",
        incentive_views.incentives_csv,
        name="incentives_csv",
    ),
    path(
        "versions/<int:pk>/incentives/<int:rule_pk>/<str:label>/",
        incentive_views.incentive_leads,
        name="incentive_leads",
    ),
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
