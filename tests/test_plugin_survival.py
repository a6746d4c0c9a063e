"""Issue 23: whatever happens to the package, every `aws` keeps working.

The package is installed from the built wheel the ways users install it (tests/installs.py,
offline), `awscli-ecr-login-ext install` is run, then the package goes the ways people remove
it (pip uninstall, pipx uninstall, the venv deleted) or moves (pip install -U, pipx upgrade,
pipx reinstall with another Python). Beside each of the five CLIs: `aws --version` and
`aws sts get-caller-identity` (moto) print what they print with no plugin configured, stderr
holds at most the one warning line, and `aws ecr2 get-login-password` fails with that line;
after an upgrade `aws ecr2` works with no new install and the helper's cache still answers.

The v1 rows use AWS CLI v1 venvs of the suite's two v1 releases made here (the suite's own v1s
have this checkout importable, so the package never goes for them). An AWS CLI v1 that never
had the package cannot import anything of ours: every command fails. That is the residue the
README states, and test_a_v1_without_the_package_is_the_documented_residue pins it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import CLIS, MOTO_PASSWORD, REPO, AwsHome, Cli, require
from tests.installs import (
    PACKAGE,
    Installed,
    InstallError,
    built_wheel,
    offline_env,
    path_with,
    pipx_command,
    pipx_env,
    pipx_install,
    run,
    venv_install,
)

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python3"
OTHER_PYTHON = Path("/root/.pyenv/versions/3.12.1/bin/python3.12")
V1S = [cli for cli in CLIS if cli.major == 1]
V2S = [cli for cli in CLIS if cli.major == 2]
GONE = ("awscli-ecr-login-ext: aws ecr2 is unavailable (its package is gone: uninstalled, or "
        "moved); 'aws ecr2 uninstall' removes it from {config}, or reinstall the package")


def available(cli: Cli) -> Cli:
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found at {cli.executable}")
    return cli


def awscli_release(cli: Cli) -> str:
    shown = subprocess.run([str(cli.python), "-c", "import awscli; print(awscli.__version__)"],
                           capture_output=True, text=True, check=True)
    return shown.stdout.strip()


def made(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return root


def installed_or_fail(install) -> Installed:
    try:
        return install()
    except InstallError as error:
        pytest.fail(str(error))


def bare_v1(root: Path, cli: Cli) -> Cli:
    """A venv with the AWS CLI v1 release of ``cli`` and nothing of ours."""
    env = offline_env(made(root / "home"))
    installed_or_fail(lambda: run([BASE_PYTHON, "-m", "venv", root / "venv"], env) and run(
        [root / "venv" / "bin" / "pip", "install", "-q", f"awscli=={awscli_release(cli)}"], env))
    return replace(cli, executable=root / "venv" / "bin" / "aws", python=root / "venv" / "bin" /
                   "python")


def v1_with_the_package(root: Path, cli: Cli) -> tuple[Cli, Installed]:
    installed = installed_or_fail(lambda: venv_install(made(root), BASE_PYTHON,
                                                       f"awscli=={awscli_release(cli)}"))
    return replace(cli, executable=installed.command("aws"), python=installed.python), installed


def sh(home: AwsHome, argv: list, env: dict | None = None, stdin: str | None = None,
       ) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in argv], input=stdin, capture_output=True, text=True,
                          env={**home.env, **(env or {})}, cwd=home.root, timeout=300,
                          check=False, stdin=None if stdin is not None else subprocess.DEVNULL)


def new_home(root: Path) -> AwsHome:
    """A HOME whose PATH holds no command of ours: the redirect finds only what was recorded."""
    home = AwsHome(root, plugin_config="")
    home.env["PATH"] = "/usr/bin:/bin"
    return home


def set_up(home: AwsHome, installed: Installed, cli: str, path: str = "/usr/bin:/bin") -> str:
    done = sh(home, [installed.command("awscli-ecr-login-ext"), "install", "--cli", cli],
              env={"PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, moto_endpoint) -> dict[str, tuple[str, str]]:
    """Each CLI's stdout of --version and sts get-caller-identity with no [plugins]."""
    home = new_home(tmp_path_factory.mktemp("baseline") / "home")
    shown = {}
    for cli in CLIS:
        if cli.executable.exists():
            shown[cli.label] = (
                sh(home, [cli.executable, "--version"]).stdout,
                sh(home, [cli.executable, "sts", "get-caller-identity", "--endpoint-url",
                          moto_endpoint]).stdout)
    return shown


def assert_survives(home: AwsHome, cli: Cli, baseline, moto_endpoint: str) -> None:
    """The Done-when of item 1 for one CLI: the package is gone."""
    line = GONE.format(config=home.config_file)
    stderr = []
    for args in (["--version"], ["sts", "get-caller-identity", "--endpoint-url", moto_endpoint]):
        done = sh(home, [cli.executable, *args])
        assert done.returncode == 0, (cli.label, args, done.stderr)
        stderr += done.stderr.splitlines()
        assert done.stdout == baseline[cli.label][0 if args == ["--version"] else 1], cli.label
    assert stderr in ([], [line]), (cli.label, stderr)
    ecr2 = sh(home, [cli.executable, "ecr2", "get-login-password", "--endpoint-url",
                     moto_endpoint])
    assert (ecr2.returncode != 0, ecr2.stdout, ecr2.stderr) == (True, "", line + "\n"), cli.label


def assert_works(home: AwsHome, cli: Cli, moto_endpoint: str) -> None:
    done = sh(home, [cli.executable, "ecr2", "get-login-password", "--endpoint-url",
                     moto_endpoint])
    assert (done.returncode, done.stdout, done.stderr) == (0, MOTO_PASSWORD + "\n", ""), cli.label


def assert_the_entries_go(home: AwsHome, cli: Cli) -> None:
    """The one command of the warning line takes every entry of ours out, without us."""
    before = home.config_file.read_text()
    assert "[plugins]" in before
    removed = sh(home, [cli.executable, "ecr2", "uninstall"])
    assert removed.returncode == 0, removed.stderr
    assert home.config_file.read_text() == before.split("\n\n[plugins]")[0] + "\n"
    assert not (home.root / ".local" / "share" / "awscli-ecr-login-ext").exists()
    assert sh(home, [cli.executable, "--version"]).stderr == ""


# -- item 1: the package goes ------------------------------------------------------------------


def test_pip_uninstall_from_the_venvs_of_both_v1s(tmp_path, baseline, moto_endpoint):
    """`install --cli both` from a venv of each v1 release, then `pip uninstall` in both: the
    v1 stand-in beside each survives, and the v2s' redirect finds nothing."""
    home = new_home(tmp_path / "home")
    v1s = []
    for cli in map(available, V1S):
        v1, installed = v1_with_the_package(tmp_path / cli.label, cli)
        set_up(home, installed, "both")
        assert (installed.site_packages / "awscli_ecr_login_ext.py").is_file()
        assert_works(home, v1, moto_endpoint)
        run([installed.python, "-m", "pip", "uninstall", "-y", "-q", PACKAGE],
            offline_env(home.root))
        assert not (installed.site_packages / "awscli_ecr_login_ext").exists()
        v1s.append(v1)
    for cli in [*v1s, *map(available, V2S)]:
        assert_survives(home, cli, baseline, moto_endpoint)
    status = sh(home, [sys.executable, "-m", "awscli_ecr_login_ext", "status"],
                env={"PATH": path_with(v1s[0].executable.parent)})
    assert "finds no package" in status.stdout and "v1 stand-in" in status.stdout
    assert_the_entries_go(home, v1s[0])
    for v1 in v1s:
        assert not list(v1.python.parent.parent.glob("lib/python3*/site-packages/"
                                                     "awscli_ecr_login_ext.py"))


@pytest.mark.parametrize("removal", ["pipx-uninstall", "venv-deleted"])
def test_the_package_of_the_v2s_goes(removal, tmp_path, baseline, moto_endpoint):
    home = new_home(tmp_path / "home")
    if removal == "pipx-uninstall":
        installed = installed_or_fail(lambda: pipx_install("debian", tmp_path / "pipx"))
    else:
        installed = installed_or_fail(lambda: venv_install(made(tmp_path / "venv"), BASE_PYTHON))
    set_up(home, installed, "v2")
    for cli in map(available, V2S):
        assert_works(home, cli, moto_endpoint)
    if removal == "pipx-uninstall":
        run([pipx_command("debian"), "uninstall", PACKAGE], pipx_env(tmp_path / "pipx"))
    else:
        shutil.rmtree(tmp_path / "venv" / "venv")
    for cli in map(available, V2S):
        assert_survives(home, cli, baseline, moto_endpoint)
    assert_the_entries_go(home, available(V2S[-1]))


def test_a_v1_without_the_package_is_the_documented_residue(tmp_path, moto_endpoint):
    """AWS CLI v1 imports every [plugins] value from its own Python: a v1 that never had the
    package fails every command once the entries are there. install warns, status says so and
    names the repair, and uninstall gives it back."""
    for cli in map(available, V1S):
        v1 = bare_v1(tmp_path / cli.label, cli)
        home = new_home(tmp_path / cli.label / "home")
        installed = Installed(REPO / ".venv" / "bin", REPO, REPO / ".venv" / "bin" / "python")
        warned = set_up(home, installed, "v2", path=path_with(v1.executable.parent))
        assert f"AWS CLI {awscli_release(cli)} at {v1.executable} cannot import the package" in (
            warned)
        broken = sh(home, [v1.executable, "--version"])
        assert broken.returncode == 1
        assert "ModuleNotFoundError: No module named 'awscli_ecr_login_ext'" in broken.stderr
        status = sh(home, [installed.command("awscli-ecr-login-ext"), "status"],
                    env={"PATH": path_with(v1.executable.parent)})
        assert status.returncode == 1 and "every command fails" in status.stdout
        assert sh(home, [installed.command("awscli-ecr-login-ext"), "uninstall"]).returncode == 0
        assert sh(home, [v1.executable, "--version"]).returncode == 0


# -- item 2: upgrades keep the plugin loading --------------------------------------------------


def wheel_with_version(wheel: Path, version: str, target: Path) -> Path:
    """A copy of the built wheel that says it is ``version`` (a release after it)."""
    target.mkdir(parents=True, exist_ok=True)
    old = wheel.name.split("-")[1]
    files, infos = {}, {}
    with zipfile.ZipFile(wheel) as source:
        for info in source.infolist():
            data = source.read(info)
            name = info.filename.replace(f"-{old}.dist-info/", f"-{version}.dist-info/")
            info.filename = name  # keeps the mode bits (the helper's launcher is executable)
            infos[name] = info
            if name.endswith((".dist-info/METADATA", "awscli_ecr_login_ext/__init__.py")):
                data = data.replace(f"Version: {old}\n".encode(), f"Version: {version}\n".encode())
                data = data.replace(f'__version__ = "{old}"'.encode(),
                                    f'__version__ = "{version}"'.encode())
            files[name] = data
    record = next(name for name in files if name.endswith(".dist-info/RECORD"))
    lines = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},,\n" if name == record else f"{name},sha256={digest},{len(data)}\n")
    files[record] = "".join(lines).encode()
    copy = target / wheel.name.replace(f"-{old}-", f"-{version}-")
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(infos[name], data)
    return copy


def fill_the_cache(home: AwsHome, installed: Installed, aws: Path, ecr) -> dict[str, str]:
    env = {"PATH": path_with(aws.parent, installed.bin_dir), "AWS_ENDPOINT_URL": ecr.url}
    miss = sh(home, [installed.command("docker-credential-ecr2"), "get"], env=env, stdin=REGISTRY)
    assert miss.returncode == 0, miss.stdout + miss.stderr
    assert len(ecr.requests) == 1
    return env


def assert_a_warm_get(home: AwsHome, helper: Path, env: dict[str, str], ecr) -> None:
    hit = sh(home, [helper, "get"], env=env, stdin=REGISTRY)
    assert hit.returncode == 0, hit.stdout + hit.stderr
    assert json.loads(hit.stdout)["Secret"] == ecr.password
    assert len(ecr.requests) == 1  # the cache answered: 0 requests


def version_of(installed: Installed) -> str:
    return sh(new_home(installed.bin_dir.parent / "probe"),
              [installed.command("awscli-ecr-login-ext"), "--version"]).stdout.strip()


@pytest.mark.parametrize("upgrade", ["pip-install-U", "pipx-upgrade", "pipx-reinstall-python"])
def test_an_upgrade_keeps_the_plugin_loading_with_no_new_install(upgrade, tmp_path,
                                                                 moto_endpoint):
    from tests.servers.fake_ecr import FakeEcr

    home = new_home(tmp_path / "home")
    newer = wheel_with_version(built_wheel(), "99.0.0", tmp_path / "wheels")
    clis = list(map(available, V2S))
    if upgrade == "pip-install-U":  # a venv with v1 and the package; set up for both majors
        v1, installed = v1_with_the_package(tmp_path / "venv", available(V1S[0]))
        set_up(home, installed, "both")
        clis.append(v1)
        command = [installed.python, "-m", "pip", "install", "-q", "-U", newer]
        env = offline_env(home.root)
    else:
        kind = "debian" if upgrade == "pipx-upgrade" else "pypi"
        shutil.copy(built_wheel(), tmp_path / "wheels")
        env = {**pipx_env(tmp_path / "pipx"),
               "PIP_FIND_LINKS": f"{tmp_path / 'wheels'} {env_find_links()}"}
        newer.rename(tmp_path / "newer.whl")  # offered only for the upgrade itself
        run([pipx_command(kind), "install", PACKAGE], env)
        python = tmp_path / "pipx" / "pipx" / "venvs" / PACKAGE / "bin" / "python"
        installed = Installed(tmp_path / "pipx" / "bin", Path(), python)
        set_up(home, installed, "v2")
        (tmp_path / "newer.whl").rename(newer)
        if upgrade == "pipx-upgrade":
            command = [pipx_command(kind), "upgrade", PACKAGE]
        else:
            require(OTHER_PYTHON.exists(), f"{OTHER_PYTHON} not found")
            command = [pipx_command(kind), "reinstall", "--python", OTHER_PYTHON, PACKAGE]
    for cli in clis:
        assert_works(home, cli, moto_endpoint)
    with FakeEcr() as ecr:
        aws = next(cli for cli in clis if cli.configured_endpoints).executable
        helper_env = fill_the_cache(home, installed, aws, ecr)
        sites = list(tmp_path.glob(f"**/site-packages/{PACKAGE.replace('-', '_')}"))
        run(command, env)
        assert version_of(installed) == "99.0.0"
        if upgrade == "pipx-reinstall-python":  # the files moved to lib/python3.12
            moved = list(tmp_path.glob(f"**/site-packages/{PACKAGE.replace('-', '_')}"))
            assert moved != sites and all("python3.12" in str(path) for path in moved)
        for cli in clis:
            assert_works(home, cli, moto_endpoint)
        assert_a_warm_get(home, installed.command("docker-credential-ecr2"), helper_env, ecr)


def env_find_links() -> str:
    return str(REPO / ".wheelhouse")


# -- C: a home set up by 0.1.0 ----------------------------------------------------------------


def test_a_home_of_0_1_0_keeps_loading_and_install_moves_it(aws_home, moto_endpoint):
    """0.1.0 named the package's own directory in cli_legacy_plugin_path; it keeps loading;
    status names the old layout and its repair; install moves it to the redirect."""
    old = ("[default]\nregion = eu-west-1\n\n[plugins]\necr2 = awscli_ecr_login_ext\n"
           "ecr2_v1_guard = awscli_ecr_login_ext.v1_path_guard\n"
           f"cli_legacy_plugin_path = {REPO}\n")
    aws_home.config_file.write_text(old)
    v2 = available(V2S[0])
    assert_works(aws_home, v2, moto_endpoint)
    setup = [sys.executable, "-m", "awscli_ecr_login_ext"]
    status = sh(aws_home, [*setup, "status"], env={"PATH": str(v2.executable.parent)})
    assert f"! cli_legacy_plugin_path names {REPO}: the old layout" in status.stdout
    assert "run: awscli-ecr-login-ext install" in status.stdout and status.returncode == 1
    moved = sh(aws_home, [*setup, "install", "--cli", "v2"], env={"PATH": "/usr/bin:/bin"})
    assert moved.returncode == 0, moved.stderr
    redirect = aws_home.root / ".local" / "share" / "awscli-ecr-login-ext" / "plugin"
    assert f"cli_legacy_plugin_path = {redirect}\n" in aws_home.config_file.read_text()
    assert str(REPO) + "\n" not in aws_home.config_file.read_text()
    assert_works(aws_home, v2, moto_endpoint)


# -- item 3: the official installer's update ---------------------------------------------------

INSTALLER = Path("/tmp/v2src/exe/assets/install")


@pytest.mark.parametrize("package", ["present", "gone"])
def test_the_official_installers_update_runs_with_our_entries(package, tmp_path,
                                                              plugin_config_text):
    """The installer runs the new `aws --version` with the user's config (aws-cli #4650); with
    our entries it updates, whether the package is there or gone."""
    frozen = available(next(cli for cli in CLIS if cli.label == "v2.36-exe"))
    require(INSTALLER.exists(), f"{INSTALLER} not found (the unpacked v2 source)")
    kit = tmp_path / "aws"
    kit.mkdir()
    shutil.copy(INSTALLER, kit / "install")
    linked = subprocess.run(["cp", "-al", str(frozen.executable.parent.parent / "lib" /
                                              "aws-cli"), str(kit / "dist")], check=False)
    if linked.returncode != 0:
        shutil.copytree(frozen.executable.parent.parent / "lib" / "aws-cli", kit / "dist",
                        symlinks=True)
    home = new_home(tmp_path / "home")
    if package == "present":
        set_up(home, Installed(REPO / ".venv" / "bin", REPO, REPO / ".venv" / "bin" / "python"),
               "both")
    else:  # the installer's redirect finds nothing: the record names a venv that is gone
        set_up(home, Installed(REPO / ".venv" / "bin", REPO, REPO / ".venv" / "bin" / "python"),
               "both")
        record = home.root / ".local" / "share" / "awscli-ecr-login-ext" / "installs"
        record.write_text(str(tmp_path / "gone" / "lib" / "python3.11" / "site-packages") + "\n")
    root, bin_dir = tmp_path / "aws-cli", tmp_path / "bin"
    (root / "v2" / "2.0.0" / "bin").mkdir(parents=True)  # an older release, installed before
    (root / "v2" / "current").symlink_to(root / "v2" / "2.0.0")
    updated = sh(home, ["/bin/sh", kit / "install", "-i", root, "-b", bin_dir, "--update"])
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert f"You can now run: {bin_dir / 'aws'} --version" in updated.stdout
    shown = sh(home, [bin_dir / "aws", "--version"])
    assert shown.returncode == 0 and shown.stdout.startswith("aws-cli/2.36.7 "), shown.stderr
    assert (root / "v2" / "current").resolve() == root / "v2" / "2.36.7"
