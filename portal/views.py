from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import permissions
from portal.forms import ThrottledAuthenticationForm
from portal.home import home_sections
from portal.models import Membership


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


@login_required
def home(request):
    memberships = request.user.memberships.select_related("team")
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
    return render(request, "portal/profile.html", {"memberships": memberships})


@login_required
def notifications(request):
    items = request.user.notifications.all()[:200]
    return render(request, "portal/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_mark_all_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)


def server_error(request):
    # Rendered without the request: the context processors may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
