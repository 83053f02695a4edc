"""The feedback demo: feedback on most returned leads, two past sessions, one overdue item."""

import pytest
from django.utils import timezone

from leads.models import Cycle
from leads.reviews import demo as demo_feedback
from leads.reviews.models import ActionItem, Feedback, ReviewSession
from leads.reviews.selectors import action_items_overdue
from slas import demo as slas_demo


@pytest.mark.django_db
def test_the_demo_seeds_feedback_sessions_and_an_overdue_item_and_is_idempotent(cast):
    # given the demo agreements and no leads from another demo
    slas_demo.seed()
    # when the feedback demo runs twice
    demo_feedback.seed()
    counts = (Feedback.objects.count(), ReviewSession.objects.count(), ActionItem.objects.count())
    demo_feedback.seed()
    # then the second run changed nothing
    assert (
        Feedback.objects.count(),
        ReviewSession.objects.count(),
        ActionItem.objects.count(),
    ) == counts
    # and a good share of rejected and recycled leads have feedback
    returned = set(
        Cycle.objects.exclude(rejected_at__isnull=True, sales_recycle_at__isnull=True).values_list(
            "lead_id", flat=True
        )
    )
    covered = returned & set(Feedback.objects.values_list("lead_id", flat=True))
    assert len(returned) >= 10 and len(covered) >= len(returned) / 2
    # and two held sessions with outcomes and action items, exactly one overdue
    sessions = list(ReviewSession.objects.all())
    assert len(sessions) == 2 and {s.status for s in sessions} == {"held"}
    assert all(s.leads.exclude(outcome="").exists() for s in sessions)
    assert [item.title for item in action_items_overdue(timezone.now())] == [
        "Exclude student domains from the e-book campaign"
    ]
