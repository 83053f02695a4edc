"""The one place that answers "may this user ... ?".

HTML views, the API and selectors all ask here. Rules:
- a user sees objects of the teams they belong to; execs (and staff) read everything;
- objects a user may not see answer 404, not 403 (existence is not leaked): use
  `get_visible_or_404` in views;
- only managers of a party team (or staff) edit agreements, and only drafts; a new
  agreement's parties are teams its creator can see (`agreement_party_teams`);
- a signature request is signed by the person it names or a manager of its party team;
- reps and managers of a lead's sales team work the lead.

The rules span the apps above this one (slas, leads), which all ask here: their models are
named by label (`apps.get_model`), never imported, so no app imports one above it
(docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from portal.models import Membership, Role, Team, TeamFunction

if TYPE_CHECKING:
    from leads.models import Lead
    from slas.models import Agreement, Version
    from slas.signing.models import SignatureRequest, SigningRound


def _roles(user) -> dict[int, str]:
    """{team_id: role} for the user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        # No ordering: the default one (team name, username) joins two tables, on every page.
        cached = dict(user.memberships.order_by().values_list("team_id", "role"))
        user._portal_roles = cached
    return cached


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their teams, as shown (by team name); the roles they
    give are kept for the request, as `_roles` keeps them (one query for both)."""
    memberships = list(user.memberships.select_related("team"))
    user._portal_roles = {m.team_id: m.role for m in memberships}
    user._portal_functions = {m.team.function for m in memberships}
    return memberships


def forget_roles(user) -> None:
    """Drop the cached roles (after memberships change within one request or test)."""
    for name in ("_portal_roles", "_portal_functions"):
        if hasattr(user, name):
            delattr(user, name)


def in_team_of_function(user, function: str) -> bool:
    """Is the user a member (any role) of a team of this function (`TeamFunction`)? From
    the memberships the page read (`memberships_of`), else asked."""
    if not getattr(user, "is_authenticated", False):
        return False
    functions = getattr(user, "_portal_functions", None)
    if functions is None:
        return user.memberships.filter(team__function=function).exists()
    return function in functions


def team_ids(user) -> set[int]:
    return set(_roles(user))


def manager_team_ids(user) -> set[int]:
    return {team_id for team_id, role in _roles(user).items() if role == Role.MANAGER}


def is_exec(user) -> bool:
    """Execs (and staff) read everything in the portal."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or Role.EXEC in _roles(user).values()


def is_manager(user) -> bool:
    return bool(manager_team_ids(user)) or getattr(user, "is_staff", False)


def primary_role(user) -> str:
    """The role that shapes the home page: exec > manager > rep."""
    roles = set(_roles(user).values())
    for role in (Role.EXEC, Role.MANAGER, Role.REP):
        if role in roles:
            return role
    return Role.EXEC if getattr(user, "is_staff", False) else ""


# Teams -----------------------------------------------------------------------


def visible_teams(user) -> QuerySet[Team]:
    if is_exec(user):
        return Team.objects.all()
    return Team.objects.filter(pk__in=team_ids(user))


def can_view_team(user, team: Team) -> bool:
    return is_exec(user) or team.pk in team_ids(user)


# Agreements and versions -------------------------------------------------------


def visible_agreements(user) -> QuerySet[Agreement]:
    Agreement = apps.get_model("slas", "Agreement")
    if is_exec(user):
        return Agreement.objects.all()
    return Agreement.objects.filter(parties__in=team_ids(user)).distinct()


def visible_versions(user) -> QuerySet[Version]:
    Version = apps.get_model("slas", "Version")
    if is_exec(user):
        return Version.objects.all()
    return Version.objects.filter(agreement__in=visible_agreements(user))


def party_team_ids(agreement: Agreement) -> set[int]:
    cached = getattr(agreement, "_party_ids", None)
    if cached is None:
        cached = {team.pk for team in agreement.parties.all()}
        agreement._party_ids = cached
    return cached


def editable_drafts(user) -> QuerySet[Version]:
    """Drafts this user may edit: of agreements where they manage a party team (or staff);
    the rule of `can_edit_version`, as a query."""
    drafts = apps.get_model("slas", "Version").objects.drafts()
    if getattr(user, "is_staff", False):
        return drafts
    return drafts.filter(agreement__parties__in=manager_team_ids(user)).distinct()


def can_view_agreement(user, agreement: Agreement) -> bool:
    return is_exec(user) or bool(party_team_ids(agreement) & team_ids(user))


def can_manage_agreement(user, agreement: Agreement) -> bool:
    """Managers of a party team (or staff) write drafts and send them for signature."""
    if getattr(user, "is_staff", False):
        return True
    return bool(party_team_ids(agreement) & manager_team_ids(user))


def can_view_incentives(user, agreement: Agreement) -> bool:
    """What each party team earns under the agreement's incentive rules: execs, and the
    managers of a party team (or staff). Reps, even of a party, do not read it (pay is
    a manager's matter; a rep reads their own figures on the scorecards)."""
    if is_exec(user):
        return True
    return bool(party_team_ids(agreement) & manager_team_ids(user))


def can_create_agreement(user) -> bool:
    return is_manager(user)


def agreement_party_teams(user) -> QuerySet[Team]:
    """The teams this user may name as parties of a new agreement, on the page and in
    the API alike: teams they can see, of a function that takes part in agreements (not
    "other"). Anything else answers as a team that does not exist. The agreement service
    adds that the user manages one of the parties (or is staff)."""
    return visible_teams(user).exclude(function=TeamFunction.OTHER)


def can_edit_version(user, version: Version) -> bool:
    return version.is_draft and can_manage_agreement(user, version.agreement)


def can_sign_request(user, request: SignatureRequest) -> bool:
    """May this user sign this signature request? The person it names, or any current
    manager of its party team (the team, not the person asked at sending, signs).

    Only who: whether the request can be signed *now* (the round open, the request
    pending, the signer's turn in sequential order) is for the signing services to say.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if request.user_id:
        return request.user_id == user.pk
    return request.team_id in manager_team_ids(user)


def request_signers(request: SignatureRequest) -> list:
    """Everyone `can_sign_request` says yes to, by pk: who is told and reminded."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if request.user_id:
        return list(users.filter(pk=request.user_id))
    managers = Membership.objects.filter(team_id=request.team_id, role=Role.MANAGER)
    return list(users.filter(pk__in=managers.values("user_id")))


def can_sign_version(user, version: Version) -> bool:
    """A required signatory of the version's open round (the signing page is theirs).

    True also once they have signed or while it is not yet their turn: the page then says
    so. False when the version is not awaiting signatures.
    """
    if not version.is_awaiting_signatures:
        return False
    rnd = version.open_signing_round()
    if rnd is None:
        return False
    return any(can_sign_request(user, request) for request in rnd.requests.all())


def can_withdraw_signed(user, rnd: SigningRound) -> bool:
    """May this user withdraw a version its round got signed for (before it takes force)?
    A current manager of a party team that signed it: the teams that committed may take
    their commitment back. Only who: whether it is still possible is the service's to say.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    managed = manager_team_ids(user)
    return any(request.team_id in managed for request in rnd.requests.all() if request.team_id)


def can_send_for_signature(user, version: Version) -> bool:
    """A manager of a party team sends a draft for signature (staff do not sign for teams)."""
    return version.is_draft and bool(party_team_ids(version.agreement) & manager_team_ids(user))


# Leads -------------------------------------------------------------------------


def visible_leads(user) -> QuerySet[Lead]:
    Lead = apps.get_model("leads", "Lead")
    return Lead.objects.filter(visible_leads_q(user))


def visible_leads_q(user, *, through: str = "") -> Q:
    """The condition of `visible_leads` on a lead reached through ``through`` (e.g.
    ``"lead__"`` from a cycle): a join, where a subquery over every visible lead would be
    read whole before a short page of them could be chosen."""
    if is_exec(user):
        return Q()
    ids = team_ids(user)
    return Q(**{f"{through}marketing_team__in": ids}) | Q(**{f"{through}sales_team__in": ids})


def can_view_lead(user, lead: Lead) -> bool:
    ids = team_ids(user)
    return is_exec(user) or lead.marketing_team_id in ids or lead.sales_team_id in ids


def can_work_lead(user, lead: Lead) -> bool:
    """Log attempts and move stages: the owner, or a manager of the lead's sales team."""
    if getattr(user, "is_staff", False):
        return True
    if lead.sales_team_id in manager_team_ids(user):
        return True
    return lead.owner_id == user.pk and lead.sales_team_id in team_ids(user)


def can_reassign_lead(user, lead: Lead) -> bool:
    return getattr(user, "is_staff", False) or lead.sales_team_id in manager_team_ids(user)


def can_override_lead_rules(user, lead: Lead) -> bool:
    """Let a move through that an agreed rule would refuse (a recycle short of the agreed
    contact attempts), with a reason that is recorded and counted: a manager of the
    lead's sales team, who answers for that team's compliance (not staff as such)."""
    return lead.sales_team_id in manager_team_ids(user)


def can_see_team_queue(user) -> bool:
    """Managers see their sales teams' queues; execs and staff see every team's."""
    return is_exec(user) or bool(manager_team_ids(user))


def lead_owner_ids(sales_team_id: int) -> set[int]:
    """Who may own a lead of this sales team: its active members. Ingest refuses an
    owner change naming anybody else (docs/security.md#who-can-write-what)."""
    return set(
        Membership.objects.filter(team_id=sales_team_id, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def can_import_leads(user, marketing_team: Team, sales_team: Team) -> bool:
    """Upload lead files or send events through the API: a manager of either team, or staff."""
    if getattr(user, "is_staff", False):
        return True
    return bool({marketing_team.pk, sales_team.pk} & manager_team_ids(user))


# Views -------------------------------------------------------------------------


def get_visible_or_404(queryset: QuerySet, **lookup):
    """Fetch from an already permission-filtered queryset; anything else is a 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def require(allowed: bool) -> None:
    """Refuse an action on an object the user can see but may not change (403)."""
    if not allowed:
        raise PermissionDenied


# Lead feedback and review sessions ----------------------------------------------
# Reps and managers of a lead's sales team received the lead: they rate it. Members of
# its marketing team may comment (no rating, no reason codes). Execs read; Mallory,
# outside both teams, neither sees nor writes.


def _member_as(user, team_id: int | None, roles: tuple[str, ...]) -> bool:
    return team_id is not None and _roles(user).get(team_id) in roles


def visible_feedback(user) -> QuerySet:
    """Feedback on the leads this user sees (`visible_leads`): the lead's condition through
    the join (`visible_leads_q`), not a subquery over every visible lead."""
    Feedback = apps.get_model("leads", "Feedback")
    return Feedback.objects.filter(visible_leads_q(user, through="lead__"))


def can_rate_lead(user, lead: Lead) -> bool:
    """Rate a lead and pick reason codes: reps and managers of its sales team (or staff)."""
    if getattr(user, "is_staff", False):
        return True
    return _member_as(user, lead.sales_team_id, (Role.REP, Role.MANAGER))


def can_comment_on_lead(user, lead: Lead) -> bool:
    """Leave feedback without a rating: anyone who may rate, and marketing's reps and managers."""
    return can_rate_lead(user, lead) or _member_as(
        user, lead.marketing_team_id, (Role.REP, Role.MANAGER)
    )


def can_reply_to_feedback(user, feedback) -> bool:
    """Answer sales' feedback on a lead: reps and managers of its marketing team (the side
    the feedback speaks to), never the entry's author. Once per entry: the service says."""
    if feedback.author_id == user.pk:
        return False
    return _member_as(user, feedback.lead.marketing_team_id, (Role.REP, Role.MANAGER))


def can_edit_feedback(user, feedback, now) -> bool:
    """Only the author, and only within the edit window after writing it."""
    return feedback.author_id == user.pk and now < feedback.editable_until()


def visible_review_sessions(user) -> QuerySet:
    """Sessions of the user's teams (either party) or to which they are invited."""
    ReviewSession = apps.get_model("leads", "ReviewSession")
    if not getattr(user, "is_authenticated", False):
        return ReviewSession.objects.none()
    if is_exec(user):
        return ReviewSession.objects.all()
    ids = team_ids(user)
    return ReviewSession.objects.filter(
        Q(marketing_team__in=ids) | Q(sales_team__in=ids) | Q(attendees__user=user)
    ).distinct()


def can_schedule_review_session(user, marketing_team_id: int, sales_team_id: int) -> bool:
    """A manager of either party team (or staff) schedules a review session."""
    if getattr(user, "is_staff", False):
        return True
    return bool({marketing_team_id, sales_team_id} & manager_team_ids(user))


def can_manage_review_session(user, session) -> bool:
    """Pick leads, record outcomes and attendance, assign action items."""
    if session.organizer_id == user.pk:
        return True
    return can_schedule_review_session(user, session.marketing_team_id, session.sales_team_id)


def can_update_action_item(user, item) -> bool:
    """The item's owner moves it along; so does whoever manages its session."""
    return item.owner_id == user.pk or can_manage_review_session(user, item.session)
