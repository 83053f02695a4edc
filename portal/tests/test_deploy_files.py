"""The Dockerfile, compose.yaml and the systemd units in docs/deploy.md start exactly the
commands the `make serve` tests start: `deploy/run <role>`, as deploy/supervisord.conf does.

(They cannot be built or run here: there is no Docker engine. This keeps them from drifting.)
"""

import configparser
import re

import pytest

from portal.tests.processes import ROOT

yaml = pytest.importorskip("yaml")

ROLES = {"web", "worker", "beat"}


def supervised_roles() -> dict[str, str]:
    config = configparser.RawConfigParser()
    config.read(ROOT / "deploy" / "supervisord.conf")
    return {
        section.removeprefix("program:"): config[section]["command"]
        for section in config.sections()
        if section.startswith("program:")
    }


def test_supervisord_runs_deploy_run_for_web_worker_and_beat():
    assert supervised_roles() == {role: f"%(here)s/run {role}" for role in ROLES}


def test_compose_runs_the_same_commands():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]

    for role in ROLES:
        assert services[role]["command"] == ["deploy/run", role]
    assert services["migrate"]["command"] == ["deploy/run", "migrate"]
    assert {"postgres", "redis"} <= set(services)
    # uploads are written by the web and read by the worker
    assert services["web"]["volumes"] == services["worker"]["volumes"]


def test_the_image_starts_the_web_and_collects_static_files_with_deploy_run():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert 'CMD ["deploy/run", "web"]' in dockerfile
    assert "deploy/run static" in dockerfile
    assert "-r requirements.txt" in dockerfile


def test_the_systemd_units_in_the_docs_start_deploy_run():
    docs = (ROOT / "docs" / "deploy.md").read_text()

    started = set(re.findall(r"^ExecStart=/srv/sla-portal/deploy/run (\w+)$", docs, re.M))
    assert started == ROLES
