from django.urls import path

from leads.reviews import analysis_views, session_views, views

app_name = "reviews"

urlpatterns = [
    path("", views.index, name="index"),
    path("leads/<int:lead_pk>/feedback/new/", views.feedback_create, name="feedback_create"),
    path("feedback/<int:pk>/edit/", views.feedback_edit, name="feedback_edit"),
    path("feedback/<int:pk>/reply/", views.feedback_reply, name="feedback_reply"),
    path("mine/", views.my_feedback, name="my_feedback"),
    path("sessions/new/", session_views.session_create, name="session_create"),
    path("sessions/<int:pk>/", session_views.session_detail, name="session_detail"),
    path(
        "sessions/<int:pk>/leads/pick/", session_views.session_pick_leads, name="session_pick_leads"
    ),
    path(
        "sessions/<int:pk>/leads/<int:reviewed_pk>/outcome/",
        session_views.reviewed_lead_outcome,
        name="reviewed_lead_outcome",
    ),
    path(
        "sessions/<int:pk>/leads/<int:reviewed_pk>/remove/",
        session_views.reviewed_lead_remove,
        name="reviewed_lead_remove",
    ),
    path("sessions/<int:pk>/minutes/", session_views.session_minutes, name="session_minutes"),
    path(
        "sessions/<int:pk>/actions/new/",
        session_views.action_item_create,
        name="action_item_create",
    ),
    path("actions/<int:pk>/status/", session_views.action_item_status, name="action_item_status"),
    path("analysis/", analysis_views.analysis, name="analysis"),
    path("analysis/leads/", analysis_views.analysis_leads, name="analysis_leads"),
    path("analysis/export.csv", analysis_views.analysis_export, name="analysis_export"),
]
