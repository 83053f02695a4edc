from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import permissions

AREAS = [
    ("agreements", _("Agreements"), "slas:agreement_list"),
    ("leads", _("Leads"), "leads:queue"),
    ("reports", _("Reports"), "reports:index"),
    ("people", _("People"), "people"),
]

# Feedback on one lead, and on my leads, belong with the leads; sessions and the
# analysis with the reports.
LEADS_PAGES_OF_REVIEWS = {"feedback_create", "feedback_edit", "feedback_reply", "my_feedback"}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    current = {
        "slas": "agreements",
        "leads": "leads",
        "reports": "reports",
        "reviews": "reports",
    }.get(namespace, "")
    if match and match.url_name in {"people", "team_detail", "profile"}:
        current = "people"
    if namespace == "reviews" and match.url_name in LEADS_PAGES_OF_REVIEWS:
        current = "leads"
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "nav_areas": [
            {"key": key, "label": label, "url": reverse(url_name), "current": key == current}
            for key, label, url_name in AREAS
        ],
        "nav_unread_notifications": unread,
        "nav_role": permissions.primary_role(user),
    }
