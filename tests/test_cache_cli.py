"""``aws ecr2 cache list|clear`` and ``--cache`` through the real CLIs: one request for many
processes, modes, expiry, refusal of an unsafe directory."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cache.entry import CachedToken, CacheKey
from awscli_ecr_login_ext.cache.token_cache import TokenCache, default_cache_dir
from tests.conftest import (
    CLIS,
    Cli,
    error_line,
    identity_from_environment,
    require,
    usage_exit_code,
)

PROFILE = "[default]\nregion = eu-west-1\n"
CACHED_PASSWORD = "cached-password"


def b64_token(password: str, user: str = "AWS") -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def cache_dir(aws_home) -> Path:
    return Path(default_cache_dir(aws_home.env))


def cache_key(aws_home, endpoint_url: str | None, region: str = "eu-west-1",
              public: bool = False) -> CacheKey:
    """The key an ``aws ecr2 ... --endpoint-url URL`` run in ``aws_home`` uses (write the
    config first: the profile's settings are part of the identity)."""
    return CacheKey("aws", region, "standard", public, identity_from_environment(aws_home.env),
                    endpoint_url)


def plant(aws_home, key: CacheKey, *, password: str = CACHED_PASSWORD,
          fetched_ago: float = 60.0, expires_in: float = 12 * 3600 - 60.0) -> CachedToken:
    """Write an entry as if fetched ``fetched_ago`` seconds ago, expiring in ``expires_in``
    seconds (negative: already expired), using a clock set to the fetch time."""
    now = time.time()
    token = CachedToken(b64_token(password), now + expires_in, now - fetched_ago,
                        f"https://123456789012.dkr.ecr.{key.region}.amazonaws.com")
    cache = TokenCache(cache_dir(aws_home), clock=lambda: token.fetched_at + 1)
    assert cache.put(key, token)
    return token


def snapshot(directory: Path, *, locks: bool = True) -> dict[str, tuple[int, bytes]]:
    """Every file in the cache directory: mode and bytes. ``locks=False`` leaves out the lock
    files a fetch attempt creates (and checks they are empty and 0600)."""
    if not directory.exists():
        return {}
    files = {p.name: (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
             for p in sorted(directory.iterdir())}
    if not locks:
        for name in [n for n in files if n.endswith(".json.lock")]:
            assert files.pop(name) == (0o600, b"")
    return files


def entry_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".json"))


# -- list / clear ------------------------------------------------------------------------------


def test_list_shows_entries_but_never_the_token(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE)
    for region in ("eu-west-1", "us-west-2"):
        ok = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--region", region,
                          "--endpoint-url", fake_ecr.url)
        assert ok.returncode == 0, ok.stderr
    stale = plant(aws_home, cache_key(aws_home, None, "ap-south-1"), fetched_ago=11 * 3600,
                  expires_in=3600)
    result = aws_home.run(cli, "ecr2", "cache", "list")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["Entries"]
    assert [(e["Region"], e["Servable"]) for e in listed] == [
        ("ap-south-1", False), ("eu-west-1", True), ("us-west-2", True)]
    first = listed[1]
    assert first["Registry"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert first["Identity"] == "profile:default"
    assert first["EndpointUrl"] == fake_ecr.url
    assert first["Public"] is False and first["Variant"] == "standard"
    assert first["ExpiresAt"].endswith("+00:00") and "T" in first["ExpiresAt"]
    assert listed[0]["ExpiresAt"] == time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(stale.expires_at)))
    for secret in (fake_ecr.password, b64_token(fake_ecr.password), CACHED_PASSWORD,
                   stale.token):
        assert secret not in result.stdout + result.stderr

    # Through the CLI's formatter: --query and --output work.
    query = aws_home.run(cli, "ecr2", "cache", "list", "--query",
                         "Entries[?Servable].Region", "--output", "text")
    assert query.returncode == 0, query.stderr
    assert query.stdout.split() == ["eu-west-1", "us-west-2"]
    table = aws_home.run(cli, "ecr2", "cache", "list", "--output", "table")
    assert table.returncode == 0 and "ecr2-cache-list" in table.stdout


def test_list_on_an_empty_cache(aws_home, cli):
    result = aws_home.run(cli, "ecr2", "cache", "list")
    assert (result.returncode, json.loads(result.stdout)) == (0, {"Entries": []})
    assert not cache_dir(aws_home).exists()  # looking does not create it


def test_clear_by_registry_and_all(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE + "ecr2_registry_aliases =\n"
                          "  mirror.local = 123456789012.dkr.ecr.us-west-2.amazonaws.com\n")
    plant(aws_home, cache_key(aws_home, None, "eu-west-1"))
    plant(aws_home, cache_key(aws_home, None, "us-west-2"))
    plant(aws_home, cache_key(aws_home, fake_ecr.url, "us-west-2"))
    plant(aws_home, cache_key(aws_home, None, "us-east-1", public=True))
    directory = cache_dir(aws_home)
    assert len(entry_files(directory)) == 4

    # Another account's host in the same region: the token is per region, so it goes too.
    cleared = aws_home.run(cli, "ecr2", "cache", "clear", "--registry", "mirror.local")
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout == f"Removed 2 cached tokens from {directory}\n"
    cleared = aws_home.run(cli, "ecr2", "cache", "clear", "--registry", "public.ecr.aws/a/b:1",
                           "999999999999.dkr.ecr.ap-south-1.amazonaws.com")
    assert cleared.stdout == f"Removed 1 cached token from {directory}\n"
    assert [e["Region"] for e in json.loads(
        aws_home.run(cli, "ecr2", "cache", "list").stdout)["Entries"]] == ["eu-west-1"]
    cleared = aws_home.run(cli, "ecr2", "cache", "clear")
    assert cleared.stdout == f"Removed 1 cached token from {directory}\n"
    assert entry_files(directory) == []
    assert list(directory.iterdir()) == []  # lock files went with their entries
    cleared = aws_home.run(cli, "ecr2", "cache", "clear")
    assert (cleared.returncode, cleared.stdout) == (
        0, f"Removed 0 cached tokens from {directory}\n")


def test_clear_rejects_a_bad_registry(aws_home, cli):
    aws_home.write_config(PROFILE)
    plant(aws_home, cache_key(aws_home, None))
    before = snapshot(cache_dir(aws_home))
    result = aws_home.run(cli, "ecr2", "cache", "clear", "--registry", "registry.example.com")
    assert result.returncode == usage_exit_code(cli)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "'registry.example.com' is not an Amazon ECR registry" in result.stderr
    assert snapshot(cache_dir(aws_home)) == before


def test_cache_group_without_subcommand(aws_home, cli):
    result = aws_home.run(cli, "ecr2", "cache")
    assert result.stdout == ""
    assert "usage: aws [options] ecr2 cache <subcommand> [parameters]" in result.stderr
    assert result.returncode == usage_exit_code(cli)


# -- --cache behaviour through the real CLIs ------------------------------------------------------


@pytest.mark.parametrize("processes", [50])
def test_concurrent_cold_cache_makes_one_request(aws_home, cli: Cli, fake_ecr, processes):
    aws_home.write_config(PROFILE)
    args = [str(cli.executable), "ecr2", "get-login-password", "--cache",
            "--endpoint-url", fake_ecr.url]
    children = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True, env=aws_home.env,
                                 cwd=aws_home.root)
                for _ in range(processes)]
    results = [(child.wait(timeout=300), child.stdout.read(), child.stderr.read())
               for child in children]
    for child in children:
        child.stdout.close()
        child.stderr.close()
    assert [r for r in results if r[0] != 0] == []
    assert {out for _, out, _ in results} == {fake_ecr.password + "\n"}
    assert len(fake_ecr.requests) == 1

    # Warm: no request at all.
    fake_ecr.reset()
    warm = aws_home.run(cli, "ecr2", "get-login-password", "--cache",
                        "--endpoint-url", fake_ecr.url)
    assert (warm.returncode, warm.stdout) == (0, fake_ecr.password + "\n")
    assert fake_ecr.requests == []

    # Modes: 0700 directory, 0600 entry and lock files.
    directory = cache_dir(aws_home)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = list(directory.iterdir())
    assert len(entry_files(directory)) == 1
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_expired_entry_is_never_served(aws_home, cli, fake_ecr):
    # Even with a minimum TTL of 0 and even when the service fails.
    aws_home.write_config(PROFILE + "ecr2_cache_min_ttl = 0\n")
    key = cache_key(aws_home, fake_ecr.url)
    plant(aws_home, key, fetched_ago=13 * 3600, expires_in=-60)
    listed = json.loads(aws_home.run(cli, "ecr2", "cache", "list").stdout)["Entries"]
    assert [e["Servable"] for e in listed] == [False]

    fake_ecr.set_fault("http500")
    failed = aws_home.run(cli, "ecr2", "get-login-password", "--cache",
                          "--endpoint-url", fake_ecr.url, env={"AWS_MAX_ATTEMPTS": "1"})
    assert failed.returncode != 0 and failed.stdout == ""
    assert CACHED_PASSWORD not in failed.stdout + failed.stderr
    assert "ServerException" in failed.stderr

    fake_ecr.set_fault(None)
    fresh = aws_home.run(cli, "ecr2", "get-login-password", "--cache",
                         "--endpoint-url", fake_ecr.url)
    assert (fresh.returncode, fresh.stdout) == (0, fake_ecr.password + "\n")
    assert len(fake_ecr.requests) == 2
    listed = json.loads(aws_home.run(cli, "ecr2", "cache", "list").stdout)["Entries"]
    assert [e["Servable"] for e in listed] == [True]


@pytest.mark.parametrize("command", [
    ["get-login-password", "--cache"],
    ["get-login", "--cache"],
    ["cache", "list"],
    ["cache", "clear"],
])
def test_world_writable_cache_dir_is_refused(aws_home, cli, fake_ecr, command):
    directory = cache_dir(aws_home)
    directory.mkdir(parents=True)
    os.chmod(directory, 0o777)
    result = aws_home.run(cli, "ecr2", *command, "--endpoint-url", fake_ecr.url)
    assert result.returncode != 0
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.splitlines() == [message]
    assert "Traceback" not in result.stderr
    assert message == error_line(
        cli, f"Refusing to use the token cache directory {directory}: it is writable "
             f"by other users (mode 0777). Run: chmod 700 {directory}")
    assert fake_ecr.requests == []


@pytest.mark.parametrize("cli", [c for c in CLIS if c.configured_endpoints], ids=str)
def test_cache_entries_are_keyed_by_the_endpoint_really_called(aws_home, cli, fake_ecr):
    """AWS_ENDPOINT_URL moves the call, so it moves the key: a token is never served to the
    wrong endpoint, and --endpoint-url X shares entries with AWS_ENDPOINT_URL=X."""
    from tests.servers.fake_ecr import FakeEcr

    require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
    args = ("ecr2", "get-login-password", "--cache")
    first = aws_home.run(cli, *args, env={"AWS_ENDPOINT_URL": fake_ecr.url})
    assert (first.returncode, first.stdout) == (0, fake_ecr.password + "\n"), first.stderr
    same = aws_home.run(cli, *args, "--endpoint-url", fake_ecr.url)
    assert same.stdout == first.stdout
    assert len(fake_ecr.requests) == 1
    with FakeEcr(password="other-endpoint-password") as other:
        moved = aws_home.run(cli, *args, env={"AWS_ENDPOINT_URL": other.url})
        assert (moved.returncode, moved.stdout) == (0, "other-endpoint-password\n"), moved.stderr
        assert len(other.requests) == 1
    assert len(fake_ecr.requests) == 1
