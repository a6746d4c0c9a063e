"""The profile's cache settings through the real CLIs: ``ecr2_cache = true`` turns the cache on
(``--no-cache`` still wins), and the freshness floor keeps short-lived tokens out of it."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

from awscli_ecr_login_ext.cache.entry import CacheKey
from awscli_ecr_login_ext.cache.token_cache import default_cache_dir
from tests.conftest import identity_from_environment

PROFILE = "[default]\nregion = eu-west-1\n"


def entry_files(aws_home) -> list[Path]:
    directory = Path(default_cache_dir(aws_home.env))
    return sorted(directory.glob("*.json")) if directory.exists() else []


def password(aws_home, cli, fake_ecr, *args: str) -> str:
    result = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", fake_ecr.url, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_profile_setting_turns_the_cache_on_and_no_cache_wins(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE + "ecr2_cache = true\n")
    expected = fake_ecr.password + "\n"

    assert password(aws_home, cli, fake_ecr) == expected
    assert password(aws_home, cli, fake_ecr) == expected
    assert len(fake_ecr.requests) == 1
    entries = entry_files(aws_home)
    assert len(entries) == 1
    stored = entries[0].read_bytes()

    # --no-cache neither reads nor writes the entry the profile setting made.
    assert password(aws_home, cli, fake_ecr, "--no-cache") == expected
    assert len(fake_ecr.requests) == 2
    assert entry_files(aws_home) == entries and entries[0].read_bytes() == stored


def test_no_cache_wins_over_the_profile_setting_from_the_start(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE + "ecr2_cache = true\n")
    for _ in range(2):
        assert password(aws_home, cli, fake_ecr, "--no-cache") == fake_ecr.password + "\n"
    assert len(fake_ecr.requests) == 2
    assert entry_files(aws_home) == []


def test_without_the_setting_nothing_is_cached(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE + "ecr2_cache = false\n")
    for _ in range(2):
        assert password(aws_home, cli, fake_ecr) == fake_ecr.password + "\n"
    assert len(fake_ecr.requests) == 2
    assert entry_files(aws_home) == []
    assert password(aws_home, cli, fake_ecr, "--cache") == fake_ecr.password + "\n"
    assert len(entry_files(aws_home)) == 1


# -- the freshness floor: never store or serve a token with under 15 minutes left -----------------


def plant_short_entry(aws_home, endpoint_url: str, *, fetched_ago: float,
                      expires_in: float) -> Path:
    """Write an entry the way TokenCache.put does (its documented format), bypassing put's own
    refusal of short tokens: what an older version of the plugin may have left behind."""
    key = CacheKey("aws", "eu-west-1", "standard", False, identity_from_environment(aws_home.env),
                   endpoint_url)
    now = time.time()
    directory = Path(default_cache_dir(aws_home.env))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / key.filename()
    path.write_text(json.dumps({
        "version": 1, "for": key.descriptor(),
        "token": base64.b64encode(f"AWS:{SHORT_PASSWORD}".encode()).decode(),
        "expires_at": now + expires_in, "fetched_at": now - fetched_ago,
        "proxy_endpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}))
    os.chmod(path, 0o600)
    return path


SHORT_PASSWORD = "short-lived-password"


def test_a_token_issued_with_10_minutes_left_is_not_stored(aws_home, cli, fake_ecr):
    aws_home.write_config(PROFILE)
    fake_ecr.set_expires_at(time.time() + 600)
    for _ in range(2):
        assert password(aws_home, cli, fake_ecr, "--cache") == fake_ecr.password + "\n"
    assert len(fake_ecr.requests) == 2
    assert entry_files(aws_home) == []


def test_an_entry_with_4_minutes_left_is_not_served_unless_the_service_fails(aws_home, cli,
                                                                             fake_ecr):
    # More than half of its 7-minute life left, and a profile minimum below the floor.
    aws_home.write_config(PROFILE + "ecr2_cache_min_ttl = 60\n")
    plant_short_entry(aws_home, fake_ecr.url, fetched_ago=180, expires_in=240)
    refreshed = aws_home.run(cli, "ecr2", "get-login-password", "--cache",
                             "--endpoint-url", fake_ecr.url)
    # The floor is applied quietly: a minimum below it is only mentioned under --debug.
    assert (refreshed.returncode, refreshed.stdout, refreshed.stderr) == (
        0, fake_ecr.password + "\n", "")
    assert len(fake_ecr.requests) == 1
    debug = aws_home.run(cli, "ecr2", "cache", "list", "--debug")
    assert "ecr2_cache_min_ttl 60s is below the floor of 900s; using 900s" in debug.stderr

    # The service fails: the unexpired entry still bridges it, with a warning.
    plant_short_entry(aws_home, fake_ecr.url, fetched_ago=180, expires_in=240)
    fake_ecr.set_fault("http503")
    degraded = aws_home.run(cli, "ecr2", "get-login-password", "--cache",
                            "--endpoint-url", fake_ecr.url, env={"AWS_MAX_ATTEMPTS": "1"})
    assert (degraded.returncode, degraded.stdout) == (0, SHORT_PASSWORD + "\n"), degraded.stderr
    assert "using a cached token that expires in 3 minutes." in degraded.stderr
