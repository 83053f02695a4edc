"""`{% signing_panel version user as panel %}`: the signing state shown on a version page."""

from django import template

from slas.signing.selectors import version_signing_panel

register = template.Library()


@register.simple_tag
def signing_panel(version, user):
    return version_signing_panel(version, user)
