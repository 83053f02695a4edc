"""Review-session action items past their due date: told once per item and due date. Each sweep looks at the facts as of `now` and writes every notification that is due and not yet written; a dedupe key per notification makes running it twice write nothing twice (portal.sweep)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

from leads.reviews.selectors import action_items_overdue
from portal.sweep import NotificationBatch
from portal.text import Text


def action_items_sweep(*, now: dt.datetime) -> int:
    """Review-session action items past their due date: tell the owner once per due date."""
    batch = NotificationBatch()
    for item in action_items_overdue(now):
        due = item.due_date
        batch.add(
            recipient=item.owner,
            kind="action_item_overdue",
            key=f"action_item_overdue:{item.pk}:{item.due_date.isoformat()}",
            title=Text(
                gettext_noop("Action item overdue since %(due)s: %(item)s"),
                item=item.title,
                due=due,
            ),
            url=item.get_absolute_url(),
            reason=Text(
                gettext_noop(
                    "You are the owner of this action item from a lead review, and it is not done."
                )
            ),
        )
    return batch.write()
