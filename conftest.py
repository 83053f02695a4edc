"""Fixtures shared by every app's tests: the cast, and Celery run inline.

The cast is the demo's people (portal.demo), the same in every test:
Alice (marketing manager), Bob (marketing rep), Carol (sales manager), Dan (sales rep),
Erin (exec), Mallory (customer success rep).
"""

import os

import pytest


@pytest.fixture(autouse=True)
def _celery_inline(settings):
    """Tasks run inline in tests unless a test starts a real worker."""
    from portal.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _hypothesis_prints_failing_examples(request):
    """Schemathesis's pytest plugin swaps Hypothesis's printer for a no-op when it loads
    (its coverage phase is faster without it), so every other property test would
    report its failing example blank (`hours=,`). Outside the Schemathesis test the
    printer is Hypothesis's own, so a failure names the example that reproduces it."""
    from hypothesis import core
    from hypothesis.vendor import pretty

    if "schemathesis" in request.module.__name__:
        yield
        return
    patched, core.RepresentationPrinter = core.RepresentationPrinter, pretty.RepresentationPrinter
    yield
    core.RepresentationPrinter = patched


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and throttles count in the cache (the anonymous API rate, sign-in and
    webhook limits): each test starts with nothing counted, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A request made in another language (a cookie, Accept-Language) leaves it active
    in the thread (LocaleMiddleware activates, nothing deactivates): the next test
    starts in the site language again."""
    yield
    from django.utils import translation

    translation.deactivate()


class Cast:
    def __init__(self, seeded):
        self.teams = seeded["teams"]
        users = seeded["users"]
        self.alice = users["alice"]
        self.bob = users["bob"]
        self.carol = users["carol"]
        self.dan = users["dan"]
        self.erin = users["erin"]
        self.mallory = users["mallory"]
        self.sara = users["sara"]
        self.admin = users["admin"]
        self.marketing = self.teams["Marketing"]
        self.sales = self.teams["Sales"]
        self.customer_success = self.teams["Customer Success"]

    def everyone(self):
        return {
            "alice": self.alice,
            "bob": self.bob,
            "carol": self.carol,
            "dan": self.dan,
            "erin": self.erin,
            "mallory": self.mallory,
        }


@pytest.fixture
def cast(db):
    from portal.demo import seed

    return Cast(seed())


# Browser fixtures (Playwright + Chromium) for every app's browser tests.
from portal.tests.browser import browser, page  # noqa: E402,F401

# CI sets REQUIRE_REAL_SERVICES=1: there a browser or Celery-worker test that skips
# (no Chromium, no broker) fails instead, so a green CI proves they ran.
REAL_SERVICE_MARKERS = ("browser", "celery_worker")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("REQUIRE_REAL_SERVICES") == "1"
        and any(item.get_closest_marker(name) for name in REAL_SERVICE_MARKERS)
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped, but REQUIRE_REAL_SERVICES=1: {report.longrepr}"


@pytest.fixture(autouse=True)
def _seal_checkpoints_of_this_test(settings, tmp_path):
    """Audit checkpoints (slas.signing.checkpoints) in a folder of the test: pks are reused
    between tests, so another test's checkpoint would read as a rolled-back chain."""
    settings.SEAL_CHECKPOINT_DIR = str(tmp_path / "seal-checkpoints")
