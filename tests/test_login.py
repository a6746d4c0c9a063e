"""`aws ecr2 login` and the seed's pipe, against a real registry on 127.0.0.1 and a local ECR.

The registry (``LocalRegistry``) accepts user AWS with exactly the password the
local ECR endpoint (``FakeEcr``, 12-hour tokens) issues, so a client that logs
in with what ``aws ecr2`` handed it can then read the image.  Real docker,
podman and skopeo run as a throwaway user (``client_env``); oras, crane,
nerdctl and finch are fake scripts that record their argv, environment and
stdin, and so is helm where a test must see exactly what each tool received
(the real helm 3 and 4 log in, push and pull in tests/test_helm.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cli.commands.login import describe_expiry
from tests.conftest import (
    CLIS,
    MOTO_PASSWORD,
    error_line,
    require,
    shebang_python,
    start_registry,
    usage_exit_code,
)
from tests.servers.docker_registry import LocalRegistry, client_env
from tests.servers.fake_ecr import FakeEcr

PASSWORD = "ecr-login-test-Pa55word+/="  # what the local ECR issues and the registry accepts
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
REAL_CLIENTS = ["docker", "skopeo", "podman"]
FAKE_ONLY = ["helm", "oras", "crane", "nerdctl", "finch"]
EXPECTED_ARGS = {
    "docker": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "podman": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "buildah": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "skopeo": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "nerdctl": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "finch": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "helm": ["registry", "login", "--username", "AWS", "--password-stdin", "{host}"],
    "oras": ["login", "--username", "AWS", "--password-stdin", "{host}"],
    "crane": ["auth", "login", "{host}", "--username", "AWS", "--password-stdin"],
}
# The newest of each line; v1.45 differs from v1 only in where botocore lives.
NEWEST_CLIS = [cli for cli in CLIS if cli.label != "v1.45"]


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> LocalRegistry:
    local = start_registry(tmp_path_factory.mktemp("registry"), PASSWORD)
    local.push_small_image("hello", "v1")
    yield local
    local.stop()


@pytest.fixture
def ecr():
    with FakeEcr(password=PASSWORD) as server:
        yield server


def clients_env(aws_home, registry: LocalRegistry) -> dict[str, str]:
    """The AWS home's variables plus an isolated container-client user (own HOME)."""
    return {**aws_home.env, **client_env(aws_home.root / "client", registry)}


def need(tool: str) -> str:
    found = shutil.which(tool)
    require(found, f"{tool} is not installed")
    return found


FAKE_TOOL = """\
#!{python}
import json, os, sys
data = sys.stdin.buffer.read()
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ),
                           "stdin": data.decode()}}) + "\\n")
password = data.decode().rstrip("\\n")
fail_for = os.environ.get("FAKE_FAIL_FOR", "")
if fail_for and fail_for in sys.argv:
    sys.stderr.write("Error: unauthorized: password " + password + " was refused\\n")
    sys.exit(3)
print("Login Succeeded")
"""


class FakeTools:
    """Executables on a private PATH directory that record each call."""

    def __init__(self, root: Path, *names: str) -> None:
        self.bin = root / "fake-bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.log = root / "fake-calls.jsonl"
        for name in names:
            path = self.bin / name
            path.write_text(FAKE_TOOL.format(python=shebang_python(), log=str(self.log)))
            path.chmod(0o755)

    def path(self, *extra: str) -> str:
        return os.pathsep.join([str(self.bin), *extra])

    @property
    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def no_secret(result: subprocess.CompletedProcess, *secrets: str) -> None:
    for secret in secrets or (PASSWORD,):
        assert secret not in result.stdout + result.stderr


# -- the seed's pipe, on every CLI --------------------------------------------------------


def pipe(aws_home, cli, ecr: FakeEcr, client_argv: list[str],
         env: dict) -> subprocess.CompletedProcess:
    """`aws ecr2 get-login-password ... | CLIENT login ...` as two real processes and a pipe."""
    aws = subprocess.Popen(
        [str(cli.executable), "ecr2", "get-login-password", "--endpoint-url", ecr.url,
         "--registry", ECR_HOST],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=aws_home.root)
    client = subprocess.run(client_argv, stdin=aws.stdout, capture_output=True, text=True,
                            env=env, timeout=120, check=False)
    aws.stdout.close()
    assert aws.wait(timeout=60) == 0, aws.stderr.read()
    aws.stderr.close()
    return client


@pytest.mark.parametrize("client", REAL_CLIENTS)
def test_get_login_password_pipes_into_the_client_login(aws_home, cli, ecr, registry, client):
    need(client)
    env = clients_env(aws_home, registry)
    result = pipe(aws_home, cli, ecr, [client, "login", "--username", "AWS", "--password-stdin",
                                       registry.host], env)
    assert result.returncode == 0, result.stderr
    assert "Login Succeeded" in result.stdout + result.stderr


@pytest.mark.parametrize("client", REAL_CLIENTS)
def test_a_wrong_password_is_refused_by_the_registry(aws_home, ecr, registry, client):
    need(client)
    cli = CLIS[0]
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
    ecr.password = "not-the-registry-password"
    env = clients_env(aws_home, registry)
    result = pipe(aws_home, cli, ecr, [client, "login", "--username", "AWS", "--password-stdin",
                                       registry.host], env)
    assert result.returncode != 0
    assert "Login Succeeded" not in result.stdout


# -- aws ecr2 login with the real clients ---------------------------------------------------


@pytest.mark.parametrize("cli", NEWEST_CLIS, ids=str)
@pytest.mark.parametrize("client", REAL_CLIENTS)
def test_login_stores_credentials_the_client_then_uses(aws_home, cli, ecr, registry, client):
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
    need(client)
    skopeo = need("skopeo")
    env = clients_env(aws_home, registry)
    result = aws_home.run(cli, "ecr2", "login", "--tool", client, "--endpoint-url", ecr.url,
                          "--registry", f"{registry.host}={ECR_HOST}", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Logged in to {registry.host} with {client}; the token expires in 12 hours\n")
    no_secret(result)
    [request] = ecr.requests
    assert request.signing_region == "eu-west-1"

    inspect = subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", f"docker://{registry.host}/hello:v1"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert inspect.returncode == 0, inspect.stderr
    assert json.loads(inspect.stdout)["Digest"] == registry.pushed_digest


def test_a_refused_login_shows_the_clients_error_and_fails(aws_home, cli, ecr, registry):
    skopeo = need("skopeo")
    ecr.password = "refused-Pa55word"
    env = clients_env(aws_home, registry)
    result = aws_home.run(cli, "ecr2", "login", "--tool", "skopeo", "--endpoint-url", ecr.url,
                          "--registry", f"{registry.host}={ECR_HOST}", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"Login to {registry.host} with skopeo failed" in result.stderr
    assert "invalid username/password" in result.stderr  # skopeo's own words
    no_secret(result, "refused-Pa55word")
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    assert not config.exists() or registry.host not in config.read_text()
    assert skopeo


# -- the other clients, as recording fakes ---------------------------------------------------


@pytest.mark.parametrize("tool", FAKE_ONLY + ["buildah"])
def test_each_tool_gets_its_own_syntax_and_the_password_on_stdin_only(aws_home, cli, ecr,
                                                                      tmp_path, tool):
    fakes = FakeTools(tmp_path, tool)
    host = "127.0.0.1:5999"
    result = aws_home.run(cli, "ecr2", "login", "--tool", tool, "--endpoint-url", ecr.url,
                          "--registry", f"{host}={ECR_HOST}",
                          env={"PATH": fakes.path(os.environ["PATH"])})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Logged in to {host} with {tool}; the token expires in 12 hours\n"
    [call] = fakes.calls
    assert call["argv"] == [str(fakes.bin / tool)] + [
        arg.format(host=host) for arg in EXPECTED_ARGS[tool]]
    assert call["stdin"] == PASSWORD + "\n"
    assert not any(PASSWORD in arg for arg in call["argv"])
    assert not any(PASSWORD in key + value for key, value in call["env"].items())
    no_secret(result)


def test_default_tool_is_the_first_of_docker_podman_nerdctl_finch(aws_home, ecr, tmp_path):
    cli = CLIS[0]
    require(cli.executable.exists(), "AWS CLI v1 not found")
    fakes = FakeTools(tmp_path, "finch", "nerdctl", "helm")
    # Only the fakes and the interpreter's directory: no real docker or podman on PATH.
    result = aws_home.run(cli, "ecr2", "login", "--endpoint-url", ecr.url,
                          env={"PATH": fakes.path()})
    assert result.returncode == 0, result.stderr
    # No selector: the caller's own registry in the configured Region.
    assert result.stdout == (f"Logged in to {ECR_HOST} with nerdctl; "
                             "the token expires in 12 hours\n")
    assert [Path(call["argv"][0]).name for call in fakes.calls] == ["nerdctl"]


def test_several_registries_each_reported_and_one_failure_fails_the_command(aws_home, cli, ecr,
                                                                             tmp_path):
    fakes = FakeTools(tmp_path, "oras")
    good, bad = "127.0.0.1:5001", "127.0.0.1:5002"
    result = aws_home.run(
        cli, "ecr2", "login", "--tool", "oras", "--endpoint-url", ecr.url, "--registry",
        f"{good}={ECR_HOST}", f"{bad}={ECR_HOST}", "public.ecr.aws",
        env={"PATH": fakes.path(os.environ["PATH"]), "FAKE_FAIL_FOR": bad})
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"Logged in to {good} with oras; the token expires in 12 hours",
        "Logged in to public.ecr.aws with oras; the token expires in 12 hours",
    ]
    assert f"Login to {bad} with oras failed (exit status 3):" in result.stderr
    assert "password **** was refused" in result.stderr
    no_secret(result)
    assert [call["argv"][-1] for call in fakes.calls] == [good, bad, "public.ecr.aws"]
    assert len(ecr.requests) == 2  # one ecr call in eu-west-1, one ecr-public call


def test_dry_run_prints_the_commands_and_runs_nothing(aws_home, cli, ecr, tmp_path):
    fakes = FakeTools(tmp_path, "crane", "docker")
    result = aws_home.run(
        cli, "ecr2", "login", "--tool", "crane", "--dry-run", "--endpoint-url", ecr.url,
        "--registry", f"127.0.0.1:5000={ECR_HOST}", "public.ecr.aws",
        env={"PATH": fakes.path(os.environ["PATH"])})
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "crane auth login 127.0.0.1:5000 --username AWS --password-stdin\n"
        "crane auth login public.ecr.aws --username AWS --password-stdin\n")
    assert fakes.calls == []
    no_secret(result)


@pytest.mark.parametrize("tool, message", [
    ("nosuch", ("unknown tool 'nosuch'; choose one of: docker, podman, buildah, skopeo, "
                "nerdctl, finch, helm, oras, crane")),
    ("helm", "helm was not found on PATH; install it or choose another --tool"),
])
def test_unknown_or_missing_tool_is_a_usage_error_before_any_call(aws_home, cli, ecr, tmp_path,
                                                                  tool, message):
    fakes = FakeTools(tmp_path, "docker")
    result = aws_home.run(cli, "ecr2", "login", "--tool", tool, "--endpoint-url", ecr.url,
                          "--registry", ECR_HOST, env={"PATH": fakes.path()})
    assert result.returncode == usage_exit_code(cli)
    assert result.stdout == ""
    assert result.stderr.strip() == error_line(cli, message, usage=True)
    assert ecr.requests == []
    assert fakes.calls == []


def test_no_client_on_path_is_a_usage_error(aws_home, cli, ecr, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = aws_home.run(cli, "ecr2", "login", "--endpoint-url", ecr.url,
                          env={"PATH": str(empty)})
    assert result.returncode == usage_exit_code(cli)
    assert "no container client was found on PATH" in result.stderr
    assert ecr.requests == []


def test_an_expired_token_is_reported_honestly(aws_home, cli, moto_endpoint, tmp_path):
    """moto issues tokens that expired in 2015."""
    fakes = FakeTools(tmp_path, "docker")
    result = aws_home.run(cli, "ecr2", "login", "--tool", "docker", "--endpoint-url",
                          moto_endpoint, "--registry", f"127.0.0.1:5000={ECR_HOST}",
                          env={"PATH": fakes.path(os.environ["PATH"])})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Logged in to 127.0.0.1:5000 with docker; the token has already expired (at 2015-")
    assert fakes.calls[0]["stdin"] == MOTO_PASSWORD + "\n"
    no_secret(result, MOTO_PASSWORD)


def test_service_errors_leave_the_client_alone(aws_home, cli, ecr, tmp_path):
    fakes = FakeTools(tmp_path, "docker")
    ecr.set_fault("access-denied")
    result = aws_home.run(cli, "ecr2", "login", "--tool", "docker", "--endpoint-url", ecr.url,
                          "--registry", ECR_HOST, env={"PATH": fakes.path(os.environ["PATH"])})
    assert result.returncode == (254 if cli.major >= 2 else 255)
    assert "AccessDenied" in result.stderr
    assert fakes.calls == []


@pytest.mark.parametrize("seconds, text", [
    (12 * 3600, "the token expires in 12 hours"),
    (12 * 3600 - 5, "the token expires in 12 hours"),
    (3600 + 5 * 60, "the token expires in 1 hour and 5 minutes"),
    (61 * 60, "the token expires in 1 hour and 1 minute"),
    (90, "the token expires in 2 minutes"),
    (20, "the token expires in less than a minute"),
])
def test_describe_expiry(seconds, text):
    assert describe_expiry(1_000_000 + seconds, now=1_000_000) == text


def test_describe_expiry_in_the_past():
    assert describe_expiry(1420070400, now=1_800_000_000) == (
        "the token has already expired (at 2015-01-01 00:00:00 UTC)")
