from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from portal import login_throttle, permissions
from portal.forms import ResetForm, ThrottledAuthenticationForm, TimeZoneForm, client_address
from portal.home import home_sections
from portal.middleware import session_time_zone
from portal.models import (
    Membership,
    profile_language_set,
    profile_time_zone_set,
    reader_language,
    reader_time_zone,
)
from portal.notification_forms import NotificationPreferencesForm
from portal.notifications import (
    notification_mark_read,
    notification_preferences_update,
    preferences_for,
)
from portal.notifications import notifications_mark_all_read as mark_all_read


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_locked_out():
            response.status_code = 429  # Too Many Requests; the page says until when
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, counted per address and per e-mail (portal.login_throttle).

    Whether or not an account uses the address, the answer is the same page; only a known,
    active account with a password gets the mail (Django's PasswordResetForm)."""

    template_name = "portal/password_reset.html"
    email_template_name = "portal/emails/password_reset.txt"
    html_email_template_name = "portal/emails/password_reset.html"
    form_class = ResetForm
    subject_template_name = "portal/emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self):
        # Links name the portal's configured address, never the request's Host header.
        return {"base_url": settings.PORTAL_BASE_URL.rstrip("/")}

    def form_valid(self, form):
        if not login_throttle.reset_allowed_from(client_address(self.request)):
            form.add_error(
                None,
                _(
                    "Too many password reset requests from your address. Try again in an "
                    "hour, or ask an admin."
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        if not login_throttle.reset_allowed_for(form.cleaned_data["email"]):
            return redirect(self.success_url)  # the usual answer: nothing says why no mail
        return super().form_valid(form)


def language_set(request):
    """Django's language switch (the footer's form), which also keeps a signed-in
    person's choice in their profile: what the portal writes to them away from the
    screen (e-mails) is in the language they read it in."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        profile_language_set(user=request.user, language=language)
    return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        login_throttle.unlock(form.user.get_username())  # the owner proved it by e-mail
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


@login_required
def home(request):
    memberships = permissions.memberships_of(request.user)
    return render(
        request,
        "portal/home.html",
        {
            "memberships": memberships,
            "role": permissions.primary_role(request.user),
            "sections": home_sections(request.user),
        },
    )


@login_required
def people(request):
    teams = (
        permissions.visible_teams(request.user)
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )
    return render(request, "portal/people.html", {"teams": teams})


@login_required
def team_detail(request, pk: int):
    team = permissions.get_visible_or_404(
        permissions.visible_teams(request.user).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        ),
        pk=pk,
    )
    return render(request, "portal/team_detail.html", {"team": team})


@login_required
def profile(request):
    memberships = request.user.memberships.select_related("team")
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            profile_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
            session_time_zone(request, refresh=True)
            messages.success(request, _("Your time zone was saved."))
            return redirect("profile")
    else:
        form = TimeZoneForm(initial={"time_zone": reader_time_zone(request.user, own=True)})
    language = get_language_info(reader_language(request.user))["name_local"]
    return render(
        request,
        "portal/profile.html",
        {"memberships": memberships, "form": form, "email_language": language},
    )


# Notification centre ----------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 50


@login_required
def notifications(request):
    show_unread = request.GET.get("show") == "unread"
    items = request.user.notifications.all()
    if show_unread:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notifications.html",
        {"notifications": page, "page_obj": page, "show_unread": show_unread},
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def notification_open(request, pk: int):
    """Follow a notification's link, marking it read.

    A GET so the link works as a link (middle-click, copy); marking one's own
    notification read is harmless and idempotent.
    """
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    return redirect(_safe_next(request, reverse("notifications")))


@login_required
@require_POST
def notifications_mark_all_read(request):
    mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")


@login_required
def notification_preferences(request):
    initial = preferences_for(request.user)
    form = NotificationPreferencesForm(request.POST or None, initial_choices=initial)
    if request.method == "POST" and form.is_valid():
        notification_preferences_update(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notification_preferences")
    return render(
        request,
        "portal/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
        status=400 if form.is_bound else 200,
    )


def _api_error(request, status: int, detail: str, code: str) -> JsonResponse | None:
    """Under /api/ and /integrations/ errors answer in the API's one error body
    (portal.api.errors), never with an HTML page."""
    if request.path.startswith(("/api/", "/integrations/")):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return None


def page_not_found(request, exception):
    return _api_error(request, 404, _("Not found."), "not_found") or render(
        request, "404.html", status=404
    )


def permission_denied(request, exception):
    return _api_error(
        request, 403, _("You do not have permission to do this."), "permission_denied"
    ) or render(request, "403.html", status=403)


def server_error(request):
    # Rendered without the request: the context processors may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return _api_error(request, 500, _("Something went wrong on our side."), "server_error") or (
        HttpResponseServerError(loader.get_template("500.html").render())
    )
