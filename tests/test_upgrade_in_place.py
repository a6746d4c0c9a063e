"""A home set up by 0.1.0, upgraded in place (issue 20): its [plugins] lines (the package's own
directory as cli_legacy_plugin_path, the v1 guard by its 0.1.0 module path) and its token cache
keep working beside every CLI with no new ``install``: each serves the entry 0.1.0 wrote, which
stays byte for byte as it was, and so does the credential helper."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from tests.conftest import REPO, identity_from_environment, require

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
OLD_PASSWORD = "password-cached-by-0.1.0"
CONFIG_OF_0_1_0 = ("[default]\nregion = eu-west-1\n\n[plugins]\necr2 = awscli_ecr_login_ext\n"
                   "ecr2_v1_guard = awscli_ecr_login_ext.v1_path_guard\n"
                   f"cli_legacy_plugin_path = {REPO}\n")


def entry_of_0_1_0(aws_home, endpoint_url: str) -> tuple[Path, bytes]:
    """The file 0.1.0 writes for this home's default profile, built from the format as 0.1.0
    documents it (not from today's code): its name is the SHA-256 of the canonical JSON of the
    key fields and the version; its content json.dumps(..., separators=(",", ":"))."""
    identity = identity_from_environment(aws_home.env)
    fields = {"partition": "aws", "region": "eu-west-1", "variant": "standard",
              "public": False, "identity": identity.key, "endpoint_url": endpoint_url}
    name = hashlib.sha256(json.dumps({**fields, "version": 1}, sort_keys=True,
                                     separators=(",", ":")).encode("ascii")).hexdigest()
    now = time.time()
    data = json.dumps({
        "version": 1,
        "for": {**fields, "identity_label": identity.label},
        "token": base64.b64encode(f"AWS:{OLD_PASSWORD}".encode()).decode("ascii"),
        "expires_at": now + 11 * 3600, "fetched_at": now - 3600,
        "proxy_endpoint": f"https://{PRIVATE}"}, separators=(",", ":")).encode("utf-8")
    directory = aws_home.root / ".aws" / "ecr2" / "cache"
    directory.mkdir(mode=0o700, parents=True)
    path = directory / f"{name}.json"
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path, data


def test_a_0_1_0_home_is_served_from_its_cache_with_no_new_install(aws_home, cli, fake_ecr):
    aws_home.config_file.write_text(CONFIG_OF_0_1_0)
    path, data = entry_of_0_1_0(aws_home, fake_ecr.url)
    got = aws_home.run(cli, "ecr2", "get-login-password", "--cache", "--endpoint-url",
                       fake_ecr.url)
    assert (got.returncode, got.stdout) == (0, OLD_PASSWORD + "\n"), got.stderr
    assert fake_ecr.requests == []
    assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".json") == [path.name]
    assert path.read_bytes() == data
    if cli.label == "v1":  # the helper beside the package's own aws
        require(HELPER.exists(), f"{HELPER} not installed (make venv)")
        env = {**aws_home.env, "AWS_ENDPOINT_URL": fake_ecr.url,
               "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
        helped = subprocess.run([str(HELPER), "get"], input=PRIVATE, capture_output=True,
                                text=True, env=env, timeout=120, check=False)
        assert helped.returncode == 0, helped.stderr
        assert json.loads(helped.stdout)["Secret"] == OLD_PASSWORD
        assert fake_ecr.requests == [] and path.read_bytes() == data
