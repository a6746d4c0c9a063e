"""The real helm 3 and helm 4 against a chart registry in ECR: `aws ecr2 login --tool helm`, and
`aws ecr2 configure-docker --helm` with no login at all (docker-credential-ecr2 answers helm).

helm addresses the registry by its ECR name over HTTPS. The world: a real registry
(``LocalRegistry``) serving TLS with a certificate for the ECR host from a throwaway CA, the
local ECR (``FakeEcr``) issuing exactly the password that registry accepts and acting as the
HTTPS proxy: a ``CONNECT`` to the ECR host is spliced to the registry (helm's TLS session is
with the registry itself), one to ECR's API host is answered by the fake (AWS CLI v2.9, which
knows no ``AWS_ENDPOINT_URL_ECR``). helm trusts the CA through ``SSL_CERT_FILE``; nothing leaves
127.0.0.1. One registry, CA and chart serve the module; each test pushes to a repository of its
own.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import stat
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cli.tools import TOOLS, run_login
from awscli_ecr_login_ext.setup.docker_config import helm_registry_config_path
from tests.conftest import ACCESS_KEY_ID, Cli, registry_named_as_ecr, require
from tests.servers.docker_registry import LocalRegistry
from tests.servers.fake_ecr import FakeEcr

ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
PASSWORD = "helm-chart-Pa55word+/="  # what the local ECR issues and the registry accepts
CHART_VERSION = "0.1.0"
CHART_FILES = {
    "Chart.yaml": ("apiVersion: v2\nname: mychart\ndescription: a chart kept in ECR\n"
                   f"type: application\nversion: {CHART_VERSION}\n"),
    "values.yaml": "greeting: hello from ECR\n",
    "templates/configmap.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                 "  name: {{ .Release.Name }}-greeting\n"
                                 "data:\n  greeting: {{ .Values.greeting | quote }}\n"),
}


def package_chart(directory: Path) -> Path:
    """mychart-0.1.0.tgz, as `helm package` lays it out (one top directory, the chart's name)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"mychart-{CHART_VERSION}.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in CHART_FILES.items():
            data = text.encode()
            info = tarfile.TarInfo(f"mychart/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return path


@dataclass
class ChartWorld:
    ecr: FakeEcr
    registry: LocalRegistry
    chart: Path

    def env(self, aws_home, helm: Path, cli: Cli, *first: Path) -> dict[str, str]:
        """The AWS home's variables, the proxy, helm's CA, and on PATH: ``first``, helm, the
        CLI (the ``aws`` a helper miss runs), the rest."""
        return {**aws_home.env, **self.ecr.proxy_env(), "SSL_CERT_FILE": str(self.ecr.ca_bundle),
                "PATH": os.pathsep.join([*map(str, first), str(helm.parent),
                                         str(cli.executable.parent), os.environ["PATH"]])}


@pytest.fixture(scope="module")
def chart_world(tmp_path_factory: pytest.TempPathFactory) -> ChartWorld:
    root = tmp_path_factory.mktemp("helm")
    with registry_named_as_ecr(root, PASSWORD, ECR_HOST) as (ecr, registry):
        yield ChartWorld(ecr, registry, package_chart(root / "chart"))


@pytest.fixture
def world(chart_world: ChartWorld) -> ChartWorld:
    chart_world.ecr.reset()
    return chart_world


def run(argv: list, env: dict[str, str], cwd: Path, input: str | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in argv], env=env, cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=180, check=False,
                          stdin=None if input is not None else subprocess.DEVNULL)


def repository(kind: str, cli: Cli, helm: Path) -> str:
    return f"oci://{ECR_HOST}/{kind}/{cli.label}-{helm.parent.name}"


def no_password_in_files(*roots: Path) -> None:
    """No file under ``roots`` holds the password in any form, but the helper's token cache
    (by design, mode 0600)."""
    forms = [PASSWORD.encode(), base64.b64encode(f"AWS:{PASSWORD}".encode())]
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            if ".aws/ecr2/cache" in str(path):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                continue
            data = path.read_bytes()
            assert not any(form in data for form in forms), path


# -- aws ecr2 login --tool helm -----------------------------------------------------------


def test_login_tool_helm_then_push_and_pull(aws_home, cli, helm, world):
    require(cli.executable.exists(), f"AWS CLI {cli} not found")
    env = world.env(aws_home, helm, cli)
    result = aws_home.run(cli, "ecr2", "login", "--tool", "helm", "--endpoint-url", world.ecr.url,
                          "--registry", ECR_HOST, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Logged in to {ECR_HOST} with helm; the token expires in 12 hours\n"
    assert PASSWORD not in result.stdout + result.stderr
    assert len(world.ecr.requests) == 1
    # helm's own login: its registry configuration keeps the password, as helm does.
    config = aws_home.root / ".config" / "helm" / "registry" / "config.json"
    auth = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    assert json.loads(config.read_text())["auths"][ECR_HOST]["auth"] == auth

    repo = repository("login", cli, helm)
    push = run([helm, "push", world.chart, repo], env, aws_home.root)
    assert push.returncode == 0, push.stderr
    assert f"Pushed: {repo[len('oci://'):]}/mychart:{CHART_VERSION}" in push.stdout + push.stderr
    pulled = aws_home.root / "pulled"
    pulled.mkdir()
    pull = run([helm, "pull", f"{repo}/mychart", "--version", CHART_VERSION, "-d", pulled], env,
               aws_home.root)
    assert pull.returncode == 0, pull.stderr
    assert (pulled / world.chart.name).read_bytes() == world.chart.read_bytes()
    assert set(world.ecr.tunnels) == {ECR_HOST}  # over TLS, by the ECR name
    assert len(world.ecr.requests) == 1


def test_login_with_a_refused_password_fails_with_helms_words(aws_home, helm, world):
    from tests.conftest import CLIS

    cli = CLIS[0]
    require(cli.executable.exists(), f"AWS CLI {cli} not found")
    world.ecr.password = "not-the-registry-password"
    try:
        result = aws_home.run(cli, "ecr2", "login", "--tool", "helm", "--endpoint-url",
                              world.ecr.url, "--registry", ECR_HOST,
                              env=world.env(aws_home, helm, cli))
    finally:
        world.ecr.password = PASSWORD
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"Login to {ECR_HOST} with helm failed" in result.stderr
    assert "401" in result.stderr or "unauthorized" in result.stderr.lower()
    assert "not-the-registry-password" not in result.stderr
    assert not (aws_home.root / ".config" / "helm" / "registry" / "config.json").exists()


def test_run_login_stops_a_helm_that_hangs(helm, tmp_path):
    """A registry that accepts the connection and never answers: the real helm is stopped
    after the timeout and reported as timed out (124)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # the kernel completes the handshake; nobody ever reads
        registry = f"127.0.0.1:{listener.getsockname()[1]}"
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
        result = run_login(TOOLS["helm"], str(helm), registry, PASSWORD, env=env, timeout=2)
    assert (result.ok, result.returncode) == (False, 124)
    assert "helm login did not finish within 2 seconds" in result.output
    assert PASSWORD not in result.output


# -- aws ecr2 configure-docker --helm: no login ------------------------------------------


def test_configure_docker_helm_serves_push_pull_template_and_dependencies(aws_home, cli, helm,
                                                                          world, pipx_helper):
    """After configure-docker --helm, helm gets every credential from docker-credential-ecr2:
    push, pull, template of an oci:// chart and a dependency update of a chart depending on
    it, with one ECR request in all (the helper's first miss; the rest are cache hits)."""
    require(cli.executable.exists(), f"AWS CLI {cli} not found")
    env = world.env(aws_home, helm, cli, pipx_helper.parent)
    if cli.configured_endpoints:  # v2.9 reaches ECR's real API host, through the proxy
        env["AWS_ENDPOINT_URL_ECR"] = world.ecr.url
    repo = repository("helper", cli, helm)
    home = aws_home.root

    refused = run([helm, "push", world.chart, repo], env, home)
    assert refused.returncode != 0  # no login, no helper yet

    result = aws_home.run(cli, "ecr2", "configure-docker", "--helm", "--registry", ECR_HOST,
                          env=env)
    assert result.returncode == 0, result.stderr
    docker_file = home / ".docker" / "config.json"
    helm_file = home / ".config" / "helm" / "registry" / "config.json"
    assert result.stdout == (f"Created {docker_file}:\n  + credHelpers: {ECR_HOST} = ecr2\n"
                             f"Created {helm_file}:\n  + credHelpers: {ECR_HOST} = ecr2\n")
    assert json.loads(helm_file.read_text()) == {"credHelpers": {ECR_HOST: "ecr2"}}
    assert world.ecr.requests == []  # configure-docker calls nothing

    push = run([helm, "push", world.chart, repo], env, home)
    assert push.returncode == 0, push.stdout + push.stderr
    pulled = home / "pulled"
    pulled.mkdir()
    pull = run([helm, "pull", f"{repo}/mychart", "--version", CHART_VERSION, "-d", pulled], env,
               home)
    assert pull.returncode == 0, pull.stderr
    assert (pulled / world.chart.name).read_bytes() == world.chart.read_bytes()
    template = run([helm, "template", "web", f"{repo}/mychart", "--version", CHART_VERSION],
                   env, home)
    assert template.returncode == 0, template.stderr
    assert "name: web-greeting" in template.stdout
    assert 'greeting: "hello from ECR"' in template.stdout
    # one request for push, pull and template in a row
    assert [r.access_key_id for r in world.ecr.requests] == [ACCESS_KEY_ID]

    parent = home / "umbrella"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umbrella\nversion: 1.0.0\ndependencies:\n"
        f"  - name: mychart\n    version: {CHART_VERSION}\n    repository: {repo}\n")
    update = run([helm, "dependency", "update", parent], env, home)
    assert update.returncode == 0, update.stdout + update.stderr
    assert (parent / "charts" / world.chart.name).read_bytes() == world.chart.read_bytes()

    assert len(world.ecr.requests) == 1
    assert set(world.ecr.tunnels) == {ECR_HOST}
    assert json.loads(helm_file.read_text()) == {"credHelpers": {ECR_HOST: "ecr2"}}
    no_password_in_files(home)


# -- where helm keeps its registry configuration ------------------------------------------


@pytest.mark.parametrize("variables", [
    {},
    {"XDG_CONFIG_HOME": "{root}/xdg"},
    {"XDG_CONFIG_HOME": "{root}/xdg", "HELM_CONFIG_HOME": "{root}/helm-home"},
    {"HELM_CONFIG_HOME": "{root}/helm-home", "HELM_REGISTRY_CONFIG": "{root}/registry.json"},
], ids=["default", "xdg", "helm-config-home", "helm-registry-config"])
def test_the_path_is_the_one_helm_reads(helm, tmp_path, variables):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
           **{name: value.format(root=tmp_path) for name, value in variables.items()}}
    result = run([helm, "env", "HELM_REGISTRY_CONFIG"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(helm_registry_config_path(env, "linux"))
