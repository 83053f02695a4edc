"""What every page pays for the person reading it: their roles are read once, plainly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

MEMBERSHIPS = 'FROM "portal_membership"'


def membership_reads(queries) -> list[str]:
    """The reads of the reader's memberships (not the home page's "is he in sales?")."""
    return [
        q["sql"]
        for q in queries
        if MEMBERSHIPS in q["sql"] and '"portal_team"."function" = ' not in q["sql"]
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["alice", "dan", "erin"])
def test_the_home_page_reads_the_memberships_it_shows_and_the_roles_at_once(client, cast, person):
    # given a manager, a rep and an exec signed in
    user = getattr(cast, person)
    client.force_login(user)
    # when the home page is asked for
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    # then the memberships it lists gave the roles every section asks about: one read
    assert response.status_code == 200
    assert 'data-testid="membership"' in response.content.decode()
    assert len(membership_reads(queries)) == 1


@pytest.mark.django_db
def test_a_page_reads_the_roles_without_joining_teams_and_users(client, cast):
    client.force_login(cast.alice)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/notifications/").status_code == 200
    reads = membership_reads(queries)
    assert len(reads) == 1
    assert "JOIN" not in reads[0]
