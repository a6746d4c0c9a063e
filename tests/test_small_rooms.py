"""Small rooms (issue 20): no module of the package over about 400 lines, no class over about
150. A room that grows past them is several rooms; split it along its concerns."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "awscli_ecr_login_ext"
MODULE_LINES = 410
CLASS_LINES = 160


def test_no_module_is_a_house_of_its_own():
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
             for path in PACKAGE.rglob("*.py")}
    assert len(sizes) > 40  # the package is where the test looks
    assert {name: lines for name, lines in sizes.items() if lines > MODULE_LINES} == {}


def test_no_class_needs_a_table_of_contents():
    sizes = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                sizes[f"{path.relative_to(PACKAGE)}:{node.name}"] = (
                    node.end_lineno - node.lineno + 1)
    assert "helper/service.py:Service" in sizes
    assert {name: lines for name, lines in sizes.items() if lines > CLASS_LINES} == {}
