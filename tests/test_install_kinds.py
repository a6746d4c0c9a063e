"""The package as users install it, from the built artifacts (``make dist``), beside each AWS CLI
each kind of install applies to.

Kinds (tests/installs.py makes them, offline, under a session temp directory):

- pipx, Debian's 1.1.0 and PyPI's (locked): ``pipx install`` the wheel, beside every AWS CLI v2;
- a plain venv: the wheel with the ``awscli-v1`` extra and the AWS CLI v1 release of each v1
  in the suite; the wheel alone, beside every v2;
- ``pip install --user`` on a Python that allows it (pyenv's), beside every v2; Debian's Python
  refuses it (PEP 668), and docs/compatibility.md sends those users to pipx;
- ``pipx inject`` into AWS CLI v1 installed by pipx (both pipx), for each v1 release;
- ``pip install`` of the sdist, which pip builds in isolation, beside AWS CLI v1.

Each runs ``awscli-ecr-login-ext install --cli vN``, ``aws ecr2 get-login-password`` against moto,
then ``aws ecr2 get-login-password --cache`` and a ``docker-credential-ecr2 get`` that the cache
answers: no request reaches the fake ECR.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import CLIS, MOTO_PASSWORD, REPO, AwsHome, Cli, require
from tests.installs import (
    DEBIAN_PYTHON,
    PIPX_KINDS,
    Installed,
    InstallError,
    built_wheel,
    package_version,
    path_with,
    pipx_command,
    pipx_env,
    user_install,
)

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
V1_CLIS = [cli for cli in CLIS if cli.major == 1]
V2_CLIS = [cli for cli in CLIS if cli.major == 2]
# The Python the dev venv is made from (pyenv's): not externally managed, so --user works.
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python3"


@pytest.fixture(params=V1_CLIS, ids=str)
def v1_cli(request: pytest.FixtureRequest) -> Cli:
    return available(request.param)


@pytest.fixture(params=V2_CLIS, ids=str)
def v2_cli(request: pytest.FixtureRequest) -> Cli:
    return available(request.param)


def available(cli: Cli) -> Cli:
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found at {cli.executable}")
    return cli


@cache
def awscli_version(cli: Cli) -> str:
    """The AWS CLI v1 release of ``cli``, which the installs beside v1 get from .wheelhouse."""
    shown = subprocess.run([str(cli.python), "-c", "import awscli; print(awscli.__version__)"],
                           capture_output=True, text=True, check=True)
    return shown.stdout.strip()


def installed_or_fail(install) -> Installed:
    try:
        return install()
    except InstallError as error:
        pytest.fail(str(error))


def run_in(home: AwsHome, argv: list, env: dict[str, str], stdin: str | None = None,
           ) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in argv], input=stdin, capture_output=True, text=True,
                          env=env, cwd=home.root, timeout=300, check=False,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def set_up_and_use(installed: Installed, aws: Path, major: int, home_root: Path,
                   moto_endpoint: str) -> None:
    """What a user does after installing: install --cli vN, get a password, let docker ask."""
    from tests.servers.fake_ecr import FakeEcr

    home = AwsHome(home_root, plugin_config="")
    # The AWS CLI first on PATH, as for a user: the one docker-credential-ecr2 would run.
    env = {**home.env, "PATH": path_with(aws.parent, installed.bin_dir)}
    setup = run_in(home, [installed.command("awscli-ecr-login-ext"), "install", "--cli",
                          f"v{major}"], env)
    assert setup.returncode == 0, setup.stderr
    assert "+ ecr2 = awscli_ecr_login_ext" in setup.stdout
    plugins = home.config_file.read_text().split("[plugins]", 1)[1]
    if major == 2:
        redirect = home.root / ".local" / "share" / "awscli-ecr-login-ext" / "plugin"
        assert f"cli_legacy_plugin_path = {redirect}\n" in plugins
        assert (redirect / "awscli_ecr_login_ext" / "__init__.py").is_file()
    assert str(REPO) not in plugins

    password = run_in(home, [aws, "ecr2", "get-login-password", "--endpoint-url",
                             moto_endpoint], env)
    assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), password.stderr

    with FakeEcr() as ecr:
        env["AWS_ENDPOINT_URL"] = ecr.url  # where the helper finds the endpoint of the entry
        cached = run_in(home, [aws, "ecr2", "get-login-password", "--cache", "--endpoint-url",
                               ecr.url], env)
        assert (cached.returncode, cached.stdout) == (0, ecr.password + "\n"), cached.stderr
        assert len(ecr.requests) == 1
        hit = run_in(home, [installed.command("docker-credential-ecr2"), "get"], env,
                     stdin=REGISTRY)
        assert hit.returncode == 0, hit.stdout + hit.stderr
        assert json.loads(hit.stdout) == {"ServerURL": REGISTRY, "Username": "AWS",
                                          "Secret": ecr.password}
        assert len(ecr.requests) == 1  # the cache answered


# -- pipx ----------------------------------------------------------------------------------


def test_pipx_beside_v2(pipx_installed, v2_cli, tmp_path, moto_endpoint):
    set_up_and_use(pipx_installed, v2_cli.executable, 2, tmp_path / "home", moto_endpoint)


def test_pipx_exposes_both_commands_with_one_version(pipx_installed):
    commands = sorted(path.name for path in pipx_installed.bin_dir.iterdir())
    assert commands == ["awscli-ecr-login-ext", "docker-credential-ecr2"]
    setup = subprocess.run([str(pipx_installed.command("awscli-ecr-login-ext")), "--version"],
                           capture_output=True, text=True, check=False)
    helper = subprocess.run([str(pipx_installed.command("docker-credential-ecr2")), "version"],
                            capture_output=True, text=True, check=False)
    assert (setup.returncode, setup.stdout, setup.stderr) == (0, package_version() + "\n", "")
    assert (helper.returncode, helper.stdout, helper.stderr) == (0, package_version() + "\n", "")


def wheel_with_extra_renamed(wheel: Path, old: str, new: str, target: Path) -> Path:
    """A copy of ``wheel`` whose extra ``old`` is called ``new`` (its RECORD kept right)."""
    target.mkdir(parents=True)
    copy = target / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        files = {info.filename: source.read(info) for info in source.infolist()}
        metadata = next(name for name in files if name.endswith(".dist-info/METADATA"))
        files[metadata] = files[metadata].replace(f"Provides-Extra: {old}\n".encode(),
                                                  f"Provides-Extra: {new}\n".encode()).replace(
            f'extra == "{old}"'.encode(), f'extra == "{new}"'.encode())
        digest = base64.urlsafe_b64encode(hashlib.sha256(files[metadata]).digest()).rstrip(b"=")
        record = next(name for name in files if name.endswith(".dist-info/RECORD"))
        files[record] = b"".join(
            (f"{metadata},sha256={digest.decode()},{len(files[metadata])}\n".encode()
             if line.startswith(metadata.encode() + b",") else line)
            for line in files[record].splitlines(keepends=True))
        for name, data in files.items():
            out.writestr(name, data)
    return copy


def test_debian_pipx_crashes_on_an_extra_named_like_a_version(tmp_path):
    """Why the extra is not called v1: Debian's pipx evaluates ``extra == "v1"`` as a version
    comparison with an empty version. The built wheel (its extra renamed back) shows it."""
    wheel = built_wheel()
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        extras = [line.split(": ", 1)[1] for line in archive.read(metadata).decode().splitlines()
                  if line.startswith("Provides-Extra: ")]
    assert "awscli-v1" in extras and "v1" not in extras
    old_style = wheel_with_extra_renamed(wheel, "awscli-v1", "v1", tmp_path / "old")
    env = pipx_env(tmp_path / "pipx")
    crashed = subprocess.run([str(pipx_command("debian")), "install", str(old_style)], env=env,
                             capture_output=True, text=True, check=False, timeout=300)
    assert crashed.returncode != 0
    assert "InvalidVersion: Invalid version: ''" in crashed.stderr


def test_no_extra_name_parses_as_a_version():
    """The crash above hits every extra name that is a valid version ("v1", "2", "1.0")."""
    from packaging.version import InvalidVersion, Version

    with zipfile.ZipFile(built_wheel()) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        extras = [line.split(": ", 1)[1] for line in archive.read(metadata).decode().splitlines()
                  if line.startswith("Provides-Extra: ")]
    assert extras
    for extra in extras:
        with pytest.raises(InvalidVersion):
            Version(extra)


# -- a plain venv --------------------------------------------------------------------------


def test_venv_with_the_awscli_extra_beside_v1(install_cache, v1_cli, tmp_path, moto_endpoint):
    version = awscli_version(v1_cli)
    installed = installed_or_fail(lambda: install_cache.venv(
        BASE_PYTHON, f"awscli=={version}", extras="awscli-v1"))
    aws = installed.command("aws")
    shown = subprocess.run([str(aws), "--version"], capture_output=True, text=True, check=False)
    assert shown.stdout.startswith(f"aws-cli/{version} "), shown.stdout + shown.stderr
    set_up_and_use(installed, aws, 1, tmp_path / "home", moto_endpoint)


def test_venv_beside_v2(install_cache, v2_cli, tmp_path, moto_endpoint):
    installed = installed_or_fail(lambda: install_cache.venv(BASE_PYTHON))
    set_up_and_use(installed, v2_cli.executable, 2, tmp_path / "home", moto_endpoint)


# -- pip install --user --------------------------------------------------------------------


def test_user_install_beside_v2(v2_cli, tmp_path, moto_endpoint):
    require(BASE_PYTHON.exists(), f"{BASE_PYTHON} not found")
    home = tmp_path / "home"
    home.mkdir()
    installed = installed_or_fail(lambda: user_install(home, BASE_PYTHON))
    assert installed.site_packages.is_relative_to(home / ".local")
    set_up_and_use(installed, v2_cli.executable, 2, home, moto_endpoint)


def test_user_install_is_refused_by_debians_python(tmp_path):
    require(DEBIAN_PYTHON.exists(), f"{DEBIAN_PYTHON} not found")
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(InstallError) as refused:
        user_install(home, DEBIAN_PYTHON)
    assert "error: externally-managed-environment" in str(refused.value)
    assert not (home / ".local").exists()


# -- pipx inject ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PIPX_KINDS, ids=lambda kind: f"pipx-{kind}")
def test_pipx_inject_into_v1(install_cache, kind, v1_cli, tmp_path, moto_endpoint):
    version = awscli_version(v1_cli)
    installed = installed_or_fail(lambda: install_cache.pipx_inject(kind, version))
    aws = installed.command("aws")
    shown = subprocess.run([str(aws), "--version"], capture_output=True, text=True, check=False)
    assert shown.stdout.startswith(f"aws-cli/{version} "), shown.stdout + shown.stderr
    set_up_and_use(installed, aws, 1, tmp_path / "home", moto_endpoint)


# -- the sdist -----------------------------------------------------------------------------


def test_sdist_builds_in_isolation_and_installs_the_wheels_files(install_cache, tmp_path,
                                                                 moto_endpoint):
    v1 = available(V1_CLIS[0])
    installed = installed_or_fail(lambda: install_cache.sdist(
        BASE_PYTHON, f"awscli=={awscli_version(v1)}"))
    with zipfile.ZipFile(built_wheel()) as archive:
        wheel_files = sorted(n for n in archive.namelist() if n.startswith("awscli_ecr_login_ext/"))
    package = installed.site_packages / "awscli_ecr_login_ext"
    installed_files = sorted(str(path.relative_to(installed.site_packages))
                             for path in package.rglob("*")
                             if path.is_file() and "__pycache__" not in path.parts)
    assert installed_files == wheel_files
    set_up_and_use(installed, installed.command("aws"), 1, tmp_path / "home", moto_endpoint)



# -- docs/compatibility.md ------------------------------------------------------------------


def install_section() -> str:
    page = (REPO / "docs" / "compatibility.md").read_text()
    return page.split("\n## Install kinds\n", 1)[1].split("\n## ", 1)[0]


def test_the_compatibility_page_cites_tests_of_this_module_that_exist():
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         __file__], capture_output=True, text=True, check=False, cwd=REPO).stdout.splitlines()
    ids = {line.split("::", 1)[1] for line in collected if "::" in line}
    functions = {node_id.split("[", 1)[0] for node_id in ids}
    cited = []
    for line in install_section().splitlines():
        current = None  # "`[id]`" alone, in a table row, is another case of the test before it
        for name, param, alone in re.findall(r"`(test_\w+)(\[[^\]`]+\])?`|`(\[[^\]`]+\])`", line):
            if name or (alone and current and line.startswith("|")):
                current = name or current
                cited.append(current + (param or alone))
    assert len(cited) >= 15
    missing = [c for c in cited if c not in ids and c not in functions]
    assert not missing, f"docs/compatibility.md cites tests that do not exist: {missing}"


def test_the_compatibility_page_sends_debian_users_to_pipx_not_pip_user():
    row = next(line for line in install_section().splitlines()
               if line.startswith("| the Debian/Ubuntu `awscli` package"))
    assert "`pipx install awscli-ecr-login-ext`" in row and "--user" not in row
    assert "refuse `pip install --user` with\n`error: externally-managed-environment`" in (
        install_section())
