"""AWS_ECR2_DEBUG=1: when the ``aws`` a miss runs stores its token under another cache key than
the helper predicts (so that every pull runs it), the helper says so in one line (issue 20)."""

from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import REPO, require

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
V1 = REPO / ".venv" / "bin" / "aws"
PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def get(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(HELPER), "get"], input=PRIVATE, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_child_that_keys_otherwise_is_one_debug_line(aws_home, fake_ecr, tmp_path):
    require(HELPER.exists(), f"{HELPER} not installed (make venv)")
    # The user's aws sees the endpoint with a trailing slash: its cache key differs from the
    # helper's, which reads AWS_ENDPOINT_URL as it is.
    wrapper = tmp_path / "aws"
    wrapper.write_text(f'#!/bin/sh\nAWS_ENDPOINT_URL="$AWS_ENDPOINT_URL/" exec {V1} "$@"\n')
    wrapper.chmod(0o755)
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url, "AWS_ECR2_CLI": str(wrapper)}

    quiet = get(env)
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["Secret"] == fake_ecr.password
    assert quiet.stderr == ""
    again = get({**env, "AWS_ECR2_DEBUG": "1"})
    assert again.returncode == 0, again.stderr
    # The second pull missed too: it ran the child again (which served its own entry).
    assert len(fake_ecr.requests) == 1
    assert again.stderr == (
        "docker-credential-ecr2: debug: the AWS CLI stored its token under another cache key "
        f"than this helper predicts: endpoint_url '{fake_ecr.url}/' (predicted "
        f"'{fake_ecr.url}'); every pull runs it\n")


def test_no_debug_line_when_the_keys_agree(aws_home, fake_ecr):
    require(HELPER.exists(), f"{HELPER} not installed (make venv)")
    env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url, "AWS_ECR2_DEBUG": "1",
           "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    for _ in range(2):
        result = get(env)
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert len(fake_ecr.requests) == 1
