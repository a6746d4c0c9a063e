"""The alias file: its merge into ~/.aws/cli/alias, and the aliases run by the real CLIs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from awscli_ecr_login_ext.setup.aliases import ALIAS_TEXT, merge, unmerge
from tests.conftest import CLIS, REPO, registry_behind_fake_ecr, require
from tests.servers.docker_registry import client_env

ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
USER_ALIASES = """# my aliases
[toplevel]
whoami = sts get-caller-identity
ecr-login = !echo my own ecr-login

[command ecr2]
pw = get-login-password --registry 123456789012.dkr.ecr.us-east-1.amazonaws.com
"""


def test_the_shipped_file_is_the_embedded_text():
    assert (REPO / "alias" / "alias").read_text() == ALIAS_TEXT


def test_merge_keeps_the_users_aliases_and_unmerge_restores_the_file():
    merged = merge(USER_ALIASES)
    assert merged.kept == ["[toplevel] ecr-login", "[command ecr2] pw"]
    assert merged.added == ["[toplevel] ecr-password", "[command ecr] login",
                            "[command ecr2] logins"]
    assert merged.text.startswith(USER_ALIASES.split("\n[command ecr2]")[0].rstrip("\n"))
    assert "ecr-login = !echo my own ecr-login\n" in merged.text
    assert merge(merged.text).added == []
    restored = unmerge(merged.text)
    assert restored.removed == merged.added
    assert restored.text == USER_ALIASES


def test_merge_into_nothing_and_back():
    merged = merge("")
    assert len(merged.added) == 5
    assert unmerge(merged.text).text == ""


def test_unmerge_leaves_aliases_the_user_changed():
    merged = merge("").text.replace("pw = get-login-password", "pw = get-login-password --public")
    assert "[command ecr2] pw" not in unmerge(merged).removed
    assert "pw = get-login-password --public" in unmerge(merged).text


def setup_command(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", *args, "--config-file",
         str(home / ".aws" / "config")],
        capture_output=True, text=True, cwd=REPO, env=env, check=False)


def test_install_aliases_merges_is_idempotent_and_uninstall_removes_them(tmp_path):
    home = tmp_path / "home"
    alias_file = home / ".aws" / "cli" / "alias"
    alias_file.parent.mkdir(parents=True)
    alias_file.write_text(USER_ALIASES)
    alias_file.chmod(0o640)
    first = setup_command(home, "install", "--cli", "both", "--aliases")
    assert first.returncode == 0, first.stderr
    assert f"Changed aliases in {alias_file}:\n  + [toplevel] ecr-password\n" in first.stdout
    assert "you already have an alias [toplevel] ecr-login of your own; kept yours" in first.stdout
    assert oct(alias_file.stat().st_mode & 0o777) == "0o640"
    text = alias_file.read_text()
    again = setup_command(home, "install", "--cli", "both", "--aliases")
    assert "the ecr2 aliases are already there; nothing to change" in again.stdout
    assert alias_file.read_text() == text
    removed = setup_command(home, "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert "- [command ecr2] logins" in removed.stdout
    assert alias_file.read_text() == USER_ALIASES


# -- the aliases, run by the real CLIs -------------------------------------------------------


@pytest.fixture
def world(tmp_path, aws_home):
    """A registry accepting what a local ECR issues, reached by the CLIs through its proxy mode
    (shell aliases cannot pass --endpoint-url), and a client user whose HOME holds the aliases."""
    password = "alias-Pa55word"
    with registry_behind_fake_ecr(tmp_path, password) as (registry, ecr):
        env = {**aws_home.env, **client_env(tmp_path / "client", registry), **ecr.proxy_env()}
        alias_file = tmp_path / "client" / ".aws" / "cli" / "alias"
        alias_file.parent.mkdir(parents=True)
        alias_file.write_text(merge("").text)
        yield registry, ecr, env, password


@pytest.mark.parametrize("cli", [c for c in CLIS if c.label != "v1.45"], ids=str)
def test_toplevel_ecr_login_alias_logs_skopeo_in(aws_home, world, cli):
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
    skopeo = shutil.which("skopeo")
    require(skopeo, "skopeo is not installed")
    registry, ecr, env, password = world
    env["PATH"] = os.pathsep.join([str(cli.executable.parent), env["PATH"]])
    result = aws_home.run(cli, "ecr-login", f"{registry.host}={ECR_HOST}", "skopeo", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Logged in to {registry.host} with skopeo; the token expires in 12 hours\n")
    assert password not in result.stdout + result.stderr
    assert [r.via_proxy_host for r in ecr.requests] == ["api.ecr.eu-west-1.amazonaws.com"]
    inspect = subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", f"docker://{registry.host}/hello:v1"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert inspect.returncode == 0, inspect.stderr
    usage = aws_home.run(cli, "ecr-login", env=env)
    assert usage.returncode == 2
    assert "usage: aws ecr-login HOST [TOOL]" in usage.stderr


@pytest.mark.parametrize("cli", [c for c in CLIS if c.major == 2], ids=str)
def test_v2_command_aliases(aws_home, world, cli):
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
    registry, _ecr, env, password = world
    env["PATH"] = os.pathsep.join([str(cli.executable.parent), env["PATH"]])
    pw = aws_home.run(cli, "ecr2", "pw", "--registry", ECR_HOST, env=env)
    assert (pw.returncode, pw.stdout) == (0, password + "\n"), pw.stderr
    login = aws_home.run(cli, "ecr", "login", f"{registry.host}={ECR_HOST}", "skopeo",
                         "--dry-run", env=env)
    assert login.returncode == 0, login.stderr
    assert login.stdout == f"skopeo login --username AWS --password-stdin {registry.host}\n"
    table = aws_home.run(cli, "ecr2", "logins", "--registry", ECR_HOST, env=env)
    assert table.returncode == 0, table.stderr
    assert ECR_HOST in table.stdout and "eu-west-1" in table.stdout
