"""environment.yml (conda) and pyproject.toml + constraints (pip) must not drift apart."""

import re
import tomllib

import yaml

from tests.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [
        r for x in project["optional-dependencies"].values() for r in x
    ]
    return {_name(r) for r in reqs}


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    specs = [d for d in env["dependencies"] if isinstance(d, str)]
    pins = {}
    for spec in specs:
        name = _name(spec)
        if name != "python":
            assert "==" in spec, f"environment.yml: pin {spec!r} with =="
            pins[name] = spec.split("==")[1]
    return pins


def test_same_packages_in_pyproject_and_environment_yml():
    assert set(_conda()) == _pyproject()


def test_every_package_is_pinned_to_the_same_version():
    pins, conda = _constraints(), _conda()
    missing = sorted(_pyproject() - set(pins))
    assert not missing, f"requirements/constraints.txt lacks pins for {missing}"
    assert {k: pins[k] for k in conda} == conda
