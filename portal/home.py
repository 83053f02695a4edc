"""The home page: what this person should do today.

Each app may provide `<app>.home.sections(user) -> list[HomeSection]`; the home page
collects them in the order of INSTALLED_APPS, so an app adds its to-do items without
touching the portal.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field

from django.apps import apps


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
    for config in apps.get_app_configs():
        module_name = f"{config.name}.home"
        if config.name == "portal" or importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        provider = getattr(module, "sections", None)
        if provider is not None:
            sections.extend(provider(user))
    return sorted(sections, key=lambda section: section.order)
