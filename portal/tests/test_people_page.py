"""The People page: teams with their functions and member counts."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_member_counts_are_written_in_the_readers_digits(client, cast, settings):
    client.force_login(cast.dan)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(reverse("people")).content.decode()
    counts = re.findall(r'<td class="num">(.*?)</td>', html)
    assert counts and all(count and not re.search(r"[0-9]", count) for count in counts), counts
