"""`make demo` (python -m demo) shows the product: a line per AWS CLI, get-login's table for
two registries in two accounts, configure-docker and a fetch through docker-credential-ecr2
with no stored password, the warm cache answering with no request, and a login into helm; and
none of docker's noise (its unencrypted-password warning, its endpoint log lines)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from demo.__main__ import APP, BASE, BASE_KEYS, PASSWORD
from tests.conftest import ACCESS_KEY_ID, CLIS, HELMS, REPO, clean_environment, k8s_tool, require

NOISE = ["WARNING!", "unencrypted", "level=info", "Error logging in", "FAILED"]


def test_make_demo_shows_the_product(tmp_path):
    for tool in ("openssl", "skopeo", "/usr/bin/docker-registry"):
        require(shutil.which(tool), f"{tool} is not installed")
    k8s_tool(HELMS["helm3"])
    result = subprocess.run([sys.executable, "-m", "demo"], cwd=REPO,
                            env=clean_environment(tmp_path), capture_output=True, text=True,
                            timeout=600, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert result.stderr == ""
    for noise in NOISE:
        assert noise not in out
    assert PASSWORD not in out
    # 1. a line per CLI
    for cli in CLIS:
        require(cli.executable.exists(), f"AWS CLI {cli} not found")
        assert re.search(rf"^  {re.escape(cli.label)} +aws-cli/\S+ +a password of "
                         rf"{len(PASSWORD)} characters, valid 12 hours$", out, re.MULTILINE), out
    # 2. two registries, two accounts, one through its profile
    assert re.search(rf"\|\s+{re.escape(APP)}\s+\|\s+123456789012\s+\|\s+default\s+\|", out), out
    assert re.search(rf"\|\s+{re.escape(BASE)}\s+\|\s+210987654321\s+\|\s+base\s+\|", out), out
    assert f"a call for eu-west-1, signed with {ACCESS_KEY_ID}" in out
    assert f"a call for us-east-1, signed with {BASE_KEYS[0]}" in out
    # 3. configure-docker; the fetch through the helper; no password in config.json
    assert f"  + credHelpers: {APP} = ecr2\n  + credHelpers: {BASE} = ecr2\n" in out
    config = out[out.index("$ cat ~/.docker/config.json"):out.index("no \"auths\"")]
    assert "credHelpers" in config and "auths" not in config
    assert '  no "auths": docker keeps no password' in out
    digests = re.findall(r"^sha256:[0-9a-f]{64}$", out, re.MULTILINE)
    assert len(digests) == 2 and len(set(digests)) == 1
    assert "the helper's first answer: 1 request to the local ECR" in out
    # 4. the warm cache
    counts = re.search(r"requests at the local ECR: (\d+) before, (\d+) after", out)
    assert counts and counts.group(1) == counts.group(2), out
    # 5. a login into another client
    assert f"Logged in to {APP} with helm; the token expires in 12 hours\n" in out
