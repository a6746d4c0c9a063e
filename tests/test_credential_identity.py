"""The cache identity follows botocore's credential chain (credential_sources): one table test
per source, the order of each CLI major, distinct principals never sharing a key, and the
real CLIs and the credential helper keying the principal that actually signs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
from awscli_ecr_login_ext.cache.token_cache import TokenCache
from awscli_ecr_login_ext.identity.aws_files import profile_from_environment
from awscli_ecr_login_ext.identity.chain import Chain, chain_from_files
from tests.conftest import CLIS, REPO, beside, identity_from_environment, require
from tests.test_credential_sources import run_on_a_tty

AKID_A, AKID_B = "AKIAAAAAAAAAAAAAAAAA", "AKIABBBBBBBBBBBBBBBB"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
ROLE = "arn:aws:iam::111111111111:role/deploy"
SSO = {"corp": {"sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1"}}


def static(akid: str = AKID_A) -> dict[str, str]:
    return {"aws_access_key_id": akid, "aws_secret_access_key": SECRET}


def resolve(profiles: dict, environ: dict | None = None, profile: str = "default", *,
            explicit: bool = False, creds_file: tuple = (), login: bool = True):
    chain = Chain(environ or {}, profiles, SSO, frozenset(creds_file), explicit=explicit,
                  login=lambda: login)
    return chain.resolve(profile)


# -- one row per source: which provider botocore picks, and how we label it ------------------

SOURCES = {
    "env keys": ({"profiles": {}, "environ": {"AWS_ACCESS_KEY_ID": AKID_A}},
                 "env", "env:" + hashlib.sha256(AKID_A.encode()).hexdigest()[:8]),
    "shared credentials file": ({"profiles": {"default": static()}, "creds_file": ("default",)},
                                "shared-credentials-file", "profile:default"),
    "config file keys": ({"profiles": {"default": static()}},
                         "config-file", "profile:default"),
    "assume-role source_profile": (
        {"profiles": {"default": {"role_arn": ROLE, "source_profile": "base"},
                       "base": static()}},
        "assume-role", f"profile:default (assume-role {ROLE})"),
    "assume-role credential_source Environment": (
        {"profiles": {"default": {"role_arn": ROLE, "credential_source": "Environment"}},
             "environ": {"AWS_ACCESS_KEY_ID": AKID_A}, "explicit": True},
        "assume-role", f"profile:default (assume-role {ROLE})"),
    "web identity from env": (
        {"profiles": {}, "environ": {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "/x"}},
        "assume-role-with-web-identity", f"web-identity {ROLE}"),
    "web identity profile": (
        {"profiles": {"default": {"role_arn": ROLE, "web_identity_token_file": "/y"}}},
        "assume-role-with-web-identity", f"web-identity {ROLE}"),
    "sso session": (
        {"profiles": {"default": {"sso_session": "corp", "sso_account_id": "111111111111",
                                   "sso_role_name": "Admin"}}},
        "sso", "profile:default (sso 111111111111/Admin)"),
    "sso legacy": (
        {"profiles": {"default": {"sso_start_url": "https://x/start", "sso_region": "us-east-1",
                                   "sso_account_id": "111111111111", "sso_role_name": "Admin"}}},
        "sso", "profile:default (sso 111111111111/Admin)"),
    "login": ({"profiles": {"default": {"login_session": "arn:aws:iam::1:user/me"}}},
              "login", "profile:default (login)"),
    "credential_process": ({"profiles": {"default": {"credential_process": "/bin/creds"}}},
                           "custom-process", "profile:default (credential_process)"),
    "container relative": (
        {"profiles": {}, "environ": {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"}},
        "container-role", "container"),
    "container full + token": (
        {"profiles": {}, "environ": {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c",
                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok"}},
        "container-role", "container"),
    "instance metadata": ({"profiles": {}}, "iam-role", "instance-metadata"),
}


@pytest.mark.parametrize("name", SOURCES)
def test_each_source_is_recognised(name):
    kwargs, method, label = SOURCES[name]
    found = resolve(**kwargs)
    assert (found.method, found.identity.label) == (method, label)


def test_distinct_principals_never_share_a_key(tmp_path):
    token = tmp_path / "token"
    token.write_text("jwt-1")
    cases = [kwargs for kwargs, _, _ in SOURCES.values()] + [
        {"profiles": {}, "environ": {"AWS_ACCESS_KEY_ID": AKID_B}},
        {"profiles": {"default": static(AKID_B)}, "creds_file": ("default",)},
        {"profiles": {"default": {"role_arn": ROLE, "source_profile": "base"},
                       "base": static(AKID_B)}},
        {"profiles": {"default": {"role_arn": ROLE + "2", "source_profile": "base"},
                       "base": static()}},
        {"profiles": {"default": {"role_arn": ROLE, "source_profile": "base",
                                   "external_id": "e"}, "base": static()}},
        {"profiles": {"default": {"role_arn": ROLE, "credential_source": "Ec2InstanceMetadata"}}},
        {"profiles": {"default": {"role_arn": ROLE, "credential_source": "EcsContainer"}},
             "environ": {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"}},
        {"profiles": {"default": {"sso_session": "corp", "sso_account_id": "222222222222",
                                   "sso_role_name": "Admin"}}},
        {"profiles": {}, "environ": {"AWS_ROLE_ARN": ROLE,
                                     "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)}},
        {"profiles": {}, "environ": {"AWS_ROLE_ARN": ROLE + "2",
                                   "AWS_WEB_IDENTITY_TOKEN_FILE": "/x"}},
        {"profiles": {}, "environ": {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c",
                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN": "other pod"}},
        {"profiles": {}, "environ": {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1/"}},
        {"profiles": {"default": {"credential_process": "/bin/other-creds"}}},
    ]
    keys = [resolve(**case).identity.key for case in cases]
    assert len(set(keys)) == len(keys)


def test_secrets_are_never_in_a_key_or_label(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret-jwt")
    environ = {"AWS_ACCESS_KEY_ID": AKID_A, "AWS_SECRET_ACCESS_KEY": SECRET,
               "AWS_SESSION_TOKEN": "session-secret"}
    found = [
        resolve({}, environ),
        resolve({"default": {**static(), "aws_session_token": "session-secret"}},
                creds_file=("default",)),
        resolve({}, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://x",
                     "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-secret"}),
        resolve({}, {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)}),
    ]
    for resolution in found:
        text = resolution.identity.key + resolution.identity.label
        for secret in (AKID_A, SECRET, "session-secret", "container-secret", "secret-jwt"):
            assert secret not in text


def test_secret_rotation_keeps_the_key_and_token_file_content_changes_it(tmp_path):
    one = resolve({"default": {**static(), "aws_secret_access_key": "s1"}})
    two = resolve({"default": {**static(), "aws_secret_access_key": "s2"}})
    assert one.identity == two.identity
    token = tmp_path / "token"
    environ = {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)}
    token.write_text("pod-a")
    pod_a = resolve({}, environ).identity.key
    token.write_text("pod-b")
    assert resolve({}, environ).identity.key != pod_a


# -- botocore's order ------------------------------------------------------------------------


def test_env_keys_come_first_unless_the_profile_is_explicit():
    profiles = {"dev": {"role_arn": ROLE, "source_profile": "base"}, "base": static()}
    environ = {"AWS_ACCESS_KEY_ID": AKID_B}
    assert resolve(profiles, environ, "dev").method == "env"
    assert resolve(profiles, environ, "dev", explicit=True).method == "assume-role"


def test_assume_role_beats_web_identity_env_and_profile_providers():
    profiles = {"default": {"role_arn": ROLE, "source_profile": "base",
                            "credential_process": "/bin/x", "sso_account_id": "1"},
                "base": static()}
    environ = {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "/x"}
    assert resolve(profiles, environ).method == "assume-role"


def test_profile_providers_order():
    both = {"credential_process": "/bin/x", **static()}
    assert resolve({"default": both}).method == "custom-process"  # before config-file keys
    assert resolve({"default": both}, creds_file=("default",)).method == (
        "shared-credentials-file")
    assert resolve({"default": {"login_session": "s", "credential_process": "/bin/x"}}
                   ).method == "login"
    # v2 2.9's botocore has no login provider: the process signs there.
    assert resolve({"default": {"login_session": "s", "credential_process": "/bin/x"}},
                   login=False).method == "custom-process"


def test_web_identity_env_is_ignored_with_explicit_profile():
    environ = {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "/x"}
    assert resolve({"dev": {}}, environ, "dev").method == "assume-role-with-web-identity"
    assert resolve({"dev": {}}, environ, "dev", explicit=True).method == "iam-role"


def test_container_before_instance_metadata_and_imds_can_be_disabled():
    environ = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/c"}
    assert resolve({}, environ).method == "container-role"
    assert resolve({}, {"AWS_EC2_METADATA_DISABLED": "true"}).identity.label == "no credentials"


@pytest.mark.parametrize(("major", "expected"), [(1, "a"), (2, "b")])
def test_profile_variable_order_per_major(major, expected):
    environ = {"AWS_DEFAULT_PROFILE": "a", "AWS_PROFILE": "b"}
    assert profile_from_environment(environ, lambda: major) == expected
    assert profile_from_environment({"AWS_PROFILE": "b"}, lambda: major) == "b"
    assert profile_from_environment({"AWS_DEFAULT_PROFILE": "a"}, lambda: major) == "a"
    assert profile_from_environment({}, lambda: major) == "default"


def test_major_is_only_asked_when_it_matters():
    def never() -> int:
        raise AssertionError("asked")

    assert profile_from_environment({"AWS_PROFILE": "x", "AWS_DEFAULT_PROFILE": "x"}, never) == "x"


# -- chains botocore accepts and rejects ------------------------------------------------------


def test_two_deep_chain_keys_on_its_whole_source():
    def chain(base_akid: str):
        return resolve({"top": {"role_arn": ROLE, "source_profile": "mid"},
                        "mid": {"role_arn": ROLE + "-mid", "source_profile": "base",
                                "mfa_serial": "arn:aws:iam::1:mfa/me"},
                        "base": static(base_akid)}, profile="top", explicit=True)

    one, two = chain(AKID_A), chain(AKID_B)
    assert one.method == "assume-role" and one.identity.key != two.identity.key


@pytest.mark.parametrize("profiles", [
    {"default": {"role_arn": ROLE, "source_profile": "default"}},  # self loop, no keys
    {"default": {"role_arn": ROLE, "source_profile": "a"},
     "a": {"role_arn": ROLE, "source_profile": "default"}},
    {"default": {"role_arn": ROLE}},
    {"default": {"role_arn": ROLE, "source_profile": "missing"}},
    {"default": {"role_arn": ROLE, "source_profile": "a", "credential_source": "Environment"},
     "a": static()},
    {"default": {"role_arn": ROLE, "credential_source": "Nowhere"}},
    {"default": {"sso_session": "missing", "sso_account_id": "1", "sso_role_name": "R"}},
])
def test_rejected_chains_get_an_invalid_key(profiles):
    found = resolve(profiles)
    assert found.method is None
    assert found.identity.key.startswith("invalid:")


def test_self_reference_with_static_keys_is_valid():
    found = resolve({"default": {"role_arn": ROLE, "source_profile": "default", **static()}})
    assert found.method == "assume-role"


# -- the helper's files versus botocore's session ----------------------------------------------

FILES = [
    ("[default]\nregion = eu-west-1\n", (f"[default]\naws_access_key_id = {AKID_A}\n"
     f"aws_secret_access_key = {SECRET}\n"), {}, None),
    ((f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = arn:m\n"
     f"[profile base]\naws_access_key_id = {AKID_B}\naws_secret_access_key = {SECRET}\n"),
     "", {"AWS_PROFILE": "dev"}, None),
    (("[profile s]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
     "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = eu-west-1\n"),
     "", {"AWS_DEFAULT_PROFILE": "s", "AWS_PROFILE": "p"}, None),
    ("[profile p]\ncredential_process = /bin/creds\n[default]\nregion = x\n",
     "[p]\nregion = y\n", {}, "p"),
    ("[default]\nregion = eu-west-1\n", "", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://h/",
                                            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t"}, None),
]


@pytest.mark.parametrize(("config", "credentials", "extra", "explicit"), FILES)
def test_helper_files_give_the_cli_sessions_identity(tmp_path, monkeypatch, config, credentials,
                                                     extra, explicit):
    """The same Identity from our INI reading (helper) and from botocore's session (CLI v1)."""
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), **extra}
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    import awscli  # noqa: F401 - v1 >= 1.46: the vendored botocore
    import botocore.session

    from awscli_ecr_login_ext.cli.signers import credential_chain

    session = botocore.session.Session()
    if explicit:
        session.set_config_variable("profile", explicit)
    chain, profile = credential_chain(session)
    helper_chain, helper_profile = chain_from_files(environ, explicit, major=lambda: 1,
                                                  login=lambda: True)
    assert helper_profile == profile
    assert helper_chain.resolve(helper_profile).identity == chain.resolve(profile).identity


def test_identity_from_environment_is_the_chains(tmp_path):
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = {AKID_A}\naws_secret_access_key = {SECRET}\n")
    found = identity_from_environment({"HOME": str(tmp_path), "AWS_PROFILE": "dev"})
    assert found.label == "profile:dev"
    assert found.key.startswith("shared-credentials-file:")


# -- the real CLIs and the helper --------------------------------------------------------------

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
TWO_PROFILES = (f"[profile a]\nregion = eu-west-1\naws_access_key_id = {AKID_A}\n"
                f"aws_secret_access_key = {SECRET}\n"
                f"[profile b]\nregion = eu-west-1\naws_access_key_id = {AKID_B}\n"
                f"aws_secret_access_key = {SECRET}\n")


def cached_labels(env: dict[str, str]) -> list[str]:
    return sorted(key.identity.label for key, _ in TokenCache(environ=env).entries())


def helper_get(env: dict[str, str]) -> subprocess.CompletedProcess:
    require(HELPER.exists(), f"{HELPER} not installed")
    return subprocess.run([str(HELPER), "get"], input=PRIVATE, capture_output=True, text=True,
                          env=beside(CLIS[0], env), timeout=120, check=False)


def test_v1_and_v2_key_on_the_profile_that_signs(aws_home, cli, fake_ecr):
    """AWS_DEFAULT_PROFILE=a AWS_PROFILE=b: v1 signs with a, v2 with b; the entry says so."""
    aws_home.write_config(TWO_PROFILES)
    env = {"AWS_DEFAULT_PROFILE": "a", "AWS_PROFILE": "b"}
    result = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--registry", PRIVATE,
                          "--endpoint-url", fake_ecr.url, env=env)
    assert result.returncode == 0, result.stderr
    signer, name = (AKID_A, "a") if cli.major == 1 else (AKID_B, "b")
    assert [r.access_key_id for r in fake_ecr.requests] == [signer]
    assert cached_labels(aws_home.env) == [f"profile:{name}"]


@pytest.mark.parametrize("source", ["env keys", "both profile variables", "static profile",
                                    "credential_process", "explicit profile"])
def test_helper_hits_what_the_v1_cli_cached(aws_home, fake_ecr, tmp_path, source):
    """The CLI (v1, the helper's own AWS CLI) and the helper compute the same key: after
    `aws ecr2 get-login-password --cache` the helper is served from the cache, 0 requests."""
    cli = CLIS[0]
    process = tmp_path / "creds.sh"
    process.write_text("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"" + AKID_B +
                       "\", \"SecretAccessKey\": \"" + SECRET + "\"}'\n")
    process.chmod(0o755)
    aws_home.write_config(TWO_PROFILES + f"[profile p]\nregion = eu-west-1\n"
                          f"credential_process = {process}\n")
    env = {"AWS_ENDPOINT_URL": fake_ecr.url, "AWS_DEFAULT_REGION": "eu-west-1"}
    argv = []
    if source == "env keys":
        env.update(AWS_ACCESS_KEY_ID=AKID_B, AWS_SECRET_ACCESS_KEY=SECRET)
    elif source == "both profile variables":
        env.update(AWS_DEFAULT_PROFILE="a", AWS_PROFILE="b")
    elif source == "static profile":
        env.update(AWS_PROFILE="b")
    elif source == "credential_process":
        env.update(AWS_PROFILE="p")
    else:
        env.update(AWS_PROFILE="a")
        argv = ["--profile", "a"]
    result = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--registry", PRIVATE,
                          *argv, env=env)
    assert result.returncode == 0, result.stderr
    assert len(fake_ecr.requests) == 1
    got = helper_get({**aws_home.env, **env})
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Secret"] == result.stdout.strip()
    assert len(fake_ecr.requests) == 1  # the helper was served from the CLI's entry


def test_environment_only_sources_do_not_share_the_default_profiles_entry(aws_home, fake_ecr):
    """Fails if the identity is read from the environment only (AWS_ACCESS_KEY_ID, else the
    default profile): a container or web-identity job on a host whose default profile holds
    no keys must not be served the token cached for that plain environment."""
    aws_home.credentials_file.write_text("")
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url}
    key = CacheKey("aws", "eu-west-1", "standard", False, identity_from_environment(env),
                   fake_ecr.url)
    now = time.time()
    assert TokenCache(environ=env).put(key, CachedToken(
        base64.b64encode(b"AWS:someone-elses-password").decode(), expires_at=now + 43200,
        fetched_at=now, proxy_endpoint=f"https://{PRIVATE}"))
    for extra in ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"},
                  {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent"}):
        result = helper_get({**env, **extra})
        assert "someone-elses-password" not in result.stdout, extra
        assert result.returncode == 1  # that source cannot sign here: an error, not a token
        assert fake_ecr.requests == []


# -- sources that need a person, in the helper ---------------------------------------------------

MFA_PROFILES = (f"[profile base]\nregion = eu-west-1\naws_access_key_id = {AKID_A}\n"
                f"aws_secret_access_key = {SECRET}\n"
                f"[profile m]\nregion = eu-west-1\nrole_arn = {ROLE}\nsource_profile = base\n"
                "mfa_serial = arn:aws:iam::111111111111:mfa/me\n"
                "[profile s]\nregion = eu-west-1\nsso_session = corp\n"
                "sso_account_id = 111111111111\nsso_role_name = Admin\n"
                "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                "sso_region = eu-west-1\n")


def test_helper_never_prompts_for_an_mfa_code(aws_home, fake_ecr):
    aws_home.write_config(MFA_PROFILES)
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url, "AWS_PROFILE": "m"}
    result = helper_get(env)
    line = ("docker-credential-ecr2: profile 'm' needs an MFA code; run 'aws ecr2 "
            "get-login-password --cache --profile m' once, then try again\n")
    assert (result.returncode, result.stdout, result.stderr) == (1, line, line)
    assert fake_ecr.requests == []


def test_helper_names_sso_login_when_there_is_no_sso_token(aws_home, fake_ecr):
    aws_home.write_config(MFA_PROFILES)
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url, "AWS_PROFILE": "s"}
    result = helper_get(env)
    assert result.returncode == 1
    assert result.stdout == result.stderr
    assert result.stdout.count("\n") == 1
    assert "'aws sso login --profile s'" in result.stdout
    assert fake_ecr.requests == []


def test_cli_prompts_for_mfa_on_a_tty_and_the_helper_then_hits(aws_home, fake_ecr,
                                                              moto_endpoint):
    """`aws ecr2 get-login-password --cache --profile m` asks for the code on the terminal
    (as botocore always does), assumes the role at STS (moto) and caches the token under the
    key the helper computes for AWS_PROFILE=m: the helper is then served, 0 requests."""
    cli = CLIS[0]
    aws_home.write_config(MFA_PROFILES)
    env = {**aws_home.env, "AWS_ENDPOINT_URL_STS": moto_endpoint,
           "AWS_ENDPOINT_URL_ECR": fake_ecr.url}
    code, shown = run_on_a_tty([str(cli.executable), "ecr2", "get-login-password", "--cache",
                                "--profile", "m", "--registry", PRIVATE], env, aws_home.root,
                               {"Enter MFA code": "123456"})
    assert code == 0, shown
    assert "Enter MFA code for arn:aws:iam::111111111111:mfa/me" in shown
    assert len(fake_ecr.requests) == 1
    assert fake_ecr.requests[0].access_key_id not in (AKID_A, None)  # the role's keys signed
    assert cached_labels(env) == [f"profile:m (assume-role {ROLE})"]
    got = helper_get({**env, "AWS_PROFILE": "m"})
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Secret"] in shown
    assert len(fake_ecr.requests) == 1


def test_cli_serves_but_does_not_cache_when_botocore_signs_otherwise(aws_home, fake_ecr,
                                                                    monkeypatch, caplog):
    """The same safety net in the CLI commands' token source, with a real v1 session."""
    import argparse
    import logging
    import threading

    from awscli_ecr_login_ext.core.selection import TokenRequest
    from awscli_ecr_login_ext.identity import chain as credential_sources
    from awscli_ecr_login_ext.identity.principal import Resolution

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in aws_home.env.items():
        monkeypatch.setenv(name, value)
    import awscli  # noqa: F401 - v1 >= 1.46: the vendored botocore
    import botocore.session

    from awscli_ecr_login_ext.cli.service import token_cache
    from awscli_ecr_login_ext.cli.signers import token_source

    right = credential_sources.Chain.resolve

    def mistaken(self, profile):
        return Resolution(right(self, profile).identity, "custom-process")

    parsed_args = argparse.Namespace(cache=True, no_cache=False)
    parsed_globals = argparse.Namespace(region=None, endpoint_url=fake_ecr.url, verify_ssl=True,
                                        profile=None)
    request = TokenRequest.default_for_region("eu-west-1")
    monkeypatch.setattr(credential_sources.Chain, "resolve", mistaken)
    def source_for(session):
        return token_source(session, "default", parsed_globals,
                            token_cache(session, parsed_args), threading.Lock(), [],
                            for_helper=False)

    source = source_for(botocore.session.Session())
    with caplog.at_level(logging.DEBUG, logger="awscli.ecr2"):
        assert source.token_for(request).token
    assert "not storing the token: botocore signed with shared-credentials-file" in caplog.text
    assert TokenCache(environ=aws_home.env).entries() == []
    monkeypatch.setattr(credential_sources.Chain, "resolve", right)
    source = source_for(botocore.session.Session())
    source.token_for(request)
    assert cached_labels(aws_home.env) == ["profile:default"]
    assert len(fake_ecr.requests) == 2


# Sources the real CLIs resolve with nothing but moto's STS and the fake ECR: each CLI signs as
# the expected principal, files the token under that source, and the helper (v1, beside it)
# computes the same key: it is served from the CLI's entry without a request.
STS_SOURCES = {
    "env keys": ({"AWS_ACCESS_KEY_ID": AKID_B, "AWS_SECRET_ACCESS_KEY": SECRET}, "",
                 AKID_B, "env:"),
    "static profile": ({"AWS_PROFILE": "b"}, "", AKID_B, "profile:b"),
    "credential_process": ({"AWS_PROFILE": "p"}, "", AKID_B, "profile:p (credential_process)"),
    "assume-role two deep": ({"AWS_PROFILE": "top"}, "sts", None,
                             "profile:top (assume-role arn:aws:iam::111111111111:role/top)"),
    # The environment's keys come first in the chain: they sign, not the role.
    "env keys beside credential_source Environment": (
        {"AWS_PROFILE": "envrole", "AWS_ACCESS_KEY_ID": AKID_B,
         "AWS_SECRET_ACCESS_KEY": SECRET}, "", AKID_B, "env:"),
    "credential_source Environment, explicit": (
        {"AWS_ACCESS_KEY_ID": AKID_B, "AWS_SECRET_ACCESS_KEY": SECRET}, "sts --profile envrole",
        None, "profile:envrole (assume-role arn:aws:iam::111111111111:role/envrole)"),
    "web identity from env": ({"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "TOKEN"},
                              "sts", None, f"web-identity {ROLE}"),
    "web identity profile": ({"AWS_PROFILE": "wi"}, "sts", None, f"web-identity {ROLE}"),
}


def sts_profiles(tmp_path: Path) -> str:
    process = tmp_path / "creds.sh"
    process.write_text("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"" + AKID_B +
                       "\", \"SecretAccessKey\": \"" + SECRET + "\"}'\n")
    process.chmod(0o755)
    (tmp_path / "token").write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")  # moto does not verify it
    return (TWO_PROFILES
            + f"[profile p]\nregion = eu-west-1\ncredential_process = {process}\n"
            "[profile mid]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111111111111:role/mid\n"
            "source_profile = a\n"
            "[profile top]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111111111111:role/top\n"
            "source_profile = mid\n"
            "[profile envrole]\nregion = eu-west-1\n"
            "role_arn = arn:aws:iam::111111111111:role/envrole\n"
            "credential_source = Environment\n"
            f"[profile wi]\nregion = eu-west-1\nrole_arn = {ROLE}\n"
            f"web_identity_token_file = {tmp_path / 'token'}\n")


# v2 2.9's botocore has no AWS_ENDPOINT_URL_STS: its STS calls would not stay local.
STS_CASES = [(cli, source) for cli in CLIS for source, (_, needs, _, _) in STS_SOURCES.items()
             if not (needs.startswith("sts") and cli.label == "v2.9")]


@pytest.mark.parametrize(("cli", "source"), STS_CASES, ids=[f"{c}-{s}" for c, s in STS_CASES])
def test_cli_signs_as_its_source_and_the_helper_shares_the_entry(aws_home, cli, fake_ecr,
                                                                moto_endpoint, tmp_path, source):
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found at {cli.executable}")
    extra, needs, signer, label = STS_SOURCES[source]
    aws_home.write_config(sts_profiles(tmp_path))
    env = {name: value.replace("TOKEN", str(tmp_path / "token")) for name, value in extra.items()}
    env.update(AWS_ENDPOINT_URL_STS=moto_endpoint, AWS_DEFAULT_REGION="eu-west-1")
    argv = ["--profile", "envrole"] if needs.endswith("--profile envrole") else []
    result = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--registry", PRIVATE,
                          "--endpoint-url", fake_ecr.url, *argv, env=env)
    assert result.returncode == 0, result.stderr
    signed = [r.access_key_id for r in fake_ecr.requests]
    if signer is not None:
        assert signed == [signer]
    else:  # a role's temporary keys from STS, not any of the static ones
        assert len(signed) == 1 and signed[0] not in (AKID_A, AKID_B, None)
    [cached] = cached_labels(aws_home.env)
    assert cached.startswith(label) if label == "env:" else cached == label
    if argv:
        return  # the helper has no --profile, and with these keys set it signs with them
    got = helper_get({**aws_home.env, **env, "AWS_ENDPOINT_URL_ECR": fake_ecr.url})
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Secret"] == result.stdout.strip()
    assert len(fake_ecr.requests) == 1  # served from the CLI's entry
