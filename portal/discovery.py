"""Find per-app hook modules by name, so an app plugs in without editing the portal.

`app_modules("home")` imports, for every installed app of ours, its module `home` and
every module whose name ends in `_home` (e.g. `slas.signing_home`), in INSTALLED_APPS
order, the plain one first.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from django.apps import apps

OUR_APPS = ("portal", "slas", "leads", "reports")


def app_modules(hook: str) -> list[ModuleType]:
    modules: list[ModuleType] = []
    for config in apps.get_app_configs():
        if config.name not in OUR_APPS:
            continue
        names = sorted(
            info.name
            for info in pkgutil.iter_modules([config.path])
            if info.name == hook
            or info.name.endswith(f"_{hook}")
            or info.name.startswith(f"{hook}_")
        )
        names.sort(key=lambda name: name != hook)
        modules.extend(importlib.import_module(f"{config.name}.{name}") for name in names)
    return modules
