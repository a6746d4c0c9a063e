"""An earlier build, for the rows that compare with it side by side: its credential helper,
installed as users get it, for row 4's "the hit no slower than before" (the package and the
launcher of a git revision, in a venv of the same Python as ``.venv-release``); its plugin, for
rows 1 to 3 against the same commands of that build."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from tests.conftest import REPO

from .harness import BenchError


def _extract(revision: str, root: Path, *paths: str) -> Path:
    """``paths`` of ``revision`` under ``root / "source"``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, *paths],
        capture_output=True, check=False)
    if archive.returncode != 0:
        raise BenchError(f"BENCH_BASELINE={revision}: git archive failed: "
                         f"{archive.stderr.decode(errors='replace').strip()}")
    source = root / "source"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source)  # our own repository's tree
    return source


def compile_package(python: Path, folder: Path) -> None:
    """Byte-compile the package in ``folder``, as pip does on install."""
    subprocess.run([str(python), "-m", "compileall", "-q",
                    str(folder / "awscli_ecr_login_ext")], check=True)


def plugin_folder(revision: str, python: Path, root: Path) -> Path:
    """A folder holding ``revision``'s ``awscli_ecr_login_ext``, compiled by ``python``: what a
    plugin path (``PYTHONPATH``, ``cli_legacy_plugin_path``) names."""
    source = _extract(revision, root, "awscli_ecr_login_ext")
    compile_package(python, source)
    return source


def build_helper(revision: str, python: Path, root: Path) -> Path:
    """``revision``'s ``docker-credential-ecr2`` in a venv under ``root``, with its sibling
    console script (the launcher reads its Python from that script's shebang)."""
    source = _extract(revision, root, "awscli_ecr_login_ext", "scripts/docker-credential-ecr2")
    venv = root / "venv"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
    [site_packages] = (venv / "lib").glob("python*/site-packages")
    shutil.copytree(source / "awscli_ecr_login_ext", site_packages / "awscli_ecr_login_ext")
    launcher = venv / "bin" / "docker-credential-ecr2"
    shutil.copy2(source / "scripts" / "docker-credential-ecr2", launcher)
    launcher.chmod(0o755)
    sibling = venv / "bin" / "awscli-ecr-login-ext"
    sibling.write_text(f"#!{venv / 'bin' / 'python'}\n")
    sibling.chmod(0o755)
    compile_package(venv / "bin" / "python", site_packages)
    return launcher
