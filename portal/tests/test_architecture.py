"""The architecture contracts (pyproject.toml, checked by `lint-imports` in CI) cover
every module: a new module of an app must be given its layer, or it would escape the
contract unnoticed (docs/architecture.md)."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]


def _children(app: str) -> set[str]:
    found = set()
    for path in (ROOT / app).iterdir():
        if path.suffix == ".py" and path.name != "__init__.py":
            found.add(path.stem)
        elif (path / "__init__.py").exists() and path.name != "migrations":
            found.add(path.name)
    return found


def _layered(contract) -> set[str]:
    names = set()
    for layer in contract["layers"]:
        names.update(part.strip() for part in layer.replace("|", ":").split(":"))
    return names


@pytest.mark.parametrize(
    "contract", [c for c in CONTRACTS if "containers" in c], ids=lambda c: c["containers"][0]
)
def test_every_module_of_an_app_has_a_layer(contract):
    app = contract["containers"][0]
    assert _children(app) - _layered(contract) == set(), "give these modules a layer"
    assert _layered(contract) - _children(app) == set(), "these layers name no module"


def test_the_apps_are_layered_reports_leads_slas_portal():
    apps = next(c for c in CONTRACTS if "containers" not in c and c["type"] == "layers")
    assert apps["layers"] == ["reports", "leads", "slas", "portal"]
