from django.urls import path

from reports import incentive_views, views
from reports.rituals import views as ritual_views

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
    path("agreements/<int:pk>/meetings/", ritual_views.meetings, name="meetings"),
    path("agreements/<int:pk>/meetings/new/", ritual_views.meeting_new, name="meeting_new"),
    path(
        "agreements/<int:pk>/meetings/cadence/", ritual_views.ritual_cadence, name="ritual_cadence"
    ),
    path("meetings/<int:pk>/", ritual_views.meeting, name="meeting"),
    path("meetings/<int:pk>.ics", ritual_views.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/minutes/", ritual_views.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/actions/", ritual_views.meeting_action_new, name="meeting_action_new"),
    path("meetings/<int:pk>/propose/", ritual_views.meeting_propose, name="meeting_propose"),
    path(
        "meeting-actions/<int:pk>/done/",
        ritual_views.meeting_action_done,
        name="meeting_action_done",
    ),
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
