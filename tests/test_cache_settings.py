"""The profile's cache settings through the real CLIs: ``ecr2_cache = true`` turns the cache on
(``--no-cache`` still wins), and the freshness floor keeps short-lived tokens out of it."""

from __future__ import annotations

from pathlib import Path

from awscli_ecr_login_ext.cache import default_cache_dir

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
