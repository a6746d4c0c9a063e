"""Help pages rendered by each CLI's own help machinery (docutils, then groff or mandoc)."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import require


def rendered(result) -> str:
    return re.sub(".\b", "", result.stdout)  # undo man's overstrike bold


@pytest.mark.parametrize("words, name_line, expected", [
    (["ecr2", "help"], "ecr2 - Amazon ECR registry credentials for container clients",
     ["get-login-password"]),
    (["ecr2", "get-login-password", "help"],
     "get-login-password - Print a password that logs a container client in to Amazon ECR",
     ["--no-sign-request", "--endpoint-url", "docker login --username AWS --password-stdin"]),
    (["ecr2", "configure-docker", "help"],
     ("configure-docker - Make docker, podman, buildah, skopeo and helm get ECR credentials "
      "from docker-credential-ecr2"),
     ["--helm (boolean)", "$HELM_REGISTRY_CONFIG", "aws ecr2 configure-docker --helm"]),
])
def test_help_renders_with_summary_and_examples(aws_home, cli, words, name_line, expected):
    require(shutil.which("groff") or shutil.which("mandoc"), "groff or mandoc is not installed")
    result = aws_home.run(cli, *words, env={"MANPAGER": "cat", "PAGER": "cat", "COLUMNS": "200",
                                            "MANWIDTH": "200"})
    page = rendered(result)
    assert result.returncode == 0, result.stderr
    flat = " ".join(page.split())
    assert "NAME" in page
    assert name_line in flat
    for text in expected:
        assert text in flat


def test_aws_help_lists_ecr2(aws_home, cli):
    require(shutil.which("groff") or shutil.which("mandoc"), "groff or mandoc is not installed")
    result = aws_home.run(cli, "help", env={"MANPAGER": "cat", "PAGER": "cat"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s*o ecr2$", rendered(result), re.MULTILINE)


def test_group_without_subcommand_is_a_usage_error(aws_home, cli):
    result = aws_home.run(cli, "ecr2")
    assert result.stdout == ""
    assert "usage: aws [options] ecr2 <subcommand> [parameters]" in result.stderr
    assert result.returncode == (252 if cli.major >= 2 else 255)
