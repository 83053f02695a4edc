"""Home-page sections for signing (wired into the home page by slas.home at merge).

- managers (and anyone named): "Awaiting my signature";
- everyone on the parties: versions in flight (awaiting signatures or signed and scheduled);
  execs see every agreement's;
- everyone: unread signing notifications.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dates, numbers, permissions
from portal.home import HomeItem, HomeSection
from slas.models import Agreement
from slas.signing.models import RoundStatus
from slas.signing.selectors import awaiting_signature_of, versions_in_flight


def sections(user, *, agreements: list[Agreement] | None = None) -> list[HomeSection]:
    """`agreements`: every agreement the user sees with its versions, if the page read them
    (`slas.selectors.agreement_summaries_for`): the versions being signed come from them."""
    result = []
    items = []
    seen = set()
    for request in awaiting_signature_of(user):
        version = request.round.version
        if version.pk in seen:
            continue
        seen.add(version.pk)
        days = (timezone.now() - request.opened_at).days
        items.append(
            HomeItem(
                title=str(version),
                url=reverse("slas:signing_sign", args=[version.pk]),
                detail=_("For %(who)s · sent by %(sender)s")
                % {"who": request.label, "sender": request.round.sent_by.get_full_name()},
                badge=_("waiting %(days)s days") % {"days": days} if days else _("new"),
                tone="danger" if days >= 3 else "warning",
            )
        )
    if items or permissions.is_manager(user):
        result.append(
            HomeSection(
                title=_("Awaiting my signature"),
                items=items,
                empty_text=_("Nothing to sign."),
                order=10,
            )
        )
    flight = []
    for row in versions_in_flight(user, among=agreements):
        version = row.version
        if row.round_status == RoundStatus.COMPLETED:
            detail = _("Signed by every party; takes force on %(date)s") % {
                "date": dates.day(version.effective_date)
            }
        else:
            detail = _("%(signed)s of %(total)s signatures") % {
                "signed": numbers.number(row.signed),
                "total": numbers.number(row.requests),
            }
        flight.append(
            HomeItem(
                title=str(version),
                url=version.get_absolute_url(),
                detail=detail,
                badge=version.state_label,
                tone=version.state_tone,
                badge_title=version.state_explanation,
            )
        )
    if flight:
        result.append(HomeSection(title=_("Versions being signed"), items=flight, order=20))
    unread = list(
        user.notifications.filter(read_at__isnull=True, kind__startswith="signing.").only(
            "title", "body", "url", "message"
        )[:10]
    )
    if unread:
        result.append(
            HomeSection(
                title=_("Signing news"),
                items=[
                    HomeItem(title=n.title_text, url=n.url, detail=n.body_text[:140])
                    for n in unread
                ],
                more_url=reverse("notifications"),
                more_label=_("All notifications"),
                order=15,
            )
        )
    return result
