"""scripts/docker-credential-ecr2: the shell launcher that starts the credential helper's
Python with -S, run from a regular (not editable) install as users get it (.venv-release),
against the local fake ECR endpoint in a throwaway HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from awscli_ecr_login_ext import __version__
from tests.conftest import CLIS, REPO, beside, require
from tests.test_credential_helper import ALIAS, PRIVATE, PROFILES
from tests.test_credential_helper import HELPER as EDITABLE_HELPER
from tests.test_import_cost import imported_modules

RELEASE_BIN = REPO / ".venv-release" / "bin"
RELEASE_HELPER = RELEASE_BIN / "docker-credential-ecr2"
RELEASE_PYTHON = RELEASE_BIN / "python3"
LAUNCHER_SOURCE = REPO / "scripts" / "docker-credential-ecr2"


@pytest.fixture
def env(aws_home, fake_ecr) -> dict[str, str]:
    require(RELEASE_HELPER.exists(), f"{RELEASE_HELPER} not installed (make venv)")
    aws_home.write_config(PROFILES)
    return beside(CLIS[0], {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url})


def run(helper: Path, env: dict[str, str], action: str, stdin: str = "", *,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(helper), action], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, check=False)


def test_the_installed_helper_is_the_launcher_not_a_console_script():
    require(RELEASE_HELPER.exists(), f"{RELEASE_HELPER} not installed (make venv)")
    assert RELEASE_HELPER.read_bytes() == LAUNCHER_SOURCE.read_bytes()
    assert os.access(RELEASE_HELPER, os.X_OK)
    first = (RELEASE_BIN / "awscli-ecr-login-ext").read_text().splitlines()[0]
    assert first == f"#!{RELEASE_PYTHON}"


def test_a_warm_hit_runs_without_site(env, fake_ecr):
    profile = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    cold = run(RELEASE_HELPER, env, "get", PRIVATE)  # a miss: the aws on PATH fills the cache
    assert cold.returncode == 0, cold.stderr[-2000:]
    assert json.loads(cold.stdout)["Secret"] == fake_ecr.password
    assert len(fake_ecr.requests) == 1

    warm = run(RELEASE_HELPER, profile, "get", PRIVATE)
    assert warm.returncode == 0, warm.stderr[-2000:]
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert len(fake_ecr.requests) == 1
    warm_modules = set(imported_modules(warm.stderr))
    assert "awscli_ecr_login_ext.helper.protocol" in warm_modules
    assert not warm_modules & {"site", "re", "json", "hashlib", "configparser", "typing",
                               "awscli", "botocore"}


def test_the_release_install_answers_like_the_editable_one(env, fake_ecr):
    require(EDITABLE_HELPER.exists(), f"{EDITABLE_HELPER} not installed (make venv)")
    for action, stdin in [("get", PRIVATE), ("get", ALIAS), ("list", ""),
                          ("get", "registry.example.com"), ("get", "not a host"),
                          ("store", '{"ServerURL": "x"}'), ("version", ""), ("bogus", ""),
                          ("erase", PRIVATE), ("list", "")]:
        release = run(RELEASE_HELPER, env, action, stdin)
        editable = run(EDITABLE_HELPER, env, action, stdin)
        assert (release.returncode, release.stdout, release.stderr) == (
            editable.returncode, editable.stdout, editable.stderr), (action, stdin)
    assert len(fake_ecr.requests) == 1  # the editable helper's first get filled the cache


def _pip_sibling(python: Path, form: str) -> str:
    """The console script ``awscli-ecr-login-ext`` the way pip writes its first lines."""
    body = "# -*- coding: utf-8 -*-\nimport sys\n"
    if form == "shebang":
        return f"#!{python}\n{body}"
    if form == "shebang-flags":  # pipx's newest adds -E to the apps it exposes
        return f"#!{python} -E\n{body}"
    # pip's form for an interpreter path with spaces (quoted) or over 127 bytes (not quoted)
    named = f'"{python}"' if form == "sh-quoted" else str(python)
    return f"#!/bin/sh\n'''exec' {named} \"$0\" \"$@\"\n' '''\n{body}"


@pytest.mark.parametrize("form", ["shebang", "shebang-flags", "sh-quoted", "sh-plain"])
def test_the_launcher_finds_python_in_every_form_pip_writes(env, tmp_path, form):
    bin_dir = tmp_path / "bin with space"
    bin_dir.mkdir()
    shutil.copy2(LAUNCHER_SOURCE, bin_dir / "docker-credential-ecr2")
    (bin_dir / "awscli-ecr-login-ext").write_text(_pip_sibling(RELEASE_PYTHON, form))
    result = run(bin_dir / "docker-credential-ecr2", env, "version")
    assert (result.returncode, result.stdout, result.stderr) == (0, __version__ + "\n", "")


def test_a_symlink_elsewhere_finds_the_real_installation(env, fake_ecr, tmp_path):
    link = tmp_path / "elsewhere" / "docker-credential-ecr2"
    link.parent.mkdir()
    link.symlink_to(RELEASE_HELPER)
    result = run(link, env, "get", PRIVATE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Secret"] == fake_ecr.password


@pytest.mark.parametrize("sibling", [None, "#!/bin/sh\necho nothing here\n", "",
                                     "#!python\n", "#!/nonexistent/bin/python3\n"])
def test_without_the_sibling_python_one_clear_line(env, tmp_path, sibling):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy2(LAUNCHER_SOURCE, bin_dir / "docker-credential-ecr2")
    if sibling is not None:
        (bin_dir / "awscli-ecr-login-ext").write_text(sibling)
    result = run(bin_dir / "docker-credential-ecr2", env, "get", PRIVATE)
    assert result.returncode == 1
    assert result.stdout == result.stderr  # docker reports the helper's stdout
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "docker-credential-ecr2: cannot find the Python of awscli-ecr-login-ext: ")
    assert "reinstall the awscli-ecr-login-ext package" in result.stderr


def test_the_working_directory_cannot_shadow_the_package(env, fake_ecr, tmp_path):
    hostile = tmp_path / "cwd" / "awscli_ecr_login_ext"
    hostile.mkdir(parents=True)
    (hostile / "__init__.py").write_text(
        "raise SystemExit('imported from the working directory')\n")
    (hostile.parent / "site.py").write_text("raise SystemExit('site from the working directory')\n")
    result = run(RELEASE_HELPER, env, "get", PRIVATE, cwd=hostile.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Secret"] == fake_ecr.password
