from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("team/", views.team_queue, name="team_queue"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
    path("<int:pk>/contact/", views.lead_contact, name="lead_contact"),
    path("<int:pk>/move/", views.lead_move, name="lead_move"),
    path("<int:pk>/nurture/", views.lead_nurture, name="lead_nurture"),
    path("<int:pk>/reassign/", views.lead_reassign, name="lead_reassign"),
    path("imports/", views.import_list, name="imports"),
    path("imports/template.csv", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status.json", views.import_status, name="import_status"),
    path("imports/<int:pk>/issues.csv", views.import_issues, name="import_issues"),
]
