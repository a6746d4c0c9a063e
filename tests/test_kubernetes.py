"""Kubernetes image pull secrets from `aws ecr2 get-login --docker-config`, checked by the real
kubectl 1.35 (client-side dry runs: no cluster), beside every CLI of the suite; and the
Kubernetes example of docs/usage.md, run verbatim (docs/tested-examples.md)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import KUBECTL, REPO, k8s_tool, require
from tests.servers.fake_ecr import FakeEcr

PASSWORD = "kube-secret-Pa55word+/="
ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
OTHER = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
USAGE_BLOCK = re.compile(r"^### Kubernetes\n.*?^```sh\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def ecr(tmp_path_factory: pytest.TempPathFactory):
    """The local ECR, also as the HTTPS proxy for Debian's v2.9 (no AWS_ENDPOINT_URL_ECR)."""
    require(shutil.which("openssl"), "openssl is not installed")
    server = FakeEcr(password=PASSWORD)
    server.enable_proxy(tmp_path_factory.mktemp("kubernetes-ca"))
    with server:
        yield server


@pytest.fixture
def kubectl() -> str:
    return str(k8s_tool(KUBECTL))


def env_beside(aws_home, cli, ecr: FakeEcr) -> dict[str, str]:
    env = {**aws_home.env, **ecr.proxy_env(),
           "PATH": os.pathsep.join([str(KUBECTL.parent), str(cli.executable.parent),
                                    os.environ["PATH"]])}
    if cli.configured_endpoints:
        env["AWS_ENDPOINT_URL_ECR"] = env["AWS_ENDPOINT_URL_ECR_PUBLIC"] = ecr.url
    return env


def kubectl_json(kubectl: str, *args: str, env: dict, input: str | None = None) -> dict:
    result = subprocess.run([kubectl, *args, "--dry-run=client", "--output=json"], input=input,
                            capture_output=True, text=True, env=env, timeout=60, check=False,
                            stdin=None if input is not None else subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def docker_registry_auth(kubectl: str, server: str, env: dict) -> str:
    """The ``auth`` kubectl's own `create secret docker-registry` builds from the password (a
    throwaway one: this is the form that puts it on a command line)."""
    secret = kubectl_json(kubectl, "create", "secret", "docker-registry", "ref",
                          f"--docker-server={server}", "--docker-username=AWS",
                          f"--docker-password={PASSWORD}", env=env)
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    return config["auths"][server]["auth"]


def test_get_login_docker_config_is_a_pull_secret_kubectl_accepts(aws_home, cli, ecr, kubectl):
    require(cli.executable.exists(), f"AWS CLI {cli} not found")
    ecr.reset()
    env = env_beside(aws_home, cli, ecr)
    result = aws_home.run(cli, "ecr2", "get-login", "--docker-config", "--output", "json",
                          "--endpoint-url", ecr.url, "--registry", ECR_HOST, OTHER, "--public",
                          env=env)
    assert result.returncode == 0, result.stderr
    path = aws_home.root / "dockerconfig.json"
    path.write_text(result.stdout)
    secret = kubectl_json(kubectl, "create", "secret", "generic", "ecr-pull",
                          "--type=kubernetes.io/dockerconfigjson",
                          f"--from-file=.dockerconfigjson={path}", env=env)
    assert (secret["kind"], secret["type"]) == ("Secret", "kubernetes.io/dockerconfigjson")
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert sorted(auths) == sorted([ECR_HOST, OTHER, "public.ecr.aws"])
    for server, entry in auths.items():
        assert entry == {"auth": docker_registry_auth(kubectl, server, env)}
    assert len(ecr.requests) == 3  # eu-west-1, us-east-1, ECR Public


def test_the_usage_page_example_verbatim(aws_home, cli, ecr, kubectl):
    require(cli.executable.exists(), f"AWS CLI {cli} not found")
    require(shutil.which("bash"), "bash is not installed")
    ecr.reset()
    match = USAGE_BLOCK.search((REPO / "docs" / "usage.md").read_text())
    assert match, "docs/usage.md has no ```sh block under ### Kubernetes"
    env = env_beside(aws_home, cli, ecr)
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", match.group(1)], env=env,
                            cwd=aws_home.root, capture_output=True, text=True, timeout=120,
                            check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stderr
    secret = yaml.safe_load(result.stdout)
    assert secret["kind"] == "Secret"
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"]["name"] == "ecr-pull"
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    assert config == {"auths": {ECR_HOST: {"auth": docker_registry_auth(kubectl, ECR_HOST, env)}}}
    assert [r.signing_region for r in ecr.requests] == ["eu-west-1"]
    assert list(aws_home.root.iterdir()) == [aws_home.root / ".aws"]  # no file written
