"""Render user-supplied Markdown to sanitised HTML.

Markdown is converted with the ``markdown`` package (tables, sane_lists,
fenced_code) and the result is cleaned with ``nh3`` against a strict
allow-list, so raw HTML inside the Markdown cannot inject scripts, event
handlers, styles or dangerous URLs.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

MARKDOWN_EXTENSIONS = ("tables", "sane_lists", "fenced_code")

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
        "hr",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"


def sanitize_html(html: str) -> str:
    """Clean ``html`` with the module's allow-list; returns a plain ``str``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """Convert Markdown ``text`` to sanitised HTML, marked safe for templates."""
    html = markdown.markdown(text or "", extensions=list(MARKDOWN_EXTENSIONS))
    return mark_safe(sanitize_html(html))  # noqa: S308 - sanitised by nh3
