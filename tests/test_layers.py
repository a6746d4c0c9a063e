"""The floors of the package (docs/architecture.md): each folder imports only the floors below
it, only cli/ imports the AWS CLI or botocore, and the imports inside a floor form no cycle. Read
from the package's own source with ast: every import statement counts, the ones inside
functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "awscli_ecr_login_ext"
NAME = "awscli_ecr_login_ext"
# folder -> the folders it may import (besides itself)
MAY_IMPORT = {
    "core": set(),
    "identity": {"core"},
    "cache": {"core", "identity"},
    "helper": {"core", "identity", "cache"},
    "setup": {"core", "identity", "cache"},
    "cli": {"core", "identity", "cache", "helper", "setup"},
}
# The top of the package (__init__.py: the plugin every `aws` start imports, __main__.py,
# v1_path_guard.py: named by users' config files) may import any floor. Its own names are defined
# before anything of ours is imported, and these are the ones the floors may read from it.
ROOT_NAMES = {"__version__", "COMMAND_NAME", "HELPER_VARIABLE", "LazyCommand"}
CLI_ONLY = ("awscli", "botocore", "jmespath", "s3transfer")


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        found.append((".".join(parts), path))
    return found


def imports(dotted: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, names, line) of every import in ``path``."""
    package = dotted.split(".")
    if package[-1] != "__init__":
        package = package[:-1]
    else:
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level == 0:
                found.append((node.module, names, node.lineno))
                continue
            base = [NAME, *package][: len(package) + 2 - node.level]
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((module, names, node.lineno))
    return found


def floor_of(module: str) -> str | None:
    """The folder of one of our modules ("" for the top of the package), None for others."""
    parts = module.split(".")
    if parts[0] != NAME:
        return None
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) else ""


ALL = modules()


def test_every_module_is_on_a_floor():
    loose = [dotted for dotted, _ in ALL if "." not in dotted
             and dotted not in ("__init__", "__main__", "v1_path_guard")]
    assert loose == []
    assert {dotted.split(".")[0] for dotted, _ in ALL if "." in dotted} == set(MAY_IMPORT)


@pytest.mark.parametrize(("dotted", "path"), ALL, ids=[dotted for dotted, _ in ALL])
def test_a_floor_imports_only_the_floors_below_it(dotted, path):
    own = dotted.split(".")[0] if "." in dotted else ""
    if own == "":
        return  # the top may import anything of ours
    wrong = []
    for module, names, line in imports(dotted, path):
        target = floor_of(module)
        if target is None:
            if module.split(".")[0] in CLI_ONLY and own != "cli":
                wrong.append(f"line {line}: {module} (only cli/ imports the AWS CLI or botocore)")
            continue
        if target == "":
            if module == NAME and set(names) <= ROOT_NAMES:
                continue
            wrong.append(f"line {line}: {module} {names} (the top of the package)")
        elif target != own and target not in MAY_IMPORT[own]:
            wrong.append(f"line {line}: {module} ({target}/ is not below {own}/)")
    assert wrong == [], f"{dotted}: " + "; ".join(wrong)


def own_modules(dotted: str, path: Path) -> set[str]:
    """Our modules that ``path`` imports, as dotted names relative to the package."""
    known = {name for name, _ in ALL}
    found = set()
    for module, names, _line in imports(dotted, path):
        if not module.startswith(NAME + "."):
            continue
        base = module[len(NAME) + 1:]
        found |= {name for name in [base, *(f"{base}.{n}" for n in names)] if name in known}
    return found - {dotted}


def test_the_imports_inside_a_floor_form_no_cycle():
    """Lazy imports too: modules that import each other are one room in two files, or share
    what belongs in a third module below both."""
    graph = {dotted: {module for module in own_modules(dotted, path)
                      if module.split(".")[0] == dotted.split(".")[0]}
             for dotted, path in ALL if "." in dotted}
    done: set[str] = set()

    def cycle_from(module: str, trail: list[str]) -> list[str]:
        if module in trail:
            return trail[trail.index(module):] + [module]
        if module in done:
            return []
        for imported in sorted(graph[module]):
            found = cycle_from(imported, [*trail, module])
            if found:
                return found
        done.add(module)
        return []

    cycles = [" -> ".join(found) for found in (cycle_from(module, []) for module in sorted(graph))
              if found]
    assert cycles == []
