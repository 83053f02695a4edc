"""The home page: what this person should do today.

Each app may provide `sections(user) -> list[HomeSection]` in `<app>/home.py` or any
`<app>/*_home.py` (see portal.discovery); the home page collects them, so an area adds
its to-do items without touching the portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.discovery import app_modules


@dataclass
class HomeItem:
    title: str
    url: str = ""
    detail: str = ""
    badge: str = ""
    tone: str = ""  # "", "warning", "danger", "success"


@dataclass
class HomeSection:
    title: str
    items: list[HomeItem] = field(default_factory=list)
    empty_text: str = ""
    more_url: str = ""
    more_label: str = ""
    order: int = 100


def home_sections(user) -> list[HomeSection]:
    sections: list[HomeSection] = []
    for module in app_modules("home"):
        provider = getattr(module, "sections", None)
        if provider is not None:
            sections.extend(provider(user))
    return sorted(sections, key=lambda section: section.order)
