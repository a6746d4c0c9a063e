"""One verdict per ``ecr2_cache_min_ttl`` value, whoever reads it: ``aws ecr2 get-login-password
--cache``, ``aws ecr2 cache list`` and ``docker-credential-ecr2 get`` (issue 20). And one reading
of the nested settings, ``ecr2_registry_aliases`` and ``ecr2_registry_profiles``, for the CLI
and the helper.

``inf``, ``1e400`` (a float overflowing to inf), ``nan`` and ``-inf`` are refused by all three
in one line naming the setting and the profile (the CLI's configuration error); a negative
number is accepted by all three (raised to the 15-minute floor, as any value below it)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests import test_registry_profiles_cli as profiles
from tests.conftest import (
    ACCESS_KEY_ID,
    REPO,
    SECRET_ACCESS_KEY,
    config_error_line,
    config_exit_code,
    require,
)
from tests.servers.fake_ecr import FakeEcr
from tests.test_registry_profiles_cli import PRINCIPALS, PROD, REGION, TOOLS

# The AwsHome with profiles tools and prod, whose keys the fake ECR tells apart.
home = pytest.fixture(profiles.home.__wrapped__, name="home")

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
PROFILE = "[profile build]\nregion = eu-west-1\necr2_cache = true\n"
REFUSED = ["inf", "1e400", "nan", "-inf"]


def message(value: str) -> str:
    return (f"ecr2_cache_min_ttl in profile 'build' must be a number of seconds, "
            f"not {value!r}")


def last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def write_config(aws_home, min_ttl: str) -> None:
    aws_home.write_config(PROFILE + f"ecr2_cache_min_ttl = {min_ttl}\n")
    aws_home.credentials_file.write_text(
        f"[build]\naws_access_key_id = {ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n")


def helper_get(aws_home, fake_ecr, registry: str = PRIVATE, profile: str | None = "build"
               ) -> subprocess.CompletedProcess:
    require(HELPER.exists(), f"{HELPER} not installed (make venv)")
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url,
           "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    if profile is not None:
        env["AWS_PROFILE"] = profile
    return subprocess.run([str(HELPER), "get"], input=registry, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.mark.parametrize("value", REFUSED)
def test_a_min_ttl_that_is_not_a_finite_number_is_refused_by_the_cli(aws_home, cli, fake_ecr,
                                                                     value):
    write_config(aws_home, value)
    for args in (("get-login-password", "--cache", "--endpoint-url", fake_ecr.url),
                 ("cache", "list")):
        result = aws_home.run(cli, "--profile", "build", "ecr2", *args)
        assert result.returncode == config_exit_code(cli), (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert last_line(result.stderr) == config_error_line(cli, message(value)), args
        assert result.stdout == ""
    assert fake_ecr.requests == []


@pytest.mark.parametrize("value", REFUSED)
def test_a_min_ttl_that_is_not_a_finite_number_is_refused_by_the_helper(aws_home, fake_ecr,
                                                                        value):
    write_config(aws_home, value)
    result = helper_get(aws_home, fake_ecr)
    assert result.returncode == 1
    assert result.stderr == f"docker-credential-ecr2: {message(value)}\n"
    assert fake_ecr.requests == []


def test_a_negative_min_ttl_is_the_floor_for_the_cli_and_the_helper(aws_home, cli, fake_ecr):
    write_config(aws_home, "-60")
    for _ in range(2):
        result = aws_home.run(cli, "--profile", "build", "ecr2", "get-login-password", "--cache",
                              "--endpoint-url", fake_ecr.url)
        assert result.returncode == 0, result.stderr
        assert result.stdout == fake_ecr.password + "\n"
    assert len(fake_ecr.requests) == 1  # stored, then served: the floor, not "never cache"
    listed = aws_home.run(cli, "--profile", "build", "ecr2", "cache", "list")
    assert listed.returncode == 0, listed.stderr
    assert [entry["Servable"] for entry in json.loads(listed.stdout)["Entries"]] == [True]
    if cli.label == "v1":
        helped = helper_get(aws_home, fake_ecr)
        assert helped.returncode == 0, helped.stderr
        assert json.loads(helped.stdout)["Secret"] == fake_ecr.password


# -- nested settings: botocore hands the CLI a dict, the helper reads the file's text ----------

def nested_config(aliases: list[str], profiles: list[str]) -> str:
    def nested(name: str, lines: list[str]) -> str:
        return f"{name} =\n" + "".join(f"    {line}\n" for line in lines) if lines else ""

    return (f"[default]\nregion = {REGION}\n" + nested("ecr2_registry_aliases", aliases)
            + nested("ecr2_registry_profiles", profiles))


# A key written twice: botocore keeps the last line of it (its dict), so the helper must too.
REPEATED_KEYS = {
    "a registry mapped twice": ([], [f"{TOOLS} = tools", f"{TOOLS} = prod"], TOOLS),
    "an alias defined twice": ([f"mirror.example.com = {TOOLS}", f"mirror.example.com = {PROD}"],
                               [f"{TOOLS} = tools", f"{PROD} = prod"], "mirror.example.com"),
}


@pytest.mark.parametrize("case", REPEATED_KEYS)
def test_a_key_written_twice_reads_the_same_to_the_cli_and_the_helper(home, cli, case):
    aliases, profiles, registry = REPEATED_KEYS[case]
    home.write_config(nested_config(aliases, profiles))
    with FakeEcr(principals=PRINCIPALS) as ecr:
        result = home.run(cli, "ecr2", "get-login-password", "--registry", registry,
                          "--endpoint-url", ecr.url)
        assert result.returncode == 0, result.stderr
        assert result.stdout == FakeEcr.password_for("prod-user") + "\n"
        if cli.label == "v1":
            helped = helper_get(home, ecr, registry, profile=None)
            assert helped.returncode == 0, helped.stderr
            assert json.loads(helped.stdout)["Secret"] == FakeEcr.password_for("prod-user")
        assert [request.principal for request in ecr.requests] == (
            ["prod-user", "prod-user"] if cli.label == "v1" else ["prod-user"])
