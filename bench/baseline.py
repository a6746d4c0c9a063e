"""An earlier build's credential helper, installed as users get it, for row 4's "the hit no
slower than before": the package and the launcher of a git revision, in a venv of the same
Python as ``.venv-release``."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from tests.conftest import REPO

from .harness import BenchError


def build_helper(revision: str, python: Path, root: Path) -> Path:
    """``revision``'s ``docker-credential-ecr2`` in a venv under ``root``, with its sibling
    console script (the launcher reads its Python from that script's shebang)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision,
         "awscli_ecr_login_ext", "scripts/docker-credential-ecr2"],
        capture_output=True, check=False)
    if archive.returncode != 0:
        raise BenchError(f"BENCH_BASELINE={revision}: git archive failed: "
                         f"{archive.stderr.decode(errors='replace').strip()}")
    source = root / "source"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source)  # our own repository's tree
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
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q",
                    str(site_packages / "awscli_ecr_login_ext")], check=True)
    return launcher
