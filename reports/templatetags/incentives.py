"""`{% load incentives %}`: may this reader see what the teams earn (for links to the
incentives page from the document and the compliance page)?"""

from django import template

from portal import permissions

register = template.Library()


@register.filter
def reads_incentives(user, agreement) -> bool:
    """`{% if request.user|reads_incentives:agreement %}` (permissions.can_view_incentives)."""
    return permissions.can_view_incentives(user, agreement)
