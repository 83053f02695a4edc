"""HTML guard: the pages of bench/load.py's mix, as each demo person sees them, recorded.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_demo DJANGO_STATIC_ROOT=/tmp/static \\
        python bench/html_guard.py record DIR      # then, after a change:
    ... python bench/html_guard.py compare DIR     # exit status 1 on any difference

A change meant to make pages cheaper must not change them: this renders every GET page of
the mix (home, My leads, the team queue, lead pages, an agreement, a compliance page, the
monthly report, the API lists) for every demo person in English, Arabic and Japanese, with
the settings bench/pages.py uses (debug off, the cached template loader), at a frozen
instant, inside one transaction rolled back at the end (the database keeps nothing). Each
page is asked twice, so that a page read from a warm cache is compared too. CSRF tokens,
which change with every session, are blanked.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import LEAD_LINK, django_setup  # noqa: E402 - bench/pages.py, beside this file

NOW = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC)
PEOPLE = {
    "alice": "manager",
    "carol": "manager",
    "dan": "rep",
    "sara": "rep",
    "tariq": "rep",
    "erin": "exec",
}
LANGUAGES = ("en", "ar", "ja")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def ids(client, path: str, count: int) -> list[int]:
    body = client.get(path).json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return [row["id"] for row in rows[:count]]


def paths_for(client, role: str) -> list[str]:
    queue = "/leads/" if role == "rep" else "/leads/team/"
    leads = sorted({int(pk) for pk in LEAD_LINK.findall(client.get(queue).content.decode())})
    agreements = ids(client, "/api/v1/agreements/?page_size=50", 2)
    versions = ids(client, "/api/v1/versions/?page_size=50", 2)
    paths = ["/", "/leads/", "/leads/team/"]
    paths += [f"/leads/{pk}/" for pk in leads[:4]]
    paths += [f"/agreements/{pk}/" for pk in agreements]
    paths += [f"/reports/versions/{pk}/" for pk in versions]
    paths += [f"/reports/agreements/{pk}/monthly/" for pk in agreements]
    paths += ["/api/v1/leads/?page_size=20", "/api/v1/notifications/"]
    paths += ["/api/v1/versions/?page_size=20", "/api/v1/agreements/"]
    return paths


def render_all() -> dict[str, str]:
    import time_machine
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import transaction
    from django.test import Client

    pages: dict[str, str] = {}
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        cache.clear()
        users = {u.username: u for u in get_user_model().objects.filter(username__in=PEOPLE)}
        for person, role in PEOPLE.items():
            client = Client(HTTP_X_FORWARDED_PROTO="https")
            client.force_login(users[person])
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            paths = paths_for(client, role)
            for lang in LANGUAGES:
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
                for path in paths:
                    for attempt in ("cold", "warm"):
                        response = client.get(path)
                        body = CSRF.sub(r'\1"', response.content.decode())
                        key = f"{person} {lang} {path}"
                        page = f"{response.status_code}\n{body}"
                        if attempt == "warm" and pages[key] != page:
                            pages[f"{key} (warm)"] = page
                        pages.setdefault(key, page)
        transaction.set_rollback(True)
    return pages


def main() -> None:
    mode, directory = sys.argv[1], Path(sys.argv[2])
    django_setup()
    pages = render_all()
    names = {key: key.replace("/", "_").replace(" ", "__").replace("?", "_") for key in pages}
    if mode == "record":
        directory.mkdir(parents=True, exist_ok=True)
        for key, page in pages.items():
            (directory / names[key]).write_text(page, encoding="utf-8")
        print(f"{len(pages)} pages recorded in {directory}")
        return
    differ = 0
    recorded = {p.name for p in directory.iterdir()}
    for key, page in pages.items():
        path = directory / names[key]
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        if page != before:
            differ += 1
            print(f"--- {key}")
            diff = difflib.unified_diff(before.splitlines(), page.splitlines(), lineterm="", n=1)
            print("\n".join(list(diff)[:40]))
    missing = recorded - set(names.values())
    for name in sorted(missing):
        differ += 1
        print(f"--- {name}: recorded, not rendered now")
    print(f"{len(pages)} pages compared, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
