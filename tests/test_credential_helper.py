"""docker-credential-ecr2: the credential-helper protocol, run as real processes the way docker
runs it, against the local fake ECR endpoint (AWS_ENDPOINT_URL) in a throwaway HOME."""

from __future__ import annotations

import ast
import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext import __version__
from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
from awscli_ecr_login_ext.cache.token_cache import TokenCache
from awscli_ecr_login_ext.helper.protocol import NOT_FOUND, _credentials_json, handle
from tests.conftest import (
    REPO,
    clean_environment,
    identity_from_environment,
    require,
    start_registry,
    which,
)

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
FIPS = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"
PUBLIC = "public.ecr.aws"
ALIAS = "127.0.0.1:5000"
PROFILES = f"""[default]
region = eu-west-1
ecr2_registry_aliases =
    {ALIAS} = {PRIVATE}
"""
STALE_PASSWORD = "stale-cached-password"


@pytest.fixture
def env(aws_home, fake_ecr) -> dict[str, str]:
    require(HELPER.exists(), f"{HELPER} not installed (pip install -e .)")
    aws_home.write_config(PROFILES)
    # A miss runs the first `aws` on PATH: AWS CLI v1 from the project's venv.
    return {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url,
            "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(env: dict[str, str], action: str, stdin: str | bytes = "", *,
        timeout: float = 120) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run([str(HELPER), action], input=data, capture_output=True, env=env,
                            timeout=timeout, check=False)
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in result.stderr
    return result


def secret_of(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["Secret"]


def assert_one_line_error(result: subprocess.CompletedProcess, *, secret: str = "") -> None:
    assert result.returncode == 1
    assert result.stdout == result.stderr  # docker reads the error from stdout
    assert result.stderr.startswith("docker-credential-ecr2: ")
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    if secret:
        assert secret not in result.stderr


def prefill(env: dict[str, str], *, host_public: bool = False, fetched_ago: float,
            expires_in: float, password: str = STALE_PASSWORD) -> None:
    """Write a cache entry as the helper would key it, issued ``fetched_ago`` s ago."""
    now = time.time()
    key = CacheKey("aws", "us-east-1" if host_public else "eu-west-1", "standard", host_public,
                   identity_from_environment(env), env["AWS_ENDPOINT_URL"])
    cache = TokenCache(environ=env, clock=lambda: now - fetched_ago)
    token = CachedToken(base64.b64encode(f"AWS:{password}".encode()).decode(),
                        expires_at=now + expires_in, fetched_at=now - fetched_ago,
                        proxy_endpoint=f"https://{PRIVATE}")
    assert cache.put(key, token)


# -- get ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stdin", [PRIVATE, PRIVATE + "\n", f"https://{PRIVATE}",
                                   f"  https://{PRIVATE}/v2/  \n"])
def test_get_private_registry(env, fake_ecr, stdin):
    result = run(env, "get", stdin)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ServerURL": stdin.strip(), "Username": "AWS", "Secret": fake_ecr.password}
    assert result.stderr == ""
    [request] = fake_ecr.requests
    assert (request.target, request.signing_region, request.authorized) == (
        "ecr", "eu-west-1", True)


def test_get_public_registry_signs_for_us_east_1(env, fake_ecr):
    assert secret_of(run(env, "get", PUBLIC + "\n")) == fake_ecr.password
    [request] = fake_ecr.requests
    assert (request.target, request.signing_service, request.signing_region) == (
        "ecr-public", "ecr-public", "us-east-1")


def test_get_fips_registry_is_its_own_cache_entry(env, fake_ecr):
    assert secret_of(run(env, "get", FIPS)) == fake_ecr.password
    assert secret_of(run(env, "get", "123456789012.dkr.ecr.us-east-1.amazonaws.com")) == \
        fake_ecr.password
    assert [r.signing_region for r in fake_ecr.requests] == ["us-east-1", "us-east-1"]
    variants = sorted(key.variant for key, _ in TokenCache(environ=env).entries())
    assert variants == ["fips", "standard"]


def test_get_alias_answers_with_the_ecr_hosts_token(env, fake_ecr):
    result = run(env, "get", ALIAS + "\n")
    assert json.loads(result.stdout) == {
        "ServerURL": ALIAS, "Username": "AWS", "Secret": fake_ecr.password}
    [request] = fake_ecr.requests
    assert request.signing_region == "eu-west-1"
    # the alias and its target share one cache entry
    assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    assert len(fake_ecr.requests) == 1


@pytest.mark.parametrize("stdin", ["https://index.docker.io/v1/", "ghcr.io", "127.0.0.1:5001",
                                   "localhost:5000\n"])
def test_get_non_ecr_host_is_not_found(env, fake_ecr, stdin):
    result = run(env, "get", stdin)
    assert (result.returncode, result.stdout, result.stderr) == (1, NOT_FOUND + "\n", "")
    assert fake_ecr.requests == []


@pytest.mark.parametrize("stdin", [b"", b"\n  \n", b"!!garbage!!", b"a b c", b"\xff\xfe\x00",
                                   b"x" * (1 << 20), b"host=" + PRIVATE.encode(),
                                   ("\u00e9" * 10).encode()])
def test_get_bad_stdin_is_one_clear_line(env, fake_ecr, stdin):
    assert_one_line_error(run(env, "get", stdin))
    assert fake_ecr.requests == []


def test_service_error_is_one_line_without_secret(env, fake_ecr):
    fake_ecr.set_fault("access-denied")
    result = run(env, "get", PRIVATE)
    assert_one_line_error(result, secret=fake_ecr.password)
    assert "AccessDeniedException" in result.stderr


def test_malformed_token_is_one_line(env, fake_ecr):
    fake_ecr.set_fault("token-no-colon")
    assert_one_line_error(run(env, "get", PRIVATE), secret=fake_ecr.password)


# -- the cache -----------------------------------------------------------------------------


def test_fifty_concurrent_gets_make_one_call(env, fake_ecr):
    procs = [subprocess.Popen([str(HELPER), "get"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env) for _ in range(50)]
    outputs = [p.communicate(PRIVATE.encode(), timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 50, outputs[0][1]
    assert {json.loads(out)["Secret"] for out, _ in outputs} == {fake_ecr.password}
    assert len(fake_ecr.requests) == 1


def test_warm_cache_makes_no_request(env, fake_ecr):
    run(env, "get", PRIVATE)
    fake_ecr.reset()
    for host in (PRIVATE, f"https://{PRIVATE}", ALIAS):
        assert secret_of(run(env, "get", host)) == fake_ecr.password
    assert fake_ecr.requests == []


def test_an_expired_cached_token_is_never_served(env, fake_ecr):
    prefill(env, fetched_ago=13 * 3600, expires_in=-3600)
    assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    assert len(fake_ecr.requests) == 1


def test_a_token_past_half_life_is_refreshed(env, fake_ecr):
    prefill(env, fetched_ago=8 * 3600, expires_in=4 * 3600)
    assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    assert len(fake_ecr.requests) == 1


def test_no_cache_environment_variable(env, fake_ecr):
    env["AWS_ECR2_NO_CACHE"] = "1"
    for _ in range(2):
        assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    assert len(fake_ecr.requests) == 2
    assert not (Path(env["HOME"]) / ".aws" / "ecr2").exists()


def test_degraded_service_serves_an_unexpired_token_with_a_warning(env, fake_ecr):
    env["AWS_MAX_ATTEMPTS"] = "1"
    prefill(env, fetched_ago=8 * 3600, expires_in=4 * 3600)
    fake_ecr.set_fault("http503")
    result = run(env, "get", PRIVATE)
    assert secret_of(result) == STALE_PASSWORD
    assert "Warning: GetAuthorizationToken failed" in result.stderr
    assert "using a cached token that expires in" in result.stderr
    assert STALE_PASSWORD not in result.stderr
    assert len(fake_ecr.requests) == 1


def test_degraded_service_never_serves_an_expired_token(env, fake_ecr):
    env["AWS_MAX_ATTEMPTS"] = "1"
    prefill(env, fetched_ago=13 * 3600, expires_in=-60)
    fake_ecr.set_fault("http503")
    result = run(env, "get", PRIVATE)
    assert_one_line_error(result, secret=STALE_PASSWORD)
    assert "ServiceUnavailable" in result.stderr


def test_profile_identity_survives_a_session_token_change_only(env, fake_ecr, aws_home):
    credentials = aws_home.credentials_file.read_text()
    aws_home.credentials_file.write_text(
        credentials + "aws_session_token = first\n\n[other]\n"
        "aws_access_key_id = AKIDEXAMPLE0000000002\naws_secret_access_key = other-secret\n")
    run(env, "get", PRIVATE)
    aws_home.credentials_file.write_text(
        aws_home.credentials_file.read_text().replace("= first", "= second"))
    fake_ecr.reset()
    assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    assert fake_ecr.requests == []
    assert secret_of(run({**env, "AWS_PROFILE": "other"}, "get", PRIVATE)) == fake_ecr.password
    [request] = fake_ecr.requests
    assert request.access_key_id == "AKIDEXAMPLE0000000002"


def test_environment_keys_are_their_own_identity(env, fake_ecr):
    run(env, "get", PRIVATE)
    keys = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE0000000003", "AWS_SECRET_ACCESS_KEY": "s"}
    run({**env, **keys}, "get", PRIVATE)
    assert [r.access_key_id for r in fake_ecr.requests] == [
        "AKIDEXAMPLE0000000001", "AKIDEXAMPLE0000000003"]


def test_service_specific_endpoint_variable_wins_and_keys_the_cache(env, fake_ecr):
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there
    env["AWS_ENDPOINT_URL_ECR"] = fake_ecr.url
    assert secret_of(run(env, "get", PRIVATE)) == fake_ecr.password
    [key] = [key for key, _ in TokenCache(environ=env).entries()]
    assert key.endpoint_url == fake_ecr.url


# -- list, erase, store, version -----------------------------------------------------------


def test_list_names_cached_registries_and_aliases_without_calling_aws(env, fake_ecr):
    assert json.loads(run(env, "list").stdout) == {}
    for host in (PRIVATE, PUBLIC, FIPS):
        run(env, "get", host)
    fake_ecr.reset()
    result = run(env, "list")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {PRIVATE: "AWS", ALIAS: "AWS", PUBLIC: "AWS", FIPS: "AWS"}
    assert fake_ecr.requests == []
    # another identity has nothing cached
    other = {**env, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE0000000009", "AWS_SECRET_ACCESS_KEY": "s"}
    assert json.loads(run(other, "list").stdout) == {}


def test_list_skips_expired_entries(env, fake_ecr):
    prefill(env, fetched_ago=13 * 3600, expires_in=-1)
    assert json.loads(run(env, "list").stdout) == {}
    assert fake_ecr.requests == []


def test_erase_drops_the_cached_token(env, fake_ecr):
    run(env, "get", PRIVATE)
    run(env, "get", PUBLIC)
    cache_dir = Path(env["HOME"]) / ".aws" / "ecr2" / "cache"
    locks = sorted(p.name.split(".", 1)[1] for p in cache_dir.glob("*.json.*lock"))
    assert locks == ["json.helper-lock", "json.helper-lock", "json.lock", "json.lock"]
    result = run(env, "erase", ALIAS + "\n")  # the alias names the same key
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert json.loads(run(env, "list").stdout) == {PUBLIC: "AWS"}
    # the entry's lock files go with it: the aws child's and the helpers'
    assert len(list(cache_dir.glob("*.json"))) == len(list(cache_dir.glob("*.json.*lock"))) / 2
    run(env, "get", PRIVATE)
    assert [r.target for r in fake_ecr.requests] == ["ecr", "ecr-public", "ecr"]
    # nothing cached, or not ours: still fine
    assert run(env, "erase", "ghcr.io").returncode == 0
    assert run(env, "erase", FIPS).returncode == 0
    assert_one_line_error(run(env, "erase", ""))


def test_store_reads_and_discards_its_input(env, fake_ecr):
    document = json.dumps({"ServerURL": "ghcr.io", "Username": "u", "Secret": "p" * 100000})
    result = run(env, "store", document)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert fake_ecr.requests == []
    assert json.loads(run(env, "list").stdout) == {}


@pytest.mark.parametrize("action", ["version", "--version"])
def test_version(env, action):
    result = run(env, action)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, __version__, "")


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["get", "extra"]])
def test_usage(env, argv):
    result = subprocess.run([str(HELPER), *argv], input=b"", capture_output=True, env=env,
                            check=False)
    assert result.returncode == 1
    assert b"Usage: docker-credential-ecr2" in result.stderr


# -- what the hit path imports -------------------------------------------------------------

PROBE = """
import json, sys
from awscli_ecr_login_ext.helper.protocol import main
code = main([sys.argv[1]])
print("\\nMODULES" + json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""
NOT_ON_THE_HIT_PATH = ("botocore", "awscli", "concurrent", "logging", "argparse", "datetime",
                       "awscli_ecr_login_ext.cli.logins", "urllib3", "jmespath")


@pytest.mark.parametrize("action", ["get", "list"])
def test_hit_path_and_list_load_no_botocore(env, fake_ecr, action):
    run(env, "get", PRIVATE)
    result = subprocess.run([sys.executable, "-c", PROBE, action], input=PRIVATE.encode(),
                            capture_output=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    modules = result.stderr.decode().split("MODULES", 1)[1]
    loaded = [m for m in json.loads(modules) if m.split(".")[0] in NOT_ON_THE_HIT_PATH
              or m in NOT_ON_THE_HIT_PATH]
    assert loaded == []
    assert len(fake_ecr.requests) == 1


# What a warm `get` must not import: re (and so json, configparser, base64), OpenSSL's hashlib,
# dataclasses, collections, typing. Run with -S so that only the helper's own imports count.
SLOW_ON_THE_HIT_PATH = ("re", "json", "configparser", "base64", "hashlib", "_hashlib",
                        "dataclasses", "inspect", "collections", "typing", "ipaddress", "enum",
                        "functools", "math")
LEAN_PROBE = """
import sys
from awscli_ecr_login_ext.helper.protocol import main
code = main(["get"])
sys.stderr.write("\\nMODULES" + repr(sorted(sys.modules)))
sys.exit(code)
"""


@pytest.mark.parametrize("stdin", [PRIVATE, ALIAS])
def test_warm_get_imports_nothing_slow(env, fake_ecr, stdin):
    run(env, "get", PRIVATE)
    result = subprocess.run([sys.executable, "-S", "-c", LEAN_PROBE], input=stdin.encode(),
                            capture_output=True, env={**env, "PYTHONPATH": str(REPO)},
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Secret"] == fake_ecr.password
    modules = ast.literal_eval(result.stderr.decode().split("MODULES", 1)[1])
    assert [m for m in SLOW_ON_THE_HIT_PATH if m in modules] == []
    assert len(fake_ecr.requests) == 1


@settings(max_examples=200)
@given(st.text(st.characters(exclude_categories=())), st.text(st.characters(exclude_categories=())))
def test_credentials_json_is_json_dumps(url, password):
    assert _credentials_json(url, "AWS", password) == json.dumps(
        {"ServerURL": url, "Username": "AWS", "Secret": password})


# -- never a traceback ---------------------------------------------------------------------

HOSTISH = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=120).map(str.encode),
    st.from_regex(r"(https?://)?[0-9]{12}\.dkr[.-]ecr(-fips)?\.[a-z0-9-]{1,15}\.[a-z.]{2,20}"
                  r"(:[0-9]{1,6})?(/[ -~]{0,20})?\n?", fullmatch=True).map(str.encode),
    st.sampled_from([PRIVATE, PUBLIC, ALIAS, FIPS, "ghcr.io", "[::1]:5000", "=", "x=y"])
    .map(str.encode),
)


@pytest.fixture(scope="module")
def in_process_env(tmp_path_factory, plugin_config_text):
    """os.environ for in-process runs: a temp HOME; ECR calls go to a fake endpoint."""
    from tests.conftest import AwsHome
    from tests.servers.fake_ecr import FakeEcr

    home = AwsHome(tmp_path_factory.mktemp("inproc") / "home", plugin_config_text)
    home.write_config(PROFILES)
    with FakeEcr() as server:
        yield {**home.env, "AWS_ENDPOINT_URL": server.url, "AWS_MAX_ATTEMPTS": "1"}


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stdin=HOSTISH, action=st.sampled_from(["get", "erase"]))
def test_any_stdin_in_process_never_raises(monkeypatch, in_process_env, stdin, action):
    monkeypatch.setattr(os, "environ", dict(in_process_env))
    code, out, err = handle(action, stdin)
    assert code in (0, 1)
    assert "Traceback" not in err and "Traceback" not in out
    if code == 1 and out != NOT_FOUND + "\n":
        assert out == err and err.startswith("docker-credential-ecr2: ") and err.count("\n") == 1
    if code == 0 and action == "get":
        assert json.loads(out)["Username"] == "AWS"


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stdin=HOSTISH, action=st.sampled_from(["get", "erase"]))
def test_any_stdin_as_a_process_never_tracebacks(in_process_env, stdin, action):
    require(HELPER.exists(), f"{HELPER} not installed")
    result = run(in_process_env, action, stdin)  # run() asserts there is no traceback
    assert result.returncode in (0, 1)


# -- the real docker CLI -------------------------------------------------------------------


def test_docker_uses_the_helper_for_an_aliased_registry(env, fake_ecr, aws_home, tmp_path):
    """docker (no daemon needed for `manifest inspect`) asks docker-credential-ecr2 for the
    alias of an ECR registry and reads a manifest from a real local registry whose password is
    the ECR token."""
    docker = which("docker")
    require(docker, "docker CLI not installed")
    local = start_registry(tmp_path / "registry", fake_ecr.password)
    try:
        aws_home.write_config(f"[default]\nregion = eu-west-1\necr2_registry_aliases =\n"
                              f"    {local.host} = {PRIVATE}\n")
        docker_config = tmp_path / "docker-config"
        docker_config.mkdir()
        (docker_config / "config.json").write_text(
            json.dumps({"credHelpers": {local.host: "ecr2"}}))
        docker_env = {**clean_environment(Path(env["HOME"])), **env,
                      "DOCKER_CONFIG": str(docker_config),
                      "PATH": f"{HELPER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        image = local.push_small_image("hello", "v1")
        result = subprocess.run([docker, "manifest", "inspect", "--insecure", image],
                                capture_output=True, text=True, env=docker_env,
                                stdin=subprocess.DEVNULL, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["schemaVersion"] == 2
        assert fake_ecr.password not in result.stdout + result.stderr
        assert len(fake_ecr.requests) == 1
        # the helper docker found on PATH speaks `list` too
        listed = subprocess.run(["docker-credential-ecr2", "list"], capture_output=True,
                                text=True, env=docker_env, check=False)
        assert json.loads(listed.stdout) == {local.host: "AWS", PRIVATE: "AWS"}
        assert json.loads((docker_config / "config.json").read_text()) == {
            "credHelpers": {local.host: "ecr2"}}
    finally:
        local.stop()
