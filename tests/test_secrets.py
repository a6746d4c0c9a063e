"""The token and the password never reach ``--debug`` output or the CLI history database."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import AwsHome, Cli
from tests.test_cache_cli import b64_token

HISTORY_PROFILE = "[default]\nregion = eu-west-1\ncli_history = enabled\n"


def ecr2_subcommands() -> set[str]:
    from awscli_ecr_login_ext.cli.commands.ecr2 import Ecr2Command

    return {entry["name"] for entry in Ecr2Command.SUBCOMMANDS}


def commands_that_touch_tokens() -> list[list[str]]:
    commands = [
        ["get-login-password"],
        ["get-login-password", "--cache"],
        ["get-login-password", "--cache"],  # served from the cache this time
        ["get-login"],
        ["get-login", "--cache", "--output", "text"],
        ["get-login", "--docker-config", "--registry",
         "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws"],
        ["cache", "list"],
        ["cache", "clear"],
    ]
    if "login" in ecr2_subcommands():  # another engineer's command, when it exists
        commands.append(["login", "--dry-run", "--tool", "docker"])
    return commands


def secrets_of(fake_ecr) -> list[str]:
    return [fake_ecr.password, b64_token(fake_ecr.password)]


def no_colon_token(fake_ecr) -> str:
    """What the "token-no-colon" fault serves."""
    return base64.b64encode(("AWS" + fake_ecr.password.replace(":", "")).encode()).decode()


def history_text(aws_home: AwsHome) -> str:
    db = aws_home.root / ".aws" / "cli" / "history" / "history.db"
    assert db.exists()
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT event_type, payload FROM records").fetchall()
    assert rows
    return "\n".join(f"{event} {payload}" for event, payload in rows)


def run_all(aws_home: AwsHome, cli: Cli, fake_ecr, *extra: str) -> list:
    # A docker that must never run (login --dry-run only prints the command).
    fake_bin = aws_home.root / "fake-bin"
    fake_bin.mkdir(exist_ok=True)
    docker = fake_bin / "docker"
    docker.write_text("#!/bin/sh\necho 'fake docker must not run' >&2\nexit 99\n")
    docker.chmod(0o755)
    env = {"PATH": f"{fake_bin}{os.pathsep}{aws_home.env.get('PATH', '')}"}
    results = []
    for command in commands_that_touch_tokens():
        result = aws_home.run(cli, "ecr2", *command, "--endpoint-url", fake_ecr.url, *extra,
                              env=env)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        results.append((command, result))
    return results


def test_debug_output_never_shows_the_token(aws_home, cli, fake_ecr):
    stock = aws_home.run(cli, "ecr", "get-login-password", "--endpoint-url", fake_ecr.url,
                         "--debug")
    assert stock.returncode == 0
    assert b64_token(fake_ecr.password) in stock.stderr  # the leak: this test can fail

    for command, result in run_all(aws_home, cli, fake_ecr, "--debug"):
        assert "DEBUG" in result.stderr, command
        for secret in secrets_of(fake_ecr):
            assert secret not in result.stderr, command
        if command in (["get-login-password"], ["get-login"]):  # these call the service
            assert "<redacted>" in result.stderr, command


@pytest.mark.parametrize("fault", ["http500", "access-denied", "token-no-colon", "expired"])
def test_debug_output_of_failures_never_shows_the_token(aws_home, cli, fake_ecr, fault):
    fake_ecr.set_fault(fault, count=1)
    result = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--debug",
                          "--endpoint-url", fake_ecr.url, env={"AWS_MAX_ATTEMPTS": "1"})
    assert "DEBUG" in result.stderr
    for secret in [*secrets_of(fake_ecr), no_colon_token(fake_ecr)]:
        assert secret not in result.stderr


def test_history_database_never_holds_the_token(aws_home, cli, fake_ecr, tmp_path: Path,
                                                plugin_config_text):
    aws_home.write_config(HISTORY_PROFILE)
    run_all(aws_home, cli, fake_ecr)
    recorded = history_text(aws_home)
    assert "GetAuthorizationToken" in recorded and "HTTP_RESPONSE" in recorded
    assert "<redacted>" in recorded
    for secret in secrets_of(fake_ecr):
        assert secret not in recorded

    shown = aws_home.run(cli, "history", "show")
    assert shown.returncode == 0, shown.stderr
    for secret in secrets_of(fake_ecr):
        assert secret not in shown.stdout

    # The stock command does record it, so the check above can fail.
    other = AwsHome(tmp_path / "stock-home", plugin_config_text)
    other.write_config(HISTORY_PROFILE)
    stock = other.run(cli, "ecr", "get-login-password", "--endpoint-url", fake_ecr.url)
    assert stock.returncode == 0
    assert b64_token(fake_ecr.password) in history_text(other)


def test_history_of_a_failed_call_holds_no_token(aws_home, cli, fake_ecr):
    aws_home.write_config(HISTORY_PROFILE)
    fake_ecr.set_fault("token-no-colon")
    failed = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", fake_ecr.url)
    assert failed.returncode == 255
    recorded = history_text(aws_home)
    assert "HTTP_RESPONSE" in recorded
    assert no_colon_token(fake_ecr) not in recorded and fake_ecr.password not in recorded
