"""Every AWS credential source, on every CLI of the suite and through docker-credential-ecr2:
each gets the ECR token of its own principal, a cached token is never served to another
principal, and a source that fails gives the CLI's own error without writing the cache.

The fake ECR issues ``token-for-<principal>``, the principal found from the access key that
signed the call (tests/credential_world.py), so every test asserts *whose* token came back.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import CLIS, REPO, beside, require
from tests.credential_world import (
    DENIED,
    DENIED_ROLE,
    HELPER,
    IMDS_TIMEOUT,
    MFA,
    NO_CONFIGURED_ENDPOINTS,
    NO_CONTAINER_TOKEN_FILE,
    PROCESS_FAILS,
    PROCESS_GARBAGE,
    REGISTRY,
    SSO_EXPIRED,
    Endpoints,
    Source,
    World,
    described,
    sources,
    token_of_cli,
    token_of_helper,
)
from tests.servers.fake_ecr import FakeEcr

SOURCE_NAMES = [source.name for source in sources(Path("/nonexistent"))]


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory, moto_endpoint):
    require(shutil.which("openssl"), "openssl is not installed")
    with Endpoints(tmp_path_factory.mktemp("endpoints"), moto_endpoint) as servers:
        yield servers


@pytest.fixture
def world(aws_home, endpoints):
    require(HELPER.exists(), f"{HELPER} not installed (pip install -e .)")
    endpoints.reset()
    return World(aws_home, endpoints)


def source_named(world: World, name: str):
    return next(source for source in world.sources if source.name == name)


# -- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_cli_gets_its_own_principals_token(world, cli, name):
    source = source_named(world, name)
    principal = source.principal_for_cli(cli)
    for run in ("cached", "plain"):
        start, sts_start = world.ecr_requests(), len(world.endpoints.sts.calls)
        command = ("ecr2", "get-login-password") + (("--cache",) if run == "cached" else ())
        result = world.run_cli(cli, source, *command)
        assert (result.returncode, token_of_cli(result)) == (
            0, FakeEcr.password_for(principal)), f"{run} run as {principal}: {described(result)}"
        assert world.principals_since(start) == [principal], run
        if run == "cached":  # the plain run may reuse the CLI's own assume-role cache
            assert world.assumed_since(sts_start) == list(source.assumes)
    if source.assumes and cli.label in NO_CONFIGURED_ENDPOINTS:  # STS through the proxy
        forwarded = {host for host, _ in world.endpoints.ecr.forwarded}
        assert forwarded == {"sts.eu-west-1.amazonaws.com"}
    assert world.stray_calls(cli) == []


# Sources whose principal or handling differs between CLIs: the helper runs beside each CLI.
BY_CLI = ("both-profile-vars", "sso-legacy", "sso-session")
HELPER_CASES = [(CLIS[0], name) for name in SOURCE_NAMES if name not in BY_CLI] + [
    (cli, name) for name in BY_CLI for cli in CLIS]


@pytest.mark.parametrize(("cli", "name"), HELPER_CASES,
                         ids=[f"{cli}-{name}" for cli, name in HELPER_CASES])
def test_helper_gets_its_own_principals_token(world, cli, name, pipx_helper):
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    source = source_named(world, name)
    principal = source.principal_for_helper(cli)
    # AWS_ECR2_DEBUG=1: the helper says so when the key its child stored under is not the one
    # it predicted (the contract between the helper's key and the CLI's, for every source).
    result = world.run_helper(source, cli, helper=pipx_helper,
                              extra_env={"AWS_ECR2_DEBUG": "1"})
    assert (result.returncode, token_of_helper(result)) == (
        0, FakeEcr.password_for(principal)), f"helper as {principal}: {described(result)}"
    assert "debug:" not in result.stderr, described(result)
    assert world.principals_since(0) == [principal]
    assert world.stray_calls(cli) == []


# -- switching principals in one HOME -----------------------------------------------------------


def every_ordered_pair(count: int) -> list[int]:
    """A walk through 0..count-1 in which every ordered pair (a, b), a != b, occurs as two
    consecutive steps (an Eulerian circuit of the complete digraph, by Hierholzer)."""
    unused = {node: [other for other in range(count) if other != node] for node in range(count)}
    stack, walk = [0], []
    while stack:
        node = stack[-1]
        if unused[node]:
            stack.append(unused[node].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


def ring_twice(count: int) -> list[int]:
    """Every source, then every source again: each source A is followed by the next one B
    (the last by the first) and comes back after all the others, first as misses, then as
    hits."""
    return [*range(count), *range(count)]


def switch(world: World, order: list[int], run, expected) -> None:
    """Run the sources in ``order`` in one HOME; each run must get its own principal's token,
    the first run of a source makes one ECR request and every later run none."""
    rows, bad, seen_sources, seen_principals = [], 0, set(), set()
    for step, index in enumerate(order):
        source = world.sources[index]
        principal = expected(source)
        start = world.ecr_requests()
        token, detail = run(source)
        made = world.ecr_requests() - start
        got = token.removeprefix("token-for-") if token else f"no token ({detail})"
        if source.name in seen_sources:
            allowed = {0}
        elif principal in seen_principals:  # another source of the same principal may share
            allowed = {0, 1}
        else:
            allowed = {1}
        verdict = "ok"
        if got != principal:
            verdict = "CROSS-PRINCIPAL HIT" if made == 0 and token else "WRONG"
        elif made not in allowed:
            verdict = f"expected {sorted(allowed)} requests"
        bad += verdict != "ok"
        rows.append(f"{step:3} {source.name:22} {principal:17} {got[:40]:40} {made:2}  {verdict}")
        seen_sources.add(source.name)
        seen_principals.add(principal)
    cross = sum("CROSS-PRINCIPAL" in row for row in rows)
    table = "\n".join([f"{'#':>3} {'source':22} {'expected':17} {'got':40} req verdict", *rows])
    assert bad == 0, f"{bad} bad runs, {cross} cross-principal hits:\n{table}"


def test_helper_switching_between_every_pair_of_sources(world, cli, pipx_helper):
    def run(source):
        result = world.run_helper(source, cli, helper=pipx_helper)
        return token_of_helper(result), described(result)

    switch(world, every_ordered_pair(len(world.sources)), run,
           lambda source: source.principal_for_helper(cli))


def test_cli_switching_around_a_ring_of_sources(world, cli):
    def run(source):
        result = world.run_cli(cli, source)
        return (token_of_cli(result) if result.returncode == 0 else None), described(result)

    switch(world, ring_twice(len(world.sources)), run,
           lambda source: source.principal_for_cli(cli))


# -- sources that need a person: MFA ------------------------------------------------------------


def run_on_a_tty(argv: list[str], env: dict[str, str], cwd, answers: dict[str, str],
                 timeout: float = 120) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as its controlling tty (stdin, stdout and stderr);
    write ``answers[prompt]`` once ``prompt`` shows up. Returns (exit code, everything shown)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: never returns
        try:
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    shown, pending, deadline = b"", dict(answers), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            for prompt in list(pending):
                if prompt.encode() in shown:
                    os.write(master, pending.pop(prompt).encode() + b"\n")
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


def test_mfa_profile_prompts_on_a_tty_and_the_helper_serves_what_it_cached(world, cli,
                                                                          pipx_helper):
    principal = MFA.principal_for_cli(cli)
    argv = [str(cli.executable), *world.cli_args(cli, MFA, "ecr2", "get-login-password",
                                                  "--cache")]
    code, shown = run_on_a_tty(argv, world.env_for(MFA, cli), world.home.root,
                               {"MFA code": "123456"})
    assert code == 0, shown
    assert "Enter MFA code for arn:aws:iam::111111111111:mfa/user-b" in shown
    assert FakeEcr.password_for(principal) in shown, shown
    assert world.principals_since(0) == [principal]
    mfa_role = "arn:aws:iam::111111111111:role/mfa-role"
    assert ("AssumeRole", mfa_role) in world.endpoints.sts.actions()

    result = world.run_helper(MFA, cli, helper=pipx_helper)  # never prompts: the CLI's entry
    assert token_of_helper(result) == FakeEcr.password_for(principal), described(result)
    assert world.ecr_requests() == 1


def test_helper_without_a_cached_token_tells_how_to_enter_the_mfa_code(world, cli, pipx_helper):
    result = world.run_helper(MFA, cli, helper=pipx_helper)
    assert_one_line_helper_error(result)
    assert result.stderr.startswith("docker-credential-ecr2: profile 'mfa' needs an MFA code; ")
    assert "aws ecr2 get-login-password --cache --profile mfa" in result.stderr
    assert world.ecr_requests() == 0 and world.endpoints.sts.calls == []


# -- failures of a source ---------------------------------------------------------------------


def assert_one_line_helper_error(result) -> None:
    assert result.returncode == 1, described(result)
    assert result.stdout == result.stderr, described(result)  # docker reads stdout
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), described(result)
    assert "Traceback" not in result.stderr


FAILURES = {
    "credential-process-exits-3": PROCESS_FAILS,
    "credential-process-prints-garbage": PROCESS_GARBAGE,
    "sso-token-expired": SSO_EXPIRED,
    "assume-role-denied": DENIED,
    "imds-times-out": IMDS_TIMEOUT,
}


def break_source(world: World, failure: str) -> None:
    if failure == "assume-role-denied":
        world.endpoints.sts.denied.add(DENIED_ROLE)
    if failure == "imds-times-out":
        world.endpoints.imds.set_fault("timeout", delay=4)


@pytest.mark.parametrize("failure", FAILURES)
def test_cli_reports_a_failing_source_like_the_stock_command(world, cli, failure):
    source = FAILURES[failure]
    break_source(world, failure)
    ours = world.run_cli(cli, source)
    stock = world.run_cli(cli, source, "ecr", "get-login-password")
    assert ours.stdout == ""
    assert ours.returncode != 0, described(ours)
    assert (ours.returncode, ours.stderr) == (stock.returncode, stock.stderr)
    assert world.cache_files() == []
    assert world.ecr_requests() == 0
    assert world.stray_calls(cli) == []


@pytest.mark.parametrize("failure", FAILURES)
def test_helper_reports_a_failing_source_in_one_line(world, cli, failure, pipx_helper):
    break_source(world, failure)
    result = world.run_helper(FAILURES[failure], cli, helper=pipx_helper)
    assert_one_line_helper_error(result)
    if failure == "sso-token-expired":
        assert "aws sso login" in result.stderr
    assert world.cache_files() == []
    assert world.ecr_requests() == 0


# -- container credentials from a token file --------------------------------------------------


@pytest.mark.parametrize("cli", [c for c in CLIS if c.label not in NO_CONTAINER_TOKEN_FILE],
                         ids=str)
def test_container_token_file_selects_its_own_principal(world, cli, tmp_path):
    """AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity; not in v2.9's botocore): the
    file's content, not its path, names the principal, so rewriting the file switches."""
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    token_file = tmp_path / "eks-pod-identity-token"
    source = Source("container-token-file", "", {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file)})
    seen = []
    for token, principal in (("container-token-a", "container-a"),
                             ("container-token-b", "container-b"),
                             ("container-token-a", "container-a")):
        token_file.write_text(token)
        result = world.run_cli(cli, source)
        seen.append((principal, token_of_cli(result)))
    assert seen == [(principal, FakeEcr.password_for(principal)) for principal, _ in seen]
    assert world.principals_since(0) == ["container-a", "container-b"]


# -- container credentials from the relative URI, in a network namespace ------------------------

TASK_ROLES = {"/v2/credentials/task-a": "task-role-a", "/v2/credentials/task-b": "task-role-b"}


@contextmanager
def namespace_with_task_endpoint():
    """A network namespace of our own in which 169.254.170.2:80 (the only host the relative URI
    can reach) is a loopback fake, beside a per-principal fake ECR on its 127.0.0.1. Yields
    (namespace, {"ecr": url, ...}, ask) where ask() returns what the servers saw so far."""
    require(shutil.which("ip") and os.geteuid() == 0, "needs root and iproute2 (ip netns)")
    name = f"ecr2-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        for command in (["link", "set", "lo", "up"],
                        ["addr", "add", "169.254.170.2/32", "dev", "lo"]):
            subprocess.run(["ip", "-n", name, *command], check=True, capture_output=True)
        arguments = [f"--path={path}={role}" for path, role in TASK_ROLES.items()]
        arguments += [f"--ecr-principal={role}" for role in TASK_ROLES.values()]
        with subprocess.Popen(
                ["ip", "netns", "exec", name, sys.executable, "-m",
                 "tests.servers.credential_endpoints", "--container", "169.254.170.2:80",
                 *arguments],
                cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as servers:
            try:
                urls = json.loads(servers.stdout.readline())

                def ask() -> dict:
                    servers.stdin.write("?\n")
                    servers.stdin.flush()
                    return json.loads(servers.stdout.readline())

                yield name, urls, ask
            finally:
                servers.stdin.close()
                servers.wait(timeout=30)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True, capture_output=True)


def relative_uri_switches(world: World, run) -> None:
    """Task role A, then B, then A: each its own token, the last one from the cache."""
    with namespace_with_task_endpoint() as (namespace, urls, ask):
        seen = []
        for path in ("/v2/credentials/task-a", "/v2/credentials/task-b",
                     "/v2/credentials/task-a"):
            env = {**world.home.env, "AWS_DEFAULT_REGION": "eu-west-1",
                   "AWS_ENDPOINT_URL_ECR": urls["ecr"],
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": path}
            seen.append((TASK_ROLES[path], run(namespace, env, urls["ecr"])))
        assert seen == [(role, FakeEcr.password_for(role)) for role, _ in seen]
        assert ask()["ecr_principals"] == ["task-role-a", "task-role-b"]


def test_cli_container_relative_uri_switches_principal(world, cli):
    def run(namespace, env, ecr_url):
        args = ["ecr2", "get-login-password", "--cache"]
        if cli.label in NO_CONFIGURED_ENDPOINTS:
            args += ["--endpoint-url", ecr_url]
        result = subprocess.run(["ip", "netns", "exec", namespace, str(cli.executable), *args],
                                env=env, cwd=world.home.root, capture_output=True, text=True,
                                timeout=180, stdin=subprocess.DEVNULL, check=False)
        return token_of_cli(result) if result.returncode == 0 else described(result)

    relative_uri_switches(world, run)


def test_helper_container_relative_uri_switches_principal(world):
    def run(namespace, env, _):
        result = subprocess.run(["ip", "netns", "exec", namespace, str(HELPER), "get"],
                                input=REGISTRY, env=beside(CLIS[0], env), cwd=world.home.root,
                                capture_output=True, text=True, timeout=120, check=False)
        return token_of_helper(result) or described(result)

    relative_uri_switches(world, run)
