"""``awscli-ecr-login-ext install`` on a config file it cannot write: one line naming the file,
no traceback, a non-zero exit, and the file as it was (issue 20)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import REPO, require


def setup_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "awscli_ecr_login_ext", *args],
                          check=False, capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_config_file_under_a_regular_file_is_one_line(aws_home, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file\n")
    config = blocker / "config"
    env = {**aws_home.env, "AWS_CONFIG_FILE": str(config)}
    line = one_line(setup_command(env, "install", "--cli", "v1"))
    assert line.startswith("awscli-ecr-login-ext: ") and str(config) in line, line
    assert "not a directory" in line.lower(), line
    assert blocker.read_text() == "a file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "not-a-directory"]


def test_an_immutable_config_file_is_one_line_and_left_as_it_was(aws_home):
    require(shutil.which("chattr"), "chattr not found")
    aws_home.config_file.write_text("[default]\nregion = eu-west-1\n")  # install has work to do
    original = aws_home.config_file.read_bytes()
    made = subprocess.run(["chattr", "+i", str(aws_home.config_file)], capture_output=True,
                          check=False)
    require(made.returncode == 0, f"chattr +i failed: {made.stderr!r}")
    try:
        line = one_line(setup_command(aws_home.env, "install", "--cli", "v1"))
    finally:
        subprocess.run(["chattr", "-i", str(aws_home.config_file)], check=True)
    assert line.startswith("awscli-ecr-login-ext: ") and str(aws_home.config_file) in line, line
    assert "Operation not permitted" in line, line
    assert aws_home.config_file.read_bytes() == original
    assert sorted(p.name for p in aws_home.aws_dir.iterdir()) == ["config", "credentials"]


def test_install_finds_the_config_file_as_botocore_does(aws_home, tmp_path):
    """AWS_CONFIG_FILE with a $VARIABLE: botocore expands it, and so does install (it used to
    write a file under a directory literally named '$AWS_TEST_DIR')."""
    directory = tmp_path / "elsewhere"
    env = {**aws_home.env, "AWS_CONFIG_FILE": "$AWS_TEST_DIR/config",
           "AWS_TEST_DIR": str(directory)}
    done = setup_command(env, "install", "--cli", "v1")
    assert done.returncode == 0, done.stderr
    assert "ecr2 = awscli_ecr_login_ext" in (directory / "config").read_text()
    assert not (REPO / "$AWS_TEST_DIR").exists()
