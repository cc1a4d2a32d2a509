"""The dependencies: requirements.in names what Svod's code imports, requirements.txt pins
every package the install takes (pip-tools' lock), and test tools stay out of the runtime."""
from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("sync_service", "web", "jobs", "sheets_emulator", "sheets_schema")
# Needed at runtime without an import: the Procfile's web server, the PostgreSQL driver
# SQLAlchemy loads by URL, and its binary build.
NOT_IMPORTED = {"gunicorn", "psycopg"}
# A namespace package's distribution by the module under it (``google`` is many).
NAMESPACES = {"google.auth": "google-auth", "google.oauth2": "google-auth"}
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==\S+")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(file: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _NAME.match(line)
        assert match, f"{file}: «{line}» is not pinned with =="
        pins[_norm(match.group(1))] = line
    return pins


def _imported_distributions(packages: tuple[str, ...]) -> set[str]:
    distributions = packages_distributions()
    found = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    spaced = ".".join(name.split(".")[:2])
                    if spaced in NAMESPACES:
                        found.add(NAMESPACES[spaced])
                        continue
                    if top in sys.stdlib_module_names or top in RUNTIME:
                        continue
                    assert top in distributions, f"{path.relative_to(ROOT)} imports {top}, which no package installs"
                    found.update(_norm(d) for d in distributions[top])
    return found


def test_every_runtime_import_is_a_direct_requirement_and_every_requirement_is_used():
    direct = set(_requirements("requirements.in"))
    imported = _imported_distributions(RUNTIME)
    assert imported - direct == set(), "imported at runtime but not in requirements.in"
    assert direct - imported - NOT_IMPORTED == set(), "in requirements.in but imported by nothing at runtime"


def test_the_lock_pins_every_direct_requirement_at_its_version():
    lock = _requirements("requirements.txt")
    for name, line in _requirements("requirements.in").items():
        assert name in lock, f"{name} is in requirements.in but not in the lock"
        assert lock[name].split("==")[1] == line.split("==")[1], f"{name}: the lock and requirements.in differ"
    dev_lock = _requirements("requirements-dev.txt")
    assert {k: v.split("==")[1] for k, v in lock.items()} == {
        k: dev_lock[k].split("==")[1] for k in lock}, "the dev lock pins the runtime packages otherwise"


def test_the_lock_holds_what_the_installed_packages_need():
    """Every package the runtime's requirements pull in here is pinned (nothing floats)."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    lock = _requirements("requirements.txt")
    extras = {"psycopg": "binary"}
    seen, todo = set(), list(_requirements("requirements.in"))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert name in lock, f"{name} is installed for the runtime but not pinned in requirements.txt"
        for text in distribution(name).requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extras.get(name, "")}):
                todo.append(_norm(requirement.name))
    assert len(seen) > 40  # the closure was walked, not only the direct requirements


def test_test_tools_are_not_imported_at_runtime():
    tools = set(_requirements("requirements-dev.in")) - set(_requirements("requirements.in"))
    assert tools & _imported_distributions(RUNTIME) == set()
