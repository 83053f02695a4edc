"""The home page: what this person should do today.

Each installed app may provide `sections(user) -> list[HomeSection]` in its module
`<app>.home` (one fixed name, found the way Django's admin finds `<app>.admin`); an app's
areas contribute through it (e.g. `slas.home` adds `slas.signing.home`). The home page
collects them, so an app adds its to-do items without touching the portal.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.module_loading import module_has_submodule


@dataclass
class HomeItem:
    title: str
    url: str = ""
    detail: str = ""
    badge: str = ""
    tone: str = ""  # "", "warning", "danger", "success", "neutral", "info"
    badge_title: str = ""  # the badge in one line: on hover, on tap, for screen readers
    # One button that does the to-do (a POST to `action_url`, with the CSRF token).
    action_url: str = ""
    action_label: str = ""


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
    for module in _home_modules():
        sections.extend(module.sections(user))
    return sorted(sections, key=lambda section: section.order)


def _home_modules() -> list:
    """`<app>.home` of every installed app that has one, in INSTALLED_APPS order."""
    modules = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "home"):
            module = importlib.import_module(f"{config.name}.home")
            if hasattr(module, "sections"):
                modules.append(module)
    return modules
