from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from portal import token_views, views
from portal.api.docs import ApiDocsView

handler404 = "portal.views.page_not_found"
handler403 = "portal.views.permission_denied"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("people/", views.people, name="people"),
    path("people/teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("people/me/", views.profile, name="profile"),
    path("people/me/tokens/", token_views.token_list, name="token_list"),
    path("people/me/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/read-all/", views.notifications_mark_all_read, name="notifications_read_all"
    ),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("agreements/", include("slas.urls")),
    path("leads/", include("leads.urls")),
    path("reports/", include("reports.urls")),
    path("reviews/", include("leads.reviews.urls")),
    path("visitors/", include("leads.visitors.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("slas.api.urls")),
    path("api/v1/", include("leads.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("integrations/", include("leads.ingest.urls")),
    # The language switch keeps a signed-in person's choice (their e-mails' language).
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
