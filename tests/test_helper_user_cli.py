"""docker-credential-ecr2 beside the user's own AWS CLI, whatever its install: a miss runs that
``aws`` (the first on PATH, or AWS_ECR2_CLI), which signs with its own credential chain, and a
hit follows that CLI's rules, which it reported on an earlier miss.

The helper here is the one most users have: installed by pipx, in a venv where neither awscli
nor botocore can be imported.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLIS, beside, require
from tests.credential_world import REGISTRY, Endpoints, World, described, token_of_cli
from tests.credential_world import token_of_helper as secret_of
from tests.servers.fake_ecr import FakeEcr

V2_CLIS = [cli for cli in CLIS if cli.major == 2]


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory, moto_endpoint):
    with Endpoints(tmp_path_factory.mktemp("endpoints"), moto_endpoint) as servers:
        yield servers


@pytest.fixture
def world(aws_home, endpoints):
    endpoints.reset()
    return World(aws_home, endpoints)


def both_profile_variables(world: World):
    return next(source for source in world.sources if source.name == "both-profile-vars")


def helper(pipx_helper: Path, env: dict[str, str], action: str = "get",
           stdin: str = REGISTRY) -> subprocess.CompletedProcess:
    return subprocess.run([str(pipx_helper), action], input=stdin, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def assert_one_line(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 1, described(result)
    assert result.stdout == result.stderr, described(result)
    assert result.stderr.startswith("docker-credential-ecr2: ")
    assert result.stderr.count("\n") == 1, described(result)


def test_the_pipx_install_cannot_import_botocore(pipx_helper):
    python = (pipx_helper.parent / "awscli-ecr-login-ext").read_text().splitlines()[0][2:]
    found = subprocess.run([python, "-c", "import botocore"], capture_output=True, text=True,
                           check=False)
    assert found.returncode == 1 and "No module named 'botocore'" in found.stderr


@pytest.mark.parametrize("cli", CLIS, ids=str)
def test_a_miss_signs_with_the_cli_on_path(world, cli, pipx_helper):
    """Issue 14, finding 3: a pipx-installed helper failed every miss with
    "No module named 'botocore'" beside the frozen v2 and Debian's v2."""
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    source = next(source for source in world.sources if source.name == "static-profile")
    result = world.run_helper(source, cli, helper=pipx_helper)
    assert secret_of(result) == FakeEcr.password_for("user-c"), described(result)
    assert world.principals_since(0) == ["user-c"]
    again = world.run_helper(source, cli, helper=pipx_helper)
    assert secret_of(again) == FakeEcr.password_for("user-c"), described(again)
    assert world.ecr_requests() == 1


@pytest.mark.parametrize("cli", V2_CLIS, ids=str)
def test_beside_v2_a_cached_token_of_the_v1_principal_is_not_served(world, cli, pipx_helper):
    """Issue 14, finding 4: with AWS_DEFAULT_PROFILE and AWS_PROFILE both set, v1 signs as the
    first and v2 as the second; a helper beside a v2 served the token v1 had cached."""
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    source = both_profile_variables(world)
    v1 = CLIS[0]
    filled = world.run_cli(v1, source)
    assert token_of_cli(filled) == FakeEcr.password_for("user-b"), described(filled)
    # The same endpoint settings for both, so the v1 entry is there to be (wrongly) served.
    env = {**beside(cli, world.env_for(source, v1)), **source.env}
    result = helper(pipx_helper, env)
    assert secret_of(result) == FakeEcr.password_for("user-a"), described(result)
    assert world.principals_since(0) == ["user-b", "user-a"]


def logging_aws(tmp_path: Path, real: Path) -> tuple[Path, Path]:
    """An ``aws`` that records each run, then runs ``real``."""
    log = tmp_path / "aws-runs.log"
    wrapper = tmp_path / "bin" / "aws"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, log


@pytest.mark.parametrize("cli", [CLIS[0], V2_CLIS[-1]], ids=str)
def test_a_hit_uses_the_facts_the_cli_reported_and_an_upgrade_renews_them(world, cli,
                                                                           pipx_helper, tmp_path):
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    source = both_profile_variables(world)
    wrapper, log = logging_aws(tmp_path, cli.executable)
    env = {**world.env_for(source, cli), **source.env, "AWS_ECR2_CLI": str(wrapper)}
    principal = source.principal_for_helper(cli)
    first = helper(pipx_helper, env)
    assert secret_of(first) == FakeEcr.password_for(principal), described(first)
    runs = log.read_text().splitlines()
    # The first time, the cache key needs the CLI's major before the miss: `aws --version`
    # makes the plugin report it.
    assert len(runs) == 2 and runs[0] == "--version", runs
    assert runs[1].startswith("ecr2 get-login --registry"), runs
    second = helper(pipx_helper, env)  # both variables set: the CLI's major matters
    assert secret_of(second) == FakeEcr.password_for(principal), described(second)
    assert log.read_text().splitlines() == runs  # served from the cache, no aws run
    os.utime(wrapper, ns=(1, 1))  # the CLI at that path changed: its facts are asked again
    third = helper(pipx_helper, env)
    assert secret_of(third) == FakeEcr.password_for(principal), described(third)
    assert log.read_text().splitlines() == [*runs, "--version"]
    assert world.ecr_requests() == 1


def test_no_aws_cli_is_one_line_and_caches_nothing(world, pipx_helper, tmp_path):
    source = next(source for source in world.sources if source.name == "static-profile")
    env = {**world.env_for(source), "AWS_PROFILE": "static-c", "PATH": str(tmp_path)}
    result = helper(pipx_helper, env)
    assert_one_line(result)
    assert "no AWS CLI found" in result.stderr and "AWS_ECR2_CLI" in result.stderr
    assert world.ecr_requests() == 0 and world.cache_files() == []
    named = helper(pipx_helper, {**env, "AWS_ECR2_CLI": str(tmp_path / "aws")})
    assert_one_line(named)
    assert f"AWS_ECR2_CLI names '{tmp_path / 'aws'}'" in named.stderr


def test_an_aws_without_the_plugin_says_what_to_run(world, pipx_helper):
    source = next(source for source in world.sources if source.name == "static-profile")
    world.home.config_file.write_text("[default]\nregion = eu-west-1\n")  # no [plugins]
    env = beside(CLIS[0], {**world.env_for(source), "AWS_PROFILE": "static-c"})
    result = helper(pipx_helper, env)
    assert_one_line(result)
    assert "does not load the ecr2 plugin" in result.stderr
    assert "awscli-ecr-login-ext install" in result.stderr
    assert world.ecr_requests() == 0 and world.cache_files() == []


def test_the_miss_passes_no_secret_in_argv_or_environment(world, pipx_helper, tmp_path):
    """The aws child gets the registry and flags, never a password (it prints one on a pipe)."""
    source = next(source for source in world.sources if source.name == "static-profile")
    spy = tmp_path / "bin" / "aws"
    spy.parent.mkdir()
    seen = tmp_path / "seen"
    spy.write_text(f'#!/bin/sh\n{{ echo "$*"; env; }} >> {seen}\n'
                   f'exec {CLIS[0].executable} "$@"\n')
    spy.chmod(0o755)
    env = {**world.env_for(source), "AWS_PROFILE": "static-c", "AWS_ECR2_CLI": str(spy)}
    result = helper(pipx_helper, env)
    password = secret_of(result)
    assert password == FakeEcr.password_for("user-c"), described(result)
    assert "get-login --registry" in seen.read_text()
    assert password not in seen.read_text()


# -- one profile per registry (ecr2_registry_profiles) -------------------------------------------

TOOLS = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
PROD = "222222222222.dkr.ecr.eu-west-1.amazonaws.com"


def map_registries(world: World, lines: str, section: str = "[default]") -> None:
    """The world's config with ``ecr2_registry_profiles`` (lines "HOST = PROFILE") in
    ``section`` (the active profile's)."""
    text = re.sub(r"ecr2_registry_profiles =\n(    .*\n)*", "", world.home.config_file.read_text())
    if f"{section}\n" not in text:
        text = f"{section}\n\n{text}"
    head, _, rest = text.partition(f"{section}\n")
    mapping = "ecr2_registry_profiles =\n" + "".join(
        f"    {line}\n" for line in lines.strip().splitlines()) if lines.strip() else ""
    world.home.config_file.write_text(f"{head}{section}\n{mapping}{rest}")


@pytest.mark.parametrize("cli", CLIS, ids=str)
def test_each_registry_is_signed_by_its_mapped_profile_with_no_profile_set(world, cli,
                                                                          pipx_helper, tmp_path):
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    map_registries(world, f"{TOOLS} = static-a\n{PROD} = sso-session")
    wrapper, log = logging_aws(tmp_path, cli.executable)
    env = {k: v for k, v in world.env_for(world.sources[0], cli).items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}  # no keys, no profile
    env["AWS_ECR2_CLI"] = str(wrapper)
    for host, principal in ((TOOLS, "user-a"), (PROD, "sso-session-role"),
                            (TOOLS, "user-a"), (PROD, "sso-session-role")):
        result = helper(pipx_helper, env, stdin=host)
        assert secret_of(result) == FakeEcr.password_for(principal), described(result)
    assert world.principals_since(0) == ["user-a", "sso-session-role"]
    # the helper keys each mapped registry as the aws child does: the last two were its hits
    assert [run.split()[3] for run in log.read_text().splitlines()] == [TOOLS, PROD]
    listed = helper(pipx_helper, env, "list", "")
    assert listed.returncode == 0, described(listed)
    assert {TOOLS, PROD} <= set(json.loads(listed.stdout)), listed.stdout


def test_a_bad_mapping_is_one_line_naming_it_and_fetches_nothing(world, pipx_helper):
    env = beside(CLIS[0], world.env_for(world.sources[0]))
    for lines, words in ((f"{TOOLS} = no-such-profile", "no-such-profile"),
                         ("not a mapping line", "not a mapping line"),
                         ("ghcr.io = static-a", "ghcr.io")):
        map_registries(world, lines)
        result = helper(pipx_helper, {k: v for k, v in env.items()
                                      if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
                        stdin=TOOLS)
        assert_one_line(result)
        assert "ecr2_registry_profiles" in result.stderr and words in result.stderr
    assert world.ecr_requests() == 0 and world.cache_files() == []


@pytest.mark.parametrize("cli", CLIS, ids=str)
def test_switching_with_a_mapping_column_never_serves_another_principal(world, cli,
                                                                         pipx_helper):
    """Mapped, unmapped, mapping edited, mapped profile deleted: each run gets the token of the
    principal that should sign at that moment, and a hit only ever serves that one."""
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    env = {k: v for k, v in beside(cli, world.env_for(world.sources[0], cli)).items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env["AWS_PROFILE"] = "static-c"
    credentials = world.home.credentials_file.read_text()
    steps = [  # (mapping lines, registry, expected principal or None for a one-line error)
        (f"{TOOLS} = static-a", TOOLS, "user-a"),            # mapped
        (f"{TOOLS} = static-a", PROD, "user-c"),             # unmapped: the active profile
        (f"{TOOLS} = static-a", TOOLS, "user-a"),            # hit
        (f"{TOOLS} = static-b", TOOLS, "user-b"),            # mapping edited
        (f"{TOOLS} = static-a", TOOLS, "user-a"),            # edited back: a hit of user-a
        ("", TOOLS, "user-c"),                               # mapping removed
        (f"{TOOLS} = static-b\n{PROD} = static-a", PROD, "user-a"),
        (f"{TOOLS} = static-b", TOOLS, None),                # mapped profile deleted
    ]
    rows, bad = [], 0
    for index, (lines, host, principal) in enumerate(steps):
        map_registries(world, lines, "[profile static-c]")  # the active profile's section
        if principal is None:
            world.home.credentials_file.write_text(
                credentials.replace("[static-b]", "[static-b-gone]"))
        start = world.ecr_requests()
        result = helper(pipx_helper, env, stdin=host)
        got = secret_of(result)
        want = FakeEcr.password_for(principal) if principal else None
        ok = got == want and (principal is not None or result.returncode == 1)
        bad += not ok
        rows.append(f"{index} {lines.replace(chr(10), '; '):60} {host[:12]} want {principal} "
                    f"got {got} ({world.ecr_requests() - start} req) {'ok' if ok else 'BAD'}")
    assert bad == 0, "\n".join(rows)
