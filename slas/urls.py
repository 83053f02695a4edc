from django.urls import include, path

from slas import views

app_name = "slas"

urlpatterns = [
    path("", views.agreement_list, name="agreement_list"),
    path("new/", views.agreement_create, name="agreement_create"),
    path("<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("<int:pk>/new-version/", views.version_amend, name="version_amend"),
    path("<int:pk>/compare/", views.agreement_compare, name="agreement_compare"),
    path("<int:pk>/history/", views.agreement_history, name="agreement_history"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/edit/", views.version_edit, name="version_edit_start"),
    path("versions/<int:pk>/edit/<slug:component>/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/rebase/", views.version_rebase, name="version_rebase"),
    path("versions/<int:pk>/discard/", views.version_discard, name="version_discard"),
    path("versions/<int:pk>/planner/", views.version_planner, name="version_planner"),
    path(
        "versions/<int:pk>/planner/apply/",
        views.version_planner_apply,
        name="version_planner_apply",
    ),
    path("", include("slas.signing.urls")),
]
