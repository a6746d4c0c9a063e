"""`awscli-ecr-login-ext install|uninstall|status` on real config files, checked with the real CLIs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.conftest import CLIS, MOTO_PASSWORD, REPO, require

ORIGINAL = """# my settings, keep this comment
[default]
region = eu-west-1   ; and this one
output = json

[plugins]
# other plugins live here
cli_legacy_plugin_path = /opt/other-plugins

[profile build]
role_arn = arn:aws:iam::123456789012:role/build
source_profile = default
"""


def setup_command(aws_home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", *args,
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env=aws_home.env)


def test_install_keeps_every_line_is_idempotent_and_uninstall_restores(aws_home):
    aws_home.config_file.write_text(ORIGINAL)
    os.chmod(aws_home.config_file, 0o640)

    dry = setup_command(aws_home, "install", "--cli", "both", "--dry-run")
    assert dry.returncode == 0 and "Would change" in dry.stdout
    assert aws_home.config_file.read_text() == ORIGINAL

    first = setup_command(aws_home, "install", "--cli", "both")
    assert first.returncode == 0, first.stderr
    text = aws_home.config_file.read_text()
    assert "+ ecr2 = awscli_ecr_login_ext" in first.stdout
    plugin_dir = str(REPO)
    expected_path = f"cli_legacy_plugin_path = /opt/other-plugins{os.pathsep}{plugin_dir}"
    assert expected_path in text
    for line in ORIGINAL.splitlines():
        if not line.startswith("cli_legacy_plugin_path"):
            assert line in text.splitlines()
    lines = text.splitlines()
    assert lines.index("ecr2_v1_guard = awscli_ecr_login_ext.v1_path_guard") < lines.index(
        expected_path)
    assert stat.S_IMODE(aws_home.config_file.stat().st_mode) == 0o640

    again = setup_command(aws_home, "install", "--cli", "both")
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert aws_home.config_file.read_text() == text

    removed = setup_command(aws_home, "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert aws_home.config_file.read_text() == ORIGINAL
    assert not [p for p in aws_home.aws_dir.iterdir() if p.name.endswith(".tmp")]


def test_one_installed_config_serves_every_cli_major(aws_home, moto_endpoint):
    aws_home.config_file.write_text("[default]\nregion = eu-west-1\n")
    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    ran = 0
    for cli in CLIS:
        require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
        password = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", moto_endpoint)
        assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), password.stderr
        identity = aws_home.run(cli, "sts", "get-caller-identity", "--endpoint-url", moto_endpoint)
        assert identity.returncode == 0, identity.stderr
        assert '"Account"' in identity.stdout
        ran += 1
    assert ran == len(CLIS)


def test_status_reports_clis_and_the_v1_trap(aws_home):
    aws_home.config_file.write_text(f"[plugins]\ncli_legacy_plugin_path = {REPO}\n"
                                    "ecr2 = awscli_ecr_login_ext\n")
    v1 = CLIS[0]
    require(v1.executable.exists(), "AWS CLI v1 not found")
    path = os.pathsep.join([str(v1.executable.parent), "/usr/bin", "/bin"])
    trapped = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "status",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": path})
    assert trapped.returncode == 1
    assert "makes every AWS CLI v1 command crash" in trapped.stdout
    assert "does NOT load" in trapped.stdout

    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    healthy = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "status",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": path})
    assert healthy.returncode == 0, healthy.stdout
    assert "crash" not in healthy.stdout
    assert healthy.stdout.count("aws ecr2 loads") >= 1
    assert "AWS CLI 1." in healthy.stdout


def test_auto_with_no_cli_on_path_is_a_clear_error(aws_home, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "install",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip() == ("awscli-ecr-login-ext: No AWS CLI found on PATH; name the "
                                     "one to configure with --cli v1, v2 or both.")
