"""The plugin is imported by every `aws` command: it must load nothing heavy until `ecr2` runs."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import CLIS, REPO

PROBE = """
import awscli_ecr_login_ext as plugin
class Emitter:
    def __init__(self): self.calls = []
    def register(self, event, handler, unique_id=None): self.calls.append((event, unique_id))
emitter = Emitter()
plugin.awscli_initialize(emitter)
plugin.awscli_initialize(emitter)
print(emitter.calls)
"""


def imported_modules(stderr: str) -> list[str]:
    return [line.split("|")[-1].strip() for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line]


def test_importing_and_initialising_loads_no_cli_or_botocore_module():
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE],
                            capture_output=True, text=True, cwd=REPO, check=True)
    modules = imported_modules(result.stderr)
    assert "awscli_ecr_login_ext" in modules
    heavy = [m for m in modules if m.split(".")[0] in ("awscli", "botocore", "jmespath")
             or m.startswith("awscli_ecr_login_ext.")]
    assert heavy == []
    # both calls register, each under the same unique id, so the emitter keeps one
    assert result.stdout.count("building-command-table.main") == 2
    assert result.stdout.count("awscli-ecr-login-ext:ecr2") == 2


def test_an_unrelated_command_never_loads_the_command_implementations(aws_home, moto_endpoint):
    v1 = CLIS[0]
    result = subprocess.run(
        [str(v1.python), "-X", "importtime", str(v1.executable), "sts", "get-caller-identity",
         "--endpoint-url", moto_endpoint],
        check=False, capture_output=True, text=True, env=aws_home.env, cwd=aws_home.root)
    assert result.returncode == 0, result.stderr[-2000:]
    modules = imported_modules(result.stderr)
    assert "awscli_ecr_login_ext" in modules
    ours = [m for m in modules if m.startswith("awscli_ecr_login_ext.")]
    # the guard that lets v1 survive v2's plugin-path line (its finder is the redirect's, the
    # one place of that rule) is the only other module
    assert sorted(ours) == ["awscli_ecr_login_ext.setup", "awscli_ecr_login_ext.setup.redirect",
                            "awscli_ecr_login_ext.v1_path_guard"]
