"""The ``aws ecr2`` commands on a file they cannot write or delete: one line naming the file,
no traceback, a non-zero exit, and the files as they were (issue 20)."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import require
from tests.test_cache_cli import PROFILE, cache_dir, cache_key, entry_files, plant, snapshot

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@contextmanager
def immutable(path: Path):
    """``path`` made immutable (chattr +i): even root cannot write, rename or delete in it."""
    require(shutil.which("chattr"), "chattr not found")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    require(made.returncode == 0, f"chattr +i failed: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cache_clear_that_cannot_delete_is_one_line(aws_home, cli):
    aws_home.write_config(PROFILE)
    plant(aws_home, cache_key(aws_home, None))
    directory = cache_dir(aws_home)
    before = snapshot(directory)
    with immutable(directory):
        result = aws_home.run(cli, "ecr2", "cache", "clear")
    line = one_line(result)
    [entry] = entry_files(directory)
    assert str(entry) in line and "Operation not permitted" in line, line
    assert result.stdout == ""
    assert snapshot(directory) == before


def test_configure_docker_on_an_immutable_config_is_one_line(aws_home, cli):
    aws_home.write_config(PROFILE)
    docker = aws_home.root / "docker"
    docker.mkdir()
    config = docker / "config.json"
    config.write_text("{}\n")
    env = {**aws_home.env, "DOCKER_CONFIG": str(docker)}
    with immutable(config):
        result = aws_home.run(cli, "ecr2", "configure-docker", "--registry", REGISTRY, env=env)
    line = one_line(result)
    assert str(config) in line and "Operation not permitted" in line, line
    assert config.read_text() == "{}\n"
    assert sorted(p.name for p in docker.iterdir()) == ["config.json"]


def test_configure_docker_under_a_regular_file_is_one_line(aws_home, cli, tmp_path):
    aws_home.write_config(PROFILE)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file\n")
    env = {**aws_home.env, "DOCKER_CONFIG": str(blocker / "docker")}
    result = aws_home.run(cli, "ecr2", "configure-docker", "--registry", REGISTRY, env=env)
    line = one_line(result)
    assert str(blocker / "docker" / "config.json") in line, line
    assert "not a directory" in line.lower(), line
    assert blocker.read_text() == "a file\n"
