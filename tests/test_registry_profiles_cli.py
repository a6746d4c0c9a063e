"""ecr2_registry_profiles on every CLI: each registry signed by its own profile's principal.

The fake ECR issues ``token-for-<principal>``, the principal found from the access key that
signed the call, so every test tells whose token each registry got and whose keys signed each
GetAuthorizationToken call.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from awscli_ecr_login_ext import HELPER_VARIABLE
from tests import test_credential_sources
from tests.conftest import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    config_error_line,
    config_exit_code,
    start_registry,
)
from tests.credential_world import Source, described
from tests.servers.docker_registry import client_env
from tests.servers.fake_ecr import FakeEcr
from tests.test_get_login import EXPIRES_AT, EXPIRES_ISO, formatted_by_the_cli, output_formats
from tests.test_login import need

REGION = "eu-west-1"
# Three accounts in one Region: only the profile tells their calls apart.
TOOLS = f"111111111111.dkr.ecr.{REGION}.amazonaws.com"
PROD = f"222222222222.dkr.ecr.{REGION}.amazonaws.com"
OTHER = f"333333333333.dkr.ecr.{REGION}.amazonaws.com"
# profile -> principal of its static keys; "default" is the AwsHome's own keys.
USERS = {"tools": "tools-user", "prod": "prod-user"}
KEYS = {name: "AKIA" + hashlib.sha256(name.encode()).hexdigest()[:16].upper()
        for name in USERS.values()}
PRINCIPALS = {ACCESS_KEY_ID: "default-user", **{key: name for name, key in KEYS.items()}}


def password(principal: str) -> str:
    return FakeEcr.password_for(principal)


@pytest.fixture
def ecr():
    with FakeEcr(principals=PRINCIPALS) as server:
        server.set_expires_at(EXPIRES_AT)
        yield server


def mapping_config(*lines: str, extra: str = "") -> str:
    nested = "".join(f"    {line}\n" for line in lines)
    return f"[default]\nregion = {REGION}\n{extra}ecr2_registry_profiles =\n{nested}"


DEFAULT_MAPPING = (f"{TOOLS} = tools", f"{PROD} = prod")


@pytest.fixture
def home(aws_home):
    """The AwsHome with profiles tools and prod (static keys) and the default mapping."""
    aws_home.credentials_file.write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n" + "".join(
            f"\n[{profile}]\naws_access_key_id = {KEYS[user]}\n"
            f"aws_secret_access_key = secret-of-{user}\n" for profile, user in USERS.items()))
    aws_home.write_config(mapping_config(*DEFAULT_MAPPING))
    return aws_home


def signers(ecr: FakeEcr) -> list[str | None]:
    return sorted(r.principal for r in ecr.requests)


def entry(registry: str, principal: str, profile: str) -> dict:
    return {"Registry": registry, "ProxyEndpoint": f"https://{registry}",
            "RegistryId": registry.split(".")[0], "Region": REGION, "Username": "AWS",
            "Password": password(principal), "ExpiresAt": EXPIRES_ISO, "Public": False,
            "Profile": profile}


EXPECTED_LOGINS = {"Logins": [entry(TOOLS, "tools-user", "tools"),
                              entry(PROD, "prod-user", "prod"),
                              entry(OTHER, "default-user", "default")]}


# -- get-login, get-login-password ------------------------------------------------------------


def test_get_login_signs_each_registry_with_its_profile_one_call_per_profile(home, cli, ecr):
    result = home.run(cli, "ecr2", "get-login", "--endpoint-url", ecr.url,
                      "--registry", TOOLS, PROD, OTHER)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == EXPECTED_LOGINS
    # one Region, three principals: three calls, each signed by its own profile's keys
    assert signers(ecr) == ["default-user", "prod-user", "tools-user"]
    assert {r.signing_region for r in ecr.requests} == {REGION}


def test_registries_of_one_profile_share_a_call(home, cli, ecr):
    home.write_config(mapping_config(f"{TOOLS} = tools", f"{PROD} = tools"))
    result = home.run(cli, "ecr2", "get-login", "--endpoint-url", ecr.url,
                      "--registry", TOOLS, PROD, "--query", "Logins[].[Profile,Password]",
                      "--output", "text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["tools", password("tools-user")] * 2
    assert signers(ecr) == ["tools-user"]


def test_every_output_format_shows_the_profile(home, cli, ecr):
    for output in output_formats(cli):
        result = home.run(cli, "ecr2", "get-login", "--endpoint-url", ecr.url,
                          "--registry", TOOLS, PROD, OTHER, "--output", output,
                          "--color", "off")
        assert result.returncode == 0, result.stderr
        assert result.stdout == formatted_by_the_cli(cli, output, EXPECTED_LOGINS), output
        assert "prod" in result.stdout and "tools" in result.stdout


@pytest.mark.parametrize(("registry", "principal"), [
    (PROD, "prod-user"), (f"https://{TOOLS}/team/app:1", "tools-user"), (OTHER, "default-user")])
def test_get_login_password_uses_the_mapped_profile(home, cli, ecr, registry, principal):
    result = home.run(cli, "ecr2", "get-login-password", "--endpoint-url", ecr.url,
                      "--registry", registry)
    assert result.returncode == 0, result.stderr
    assert result.stdout == password(principal) + "\n"
    assert signers(ecr) == [principal]


def test_aliases_resolve_first_and_public_can_be_mapped(home, cli, ecr):
    home.write_config(mapping_config(f"{TOOLS} = tools", "public.ecr.aws = prod",
                                     extra=f"ecr2_registry_aliases =\n    mirror:5000 = {TOOLS}\n"))
    result = home.run(cli, "ecr2", "get-login", "--endpoint-url", ecr.url, "--registry",
                      "mirror:5000", "--public", "--query", "Logins[].[Registry,Profile,Password]",
                      "--output", "text")
    assert result.returncode == 0, result.stderr
    assert [line.split("\t") for line in result.stdout.splitlines()] == [
        ["mirror:5000", "tools", password("tools-user")],
        ["public.ecr.aws", "prod", password("prod-user")]]
    assert sorted((r.target, r.principal) for r in ecr.requests) == [
        ("ecr", "tools-user"), ("ecr-public", "prod-user")]


def test_the_active_profile_is_where_the_mapping_is_read(home, cli, ecr):
    home.write_config(mapping_config() + "\n[profile ops]\nregion = eu-west-1\n"
                      "ecr2_registry_profiles =\n"
                      f"    {TOOLS} = prod\n")
    result = home.run(cli, "ecr2", "get-login-password", "--endpoint-url", ecr.url,
                      "--registry", TOOLS, "--profile", "ops")
    assert result.returncode == 0, result.stderr
    assert result.stdout == password("prod-user") + "\n"


# -- login: two real registries, two principals --------------------------------------------------


def test_login_logs_in_to_two_registries_with_two_principals(home, cli, ecr, tmp_path):
    need("docker")
    tools_registry = start_registry(tmp_path / "tools", password("tools-user"))
    prod_registry = start_registry(tmp_path / "prod", password("prod-user"))
    with tools_registry, prod_registry:
        home.write_config(mapping_config(
            *DEFAULT_MAPPING, extra=("ecr2_registry_aliases =\n"
                                     f"    {tools_registry.host} = {TOOLS}\n"
                                     f"    {prod_registry.host} = {PROD}\n")))
        env = client_env(tmp_path / "client")
        result = home.run(cli, "ecr2", "login", "--endpoint-url", ecr.url,
                          "--registry", tools_registry.host, "--registry", prod_registry.host,
                          "--tool", "docker", env=env)
        assert result.returncode == 0, result.stderr
        hosts = [tools_registry.host, prod_registry.host]
        assert [line.split(";")[0] for line in result.stdout.splitlines()] == [
            f"Logged in to {host} with docker" for host in hosts]
        assert signers(ecr) == ["prod-user", "tools-user"]
        # docker stored what each registry accepted: each its own principal's password
        auths = json.loads((Path(env["DOCKER_CONFIG"]) / "config.json").read_text())["auths"]
        for registry, principal in ((tools_registry, "tools-user"), (prod_registry, "prod-user")):
            stored = auths[registry.host]["auth"]
            assert base64.b64decode(stored).decode() == f"AWS:{password(principal)}"


# -- a bad mapping: one line naming the line, nothing fetched, nothing cached --------------------


def malformed(line: str, reason: str) -> str:
    return (f"{line!r} in ecr2_registry_profiles is not a valid registry mapping ({reason}); "
            "expected ECRHOST = PROFILE such as 123456789012.dkr.ecr.us-east-1.amazonaws.com "
            "= prod")


BAD_MAPPINGS = [
    (f"{PROD} = nope", (f"'{PROD} = nope' in ecr2_registry_profiles names profile 'nope', "
                        "which does not exist in the AWS config or credentials file")),
    (f"{PROD} =", malformed(f"{PROD} =", "no profile after '='")),
    (f"{PROD} = prod = tools", malformed(f"{PROD} = prod = tools", "more than one '='")),
    ("docker.io = prod", malformed("docker.io = prod", (
        "'docker.io' is not an Amazon ECR registry host; aliases cannot be mapped, map their "
        "ECR host"))),
]


@pytest.mark.parametrize(("line", "message"), BAD_MAPPINGS,
                         ids=["missing-profile", "no-profile", "two-equals", "bad-host"])
@pytest.mark.parametrize("command", ["get-login", "get-login-password", "login"])
def test_a_bad_mapping_is_one_error_line_and_nothing_is_fetched_or_cached(
        home, cli, ecr, line, message, command):
    home.write_config(mapping_config(f"{TOOLS} = tools", line))
    extra = ["--tool", "docker", "--dry-run"] if command == "login" else []
    result = home.run(cli, "ecr2", command, "--endpoint-url", ecr.url, "--cache",
                      "--registry", TOOLS, *extra)
    assert (result.returncode, result.stdout) == (config_exit_code(cli), "")
    assert result.stderr.strip() == config_error_line(cli, message)
    assert ecr.requests == []
    assert not (home.aws_dir / "ecr2" / "cache").exists() or not any(
        (home.aws_dir / "ecr2" / "cache").glob("*.json"))


# -- the token cache -------------------------------------------------------------------------------


def cached_logins(home, cli, ecr: FakeEcr, *registries: str) -> list[list[str]]:
    result = home.run(cli, "ecr2", "get-login", "--cache", "--endpoint-url", ecr.url,
                      "--registry", *registries, "--query", "Logins[].[Profile,Password]",
                      "--output", "text")
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_the_cache_keys_each_entry_on_the_mapped_profile(home, cli, ecr):
    ecr.set_expires_at(None)  # 12 hours from now: worth caching
    expected = [["tools", password("tools-user")], ["prod", password("prod-user")],
                ["default", password("default-user")]]
    assert cached_logins(home, cli, ecr, TOOLS, PROD, OTHER) == expected
    assert signers(ecr) == ["default-user", "prod-user", "tools-user"]

    listed = home.run(cli, "ecr2", "cache", "list", "--query",
                      "Entries[].[Profile,Identity,Region]", "--output", "text")
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split("\t") for line in listed.stdout.splitlines()) == [
        ["default", "profile:default", REGION], ["prod", "profile:prod", REGION],
        ["tools", "profile:tools", REGION]]

    # warm: every registry from its own profile's entry, no call
    assert cached_logins(home, cli, ecr, TOOLS, PROD, OTHER) == expected
    assert len(ecr.requests) == 3

    # mapping edited: each registry now gets the other profile's token, still no call
    home.write_config(mapping_config(f"{TOOLS} = prod", f"{PROD} = tools"))
    assert cached_logins(home, cli, ecr, TOOLS, PROD) == [
        ["prod", password("prod-user")], ["tools", password("tools-user")]]
    # unmapped: TOOLS goes back to the active profile's entry
    home.write_config(mapping_config(f"{PROD} = tools"))
    assert cached_logins(home, cli, ecr, TOOLS) == [["default", password("default-user")]]
    assert len(ecr.requests) == 3

    # the mapped profile deleted: an error, not the old profile's cached token
    home.write_config(mapping_config(f"{PROD} = gone"))
    result = home.run(cli, "ecr2", "get-login-password", "--cache", "--endpoint-url", ecr.url,
                      "--registry", PROD)
    assert (result.returncode, result.stdout) == (config_exit_code(cli), "")
    assert "names profile 'gone', which does not exist" in result.stderr


def test_with_environment_keys_a_mapped_registry_still_uses_its_profile(home, cli, ecr):
    ecr.set_expires_at(None)
    env = {"AWS_ACCESS_KEY_ID": KEYS["prod-user"], "AWS_SECRET_ACCESS_KEY": "x"}
    assert home.run(cli, "ecr2", "get-login-password", "--cache", "--endpoint-url", ecr.url,
                    "--registry", OTHER, env=env).stdout == password("prod-user") + "\n"
    result = home.run(cli, "ecr2", "get-login", "--cache", "--endpoint-url", ecr.url,
                      "--registry", TOOLS, OTHER, "--query", "Logins[].Password",
                      "--output", "text", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [password("tools-user"), password("prod-user")]
    assert [r.principal for r in ecr.requests] == ["prod-user", "tools-user"]
    listed = json.loads(home.run(cli, "ecr2", "cache", "list").stdout)["Entries"]
    pairs = sorted(((e["Profile"], e["Identity"][:4]) for e in listed), key=lambda pair: pair[1])
    assert pairs == [(None, "env:"), ("tools", "prof")]  # environment keys belong to no profile


# -- configure-docker --profile -----------------------------------------------------------------


def test_configure_docker_with_a_profile_writes_the_helper_and_the_mapping(home, cli, tmp_path,
                                                                          ecr):
    home.write_config(f"[default]\nregion = {REGION}  # kept\n; a comment\n"
                      f"ecr2_registry_profiles =\n    {TOOLS} = tools\n"
                      "cli_pager =\n\n[profile prod]\nregion = us-east-1\n")
    before = home.config_file.read_text()
    docker = tmp_path / "docker"
    docker.mkdir()
    args = ("ecr2", "configure-docker", "--config", str(docker), "--registry",
            f"https://{PROD}/app:1", "public.ecr.aws", "--profile", "prod")
    first = home.run(cli, *args)
    assert first.returncode == 0, first.stderr
    config = home.config_file
    assert first.stdout.splitlines()[-3:] == [
        f"Changed {config} [default]:",
        f"  + ecr2_registry_profiles: {PROD} = prod",
        "  + ecr2_registry_profiles: public.ecr.aws = prod"]
    assert config.read_text() == before.replace(
        f"    {TOOLS} = tools\n",
        f"    {TOOLS} = tools\n    {PROD} = prod\n    public.ecr.aws = prod\n")
    helpers = json.loads((docker / "config.json").read_text())["credHelpers"]
    assert helpers == {PROD: "ecr2", "public.ecr.aws": "ecr2"}

    again = home.run(cli, *args)
    assert again.returncode == 0, again.stderr
    assert f"{config} [default]: already configured; nothing to change." in again.stdout
    assert config.read_text() == before.replace(
        f"    {TOOLS} = tools\n",
        f"    {TOOLS} = tools\n    {PROD} = prod\n    public.ecr.aws = prod\n")

    # re-mapping a registry changes its line in place; the helper entry stays
    moved = home.run(cli, "ecr2", "configure-docker", "--config", str(docker),
                     "--registry", TOOLS.upper(), "--profile", "prod")
    assert moved.returncode == 0, moved.stderr
    assert f"  ~ ecr2_registry_profiles: {TOOLS} = prod" in moved.stdout
    assert f"    {TOOLS} = prod\n" in config.read_text()

    # and what was written is what the commands now sign with
    signed = home.run(cli, "ecr2", "get-login-password", "--endpoint-url", ecr.url,
                      "--registry", PROD)
    assert signed.stdout == password("prod-user") + "\n", signed.stderr


def test_configure_docker_maps_in_the_profile_the_environment_selects(home, cli, tmp_path):
    home.write_config(f"[default]\nregion = {REGION}\n\n[profile ci]\nregion = {REGION}\n")
    result = home.run(cli, "ecr2", "configure-docker", "--config", str(tmp_path / "d"),
                      "--registry", TOOLS, "--profile", "tools", env={"AWS_PROFILE": "ci"})
    assert result.returncode == 0, result.stderr
    assert home.config_file.read_text().startswith(
        f"[default]\nregion = {REGION}\n\n[profile ci]\nregion = {REGION}\n"
        f"ecr2_registry_profiles =\n    {TOOLS} = tools\n")


def test_configure_docker_refuses_a_missing_profile_or_a_bad_mapping(home, cli, tmp_path):
    before = home.config_file.read_text()
    missing = home.run(cli, "ecr2", "configure-docker", "--config", str(tmp_path / "d"),
                       "--registry", TOOLS, "--profile", "nope")
    assert missing.returncode != 0 and "nope" in missing.stderr
    home.write_config(mapping_config(f"{PROD} = gone"))
    before = home.config_file.read_text()
    bad = home.run(cli, "ecr2", "configure-docker", "--config", str(tmp_path / "d"),
                   "--registry", TOOLS, "--profile", "tools")
    assert (bad.returncode, bad.stdout) == (config_exit_code(cli), "")
    assert "names profile 'gone', which does not exist" in bad.stderr
    assert home.config_file.read_text() == before
    assert not (tmp_path / "d").exists()


# -- profiles of every kind: SSO, assume-role chains, credential_process (credential_world) --------


SSO_HOST = f"222222222222.dkr.ecr.{REGION}.amazonaws.com"
ROLE_HOST = f"111111111111.dkr.ecr.{REGION}.amazonaws.com"
PROCESS_HOST = f"444444444444.dkr.ecr.{REGION}.amazonaws.com"
# The servers and the HOME of every credential source, as the credential source matrix has them.
endpoints = test_credential_sources.endpoints
world = test_credential_sources.world
NO_PROFILE = Source("no-profile", "")  # no --profile, no variable: [default], which has no keys


def map_in_world(world, *lines: str) -> None:
    config = world.home.config_file
    head = f"[default]\nregion = {REGION}\n"
    text = config.read_text()
    assert text.startswith(head)
    nested = "".join(f"    {line}\n" for line in lines)
    config.write_text(head + f"ecr2_registry_profiles =\n{nested}" + text[len(head):])


def test_sso_assume_role_and_process_profiles_sign_their_own_registries(world, cli):
    map_in_world(world, f"{SSO_HOST} = sso-session", f"{ROLE_HOST} = chain-two",
                 f"{PROCESS_HOST} = process")
    expected = [["sso-session", password("sso-session-role")],
                ["chain-two", password("chain-two")],
                ["process", password("process-user")]]
    for run in ("miss", "hit"):
        result = world.run_cli(cli, NO_PROFILE, "ecr2", "get-login", "--cache", "--registry",
                               SSO_HOST, ROLE_HOST, PROCESS_HOST, "--query",
                               "Logins[].[Profile,Password]", "--output", "text")
        assert result.returncode == 0, described(result)
        assert [line.split("\t") for line in result.stdout.splitlines()] == expected, run
        assert sorted(world.principals_since(0)) == ["chain-two", "process-user",
                                                     "sso-session-role"], run
    assert world.assumed_since(0) == [("AssumeRole", "chain-one"), ("AssumeRole", "chain-two")]
    assert world.stray_calls(cli) == []
    listed = world.run_cli(cli, NO_PROFILE, "ecr2", "cache", "list", "--query",
                           "Entries[].[Profile,Identity]", "--output", "text")
    profiles = sorted(line.split("\t")[0] for line in listed.stdout.splitlines())
    assert profiles == ["chain-two", "process", "sso-session"]
    assert all(line.split("\t")[1].startswith("profile:" + line.split("\t")[0] + " (")
               for line in listed.stdout.splitlines())


@pytest.mark.parametrize(("profile", "message"), [
    ("mfa", ("profile 'mfa' needs an MFA code; run 'aws ecr2 get-login-password --cache "
             "--profile mfa' once, then try again")),
    ("sso-expired", ("profile 'sso-expired' has no valid SSO session; run 'aws sso login "
                     "--profile sso-expired', then try again")),
])
def test_for_the_credential_helper_the_one_liners_name_the_mapped_profile(world, cli, tmp_path,
                                                                           profile, message):
    map_in_world(world, f"{SSO_HOST} = {profile}", f"{PROCESS_HOST} = process")
    result = world.run_cli(cli, NO_PROFILE, "ecr2", "get-login", "--cache", "--output", "json",
                           "--registry", SSO_HOST,
                           extra_env={HELPER_VARIABLE: str(tmp_path / "facts")})
    assert (result.returncode, result.stdout) == (config_exit_code(cli), ""), described(result)
    assert result.stderr.strip() == config_error_line(cli, message)
    assert world.ecr_requests() == 0 and world.cache_files() == []
