"""One profile per registry through docker-credential-ecr2: a `docker manifest inspect` of an
image in the tools account, then one in the prod account, in one shell with no AWS_PROFILE set:
the helper (installed by pipx) gets each registry's token signed by its mapped profile, beside
each CLI of the suite, and each real registry accepts only its own principal's password."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import ACCESS_KEY_ID, CLIS, SECRET_ACCESS_KEY, require, start_registry
from tests.servers.fake_ecr import FakeEcr
from tests.test_registry_profiles_cli import KEYS, PRINCIPALS, PROD, REGION, TOOLS, USERS


@pytest.mark.parametrize("cli", CLIS, ids=str)
def test_docker_pulls_from_tools_and_prod_each_as_its_mapped_profile(aws_home, cli, tmp_path,
                                                                      pipx_helper):
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    docker = shutil.which("docker")
    require(docker, "docker CLI not installed")
    require(shutil.which("openssl"), "openssl is not installed")
    tools = start_registry(tmp_path / "tools", FakeEcr.password_for("tools-user"))
    prod = start_registry(tmp_path / "prod", FakeEcr.password_for("prod-user"))
    ecr = FakeEcr(principals=PRINCIPALS)
    ecr.enable_proxy(tmp_path / "ca")
    with tools, prod, ecr:
        images = [tools.push_small_image("base", "v1"), prod.push_small_image("app", "v1")]
        aws_home.credentials_file.write_text(
            f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\n"
            f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n" + "".join(
                f"\n[{profile}]\naws_access_key_id = {KEYS[user]}\n"
                f"aws_secret_access_key = secret-of-{user}\n" for profile, user in USERS.items()))
        aws_home.write_config(
            f"[default]\nregion = {REGION}\n"
            f"ecr2_registry_aliases =\n    {tools.host} = {TOOLS}\n    {prod.host} = {PROD}\n"
            f"ecr2_registry_profiles =\n    {TOOLS} = tools\n    {PROD} = prod\n")
        docker_config = tmp_path / "docker"
        docker_config.mkdir()
        (docker_config / "config.json").write_text(
            json.dumps({"credHelpers": {tools.host: "ecr2", prod.host: "ecr2"}}))
        env = {**aws_home.env, **ecr.proxy_env(), "DOCKER_CONFIG": str(docker_config),
               "PATH": os.pathsep.join([str(pipx_helper.parent), str(cli.executable.parent),
                                        os.environ.get("PATH", "")])}
        if cli.configured_endpoints:  # v2.9 reaches ECR's real host, through the proxy
            env["AWS_ENDPOINT_URL_ECR"] = ecr.url
        assert "AWS_PROFILE" not in env and "AWS_DEFAULT_PROFILE" not in env
        for image in images:
            result = subprocess.run([docker, "manifest", "inspect", "--insecure", image],
                                    capture_output=True, text=True, env=env, timeout=180,
                                    stdin=subprocess.DEVNULL, check=False)
            assert result.returncode == 0, result.stdout + result.stderr
            assert json.loads(result.stdout)["schemaVersion"] == 2
        assert sorted(r.principal for r in ecr.requests) == ["prod-user", "tools-user"]
