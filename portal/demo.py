"""Demo people: the cast every test and the demo share.

Alice (marketing manager), Bob (marketing rep), Carol (sales manager), Dan (sales rep),
Erin (exec), Mallory (customer success rep), plus colleagues so queues look real.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.models import Membership, Role, Team, TeamFunction

DEMO_PASSWORD = "sla-demo-2026"  # noqa: S105 - printed for the demo on purpose

TEAMS = [
    ("Marketing", TeamFunction.MARKETING),
    ("Sales", TeamFunction.SALES),
    ("Customer Success", TeamFunction.CUSTOMER_SUCCESS),
    ("Leadership", TeamFunction.OTHER),
]

# username, first, last, [(team, role), ...]
PEOPLE = [
    ("alice", "Alice", "Anders", [("Marketing", Role.MANAGER)]),
    ("bob", "Bob", "Baker", [("Marketing", Role.REP)]),
    ("carol", "Carol", "Cruz", [("Sales", Role.MANAGER), ("Customer Success", Role.MANAGER)]),
    ("dan", "Dan", "Dumitrescu", [("Sales", Role.REP)]),
    ("erin", "Erin", "Edwards", [("Leadership", Role.EXEC)]),
    ("mallory", "Mallory", "Moss", [("Customer Success", Role.REP)]),
    ("sara", "Sara", "Sato", [("Sales", Role.REP)]),
    ("tariq", "Tariq", "Tehrani", [("Sales", Role.REP)]),
    ("mihai", "Mihai", "Matei", [("Marketing", Role.REP)]),
]


@transaction.atomic
def seed(stdout=None) -> dict[str, object]:
    user_model = get_user_model()
    teams = {}
    for name, function in TEAMS:
        team, _ = Team.objects.update_or_create(name=name, defaults={"function": function})
        teams[name] = team
    users = {}
    for username, first, last, roles in PEOPLE:
        user, created = user_model.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.com"
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.filter(user=user).exclude(team__name__in=[t for t, _ in roles]).delete()
        for team_name, role in roles:
            Membership.objects.update_or_create(
                user=user, team=teams[team_name], defaults={"role": role}
            )
        users[username] = user
    admin, created = user_model.objects.get_or_create(
        username="admin", defaults={"email": "admin@example.com", "first_name": "Admin"}
    )
    admin.is_staff = admin.is_superuser = True
    if created or not admin.check_password(DEMO_PASSWORD):
        admin.set_password(DEMO_PASSWORD)
    admin.save()
    users["admin"] = admin
    return {"teams": teams, "users": users}
