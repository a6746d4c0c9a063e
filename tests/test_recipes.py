"""docs/recipes.md, run as written: each fenced block after a ``<!-- test: NAME ... -->``
comment is run by the test of that name (the ``run:`` steps of a GitHub Actions job, the
``script:`` of a GitLab job, a CronJob's script, ``sh`` blocks as they are), beside AWS CLI v1
and v2 2.36 and the editable install's docker-credential-ecr2.

The recipes name real ECR hosts; they are reached on 127.0.0.1 only. The local ECR runs as the
HTTPS proxy (``HTTPS_PROXY``): it answers ECR's API at its real host, hands STS's hosts to moto
(AssumeRoleWithWebIdentity), and splices the registries' hosts to one real registry serving
TLS for those names (``registry_named_as_ecr``). Clients trust its CA through AWS_CA_BUNDLE and
SSL_CERT_FILE. What a test stands in for (GitHub's token endpoint, a cluster for ``kubectl
apply``, ``sudo``) is said in the comment before its block.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import (
    CLIS,
    KUBECTL,
    REPO,
    AwsHome,
    k8s_tool,
    registry_named_as_ecr,
    require,
    system_blob_cache_removed,
)
from tests.credential_world import moto_role_of
from tests.servers.credential_endpoints import Endpoint, _json
from tests.test_helm import CHART_VERSION, package_chart

RECIPES = REPO / "docs" / "recipes.md"
APP = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
BASE = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "recipe-Pa55word+/="
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MARKED = re.compile(r"^<!-- (?:(test): ([\w-]+)|(not run))[^\n]*-->\n```(\w+)\n(.*?)^```\n",
                    re.MULTILINE | re.DOTALL)
TESTED = {"github-actions", "gitlab-ci", "kubernetes-secret", "kubernetes-cronjob", "helm",
          "helm-login", "sudo-docker", "compose-buildx"}


def blocks(kind: str = "test") -> dict[str, list[tuple[str, str]]]:
    """Name -> [(language, text)] of the blocks marked ``kind`` ("not run" blocks have no name
    of their own: they are listed under "")."""
    found: dict[str, list[tuple[str, str]]] = {}
    for match in MARKED.finditer(RECIPES.read_text()):
        if (match.group(1) or match.group(3)) == kind:
            found.setdefault(match.group(2) or "", []).append((match.group(4), match.group(5)))
    return found


def block(name: str, language: str = "sh") -> str:
    [(lang, text)] = blocks()[name]
    assert lang == language, f"the {name} block is ```{lang}, expected ```{language}"
    return text


def test_every_block_says_whether_it_is_run():
    text = RECIPES.read_text()
    fences = re.findall(r"^```\w+\n", text, re.MULTILINE)
    marked = MARKED.findall(text)
    assert len(marked) == len(fences), "a block in docs/recipes.md has no test/not run comment"
    assert set(blocks()) == TESTED


# -- the world: the local ECR as the proxy, moto's STS, one registry under both ECR names ----


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str):
    root = tmp_path_factory.mktemp("recipes")
    with registry_named_as_ecr(root, PASSWORD, APP, BASE) as (ecr, registry):
        ecr.route_tunnel(r"sts(\.[a-z0-9-]+)?\.amazonaws\.com", moto_endpoint)
        registry.push_small_image("base", "1")
        yield ecr, registry


@pytest.fixture
def ecr(world):
    world[0].reset()
    return world[0]


@pytest.fixture
def registry(world):
    return world[1]


# AWS CLI v1 and v2 2.36 (what GitHub's and GitLab's images install), each the ``aws`` of the
# recipes; docker-credential-ecr2 is the editable install's (.venv/bin).
RECIPE_CLIS = [cli for cli in CLIS if cli.label in ("v1", "v2.36")]


@pytest.fixture(params=RECIPE_CLIS, ids=str)
def home(request: pytest.FixtureRequest, aws_home) -> AwsHome:
    cli = request.param
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    aws_home.cli = cli
    return aws_home


def recipe_env(home: AwsHome, ecr, *first: Path, **extra: str) -> dict[str, str]:
    """The AWS home's variables, the proxy and its CA, and on PATH: ``first``, then the test's
    AWS CLI, then docker-credential-ecr2 (.venv/bin), then the machine's."""
    return {**home.env, **ecr.proxy_env(), "SSL_CERT_FILE": str(ecr.ca_bundle),
            "PATH": os.pathsep.join([*map(str, first), str(home.cli.executable.parent),
                                     str(CLIS[0].executable.parent), os.environ["PATH"]]),
            **extra}


def run_shell(script: str, env: dict[str, str], cwd: Path,
              shell: tuple[str, ...] = ("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"),
              ) -> subprocess.CompletedProcess:
    require(shutil.which(shell[0]), f"{shell[0]} is not installed")
    result = subprocess.run([*shell, script], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=300, check=False, stdin=subprocess.DEVNULL)
    assert PASSWORD not in result.stdout + result.stderr
    assert base64.b64encode(f"AWS:{PASSWORD}".encode()).decode() not in result.stdout
    return result


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def roles_of(ecr) -> list[str | None]:
    """The roles (moto's STS issued their keys) whose credentials signed each ECR request."""
    return [moto_role_of(request.access_key_id) for request in ecr.requests]


def has_manifest(registry, repository: str, tag: str) -> bool:
    return registry.get(f"/v2/{repository}/manifests/{tag}",
                        headers={"Accept": OCI_MANIFEST}) == 200


def docker_config(root: Path) -> dict:
    return json.loads((root / ".docker" / "config.json").read_text())


def tools(*names: str) -> None:
    for name in names:
        require(shutil.which(name), f"{name} is not installed")


# -- GitHub Actions --------------------------------------------------------------------------


class GithubTokenEndpoint(Endpoint):
    """GitHub's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), locally: it answers any
    GET with {"value": JWT}."""

    JWT = "eyJ.github-actions.jwt"

    def answer(self, call):
        return _json(200, {"value": self.JWT})


NOT_RUN_STEPS = {"Install the plugin"}  # the test runs the suite's own install


def test_github_actions(home, ecr, registry, tmp_path):
    tools("skopeo", "curl", "jq")
    workflow = yaml.safe_load(block("github-actions", "yaml"))
    job = workflow["jobs"]["push"]
    steps = [step for step in job["steps"] if "run" in step]
    assert {step["name"] for step in steps} >= NOT_RUN_STEPS
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    job_env = {name: str(value).replace("${{ runner.temp }}", str(runner_temp))
               for name, value in job["env"].items()}
    assert not any("${{" in value for value in job_env.values())
    home.credentials_file.unlink()  # a runner has no keys: the web identity only
    sha = "4c1d1e5b0f3a2b6c7d8e9f00112233445566778899"
    with GithubTokenEndpoint() as github:
        env = recipe_env(home, ecr, **job_env, GITHUB_SHA=sha, RUNNER_TEMP=str(runner_temp),
                         ACTIONS_ID_TOKEN_REQUEST_URL=f"{github.url}/token?api-version=2.0",
                         ACTIONS_ID_TOKEN_REQUEST_TOKEN="github-request-token")
        outputs = {}
        with system_blob_cache_removed():
            for step in steps:
                if step["name"] not in NOT_RUN_STEPS:
                    outputs[step["name"]] = ok(run_shell(step["run"], env, home.root))
        [call] = github.calls
    assert call.headers["authorization"] == "bearer github-request-token"
    assert Path(job_env["AWS_WEB_IDENTITY_TOKEN_FILE"]).read_text().strip() == github.JWT

    table = outputs["docker-credential-ecr2 for both registries"]
    assert re.search(rf"\|\s*{re.escape(APP)}\s*\|\s*default\s*\|", table), table
    assert re.search(rf"\|\s*{re.escape(BASE)}\s*\|\s*base\s*\|", table), table
    assert docker_config(home.root) == {"credHelpers": {APP: "ecr2", BASE: "ecr2"}}
    assert f"ecr2_registry_profiles =\n    {BASE} = base\n" in home.config_file.read_text()
    assert has_manifest(registry, "app", sha)
    # get-login: one call per account; skopeo's pull and push: the helper, once per registry.
    roles = roles_of(ecr)
    assert sorted(set(roles)) == ["github-pull", "github-push"], roles
    assert roles.count("github-pull") == 2 and roles.count("github-push") == 2


# -- GitLab CI -------------------------------------------------------------------------------


def test_gitlab_ci(home, ecr, registry, tmp_path):
    tools("skopeo")
    job = yaml.safe_load(block("gitlab-ci", "yaml"))["push-image"]
    assert job["id_tokens"] == {"AWS_WEB_IDENTITY_TOKEN": {"aud": "sts.amazonaws.com"}}
    home.credentials_file.unlink()
    env = recipe_env(home, ecr, **{k: str(v) for k, v in job["variables"].items()},
                     AWS_WEB_IDENTITY_TOKEN="eyJ.gitlab.jwt", CI_COMMIT_SHORT_SHA="9f8e7d6c",
                     TMPDIR=str(tmp_path))
    with system_blob_cache_removed():
        ok(run_shell("\n".join(job["script"]), env, home.root))
    assert has_manifest(registry, "app", "9f8e7d6c")
    assert docker_config(home.root) == {"credHelpers": {APP: "ecr2"}}
    assert set(roles_of(ecr)) == {"gitlab-push"}


# -- Kubernetes ------------------------------------------------------------------------------


def kubectl_standin(directory: Path, applied: Path) -> Path:
    """A ``kubectl`` first on PATH: ``apply -f -`` (no cluster here) keeps the manifest in
    ``applied``; everything else is the real kubectl."""
    real = k8s_tool(KUBECTL)
    directory.mkdir()
    script = directory / "kubectl"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$*" = "apply -f -" ]; then cat > {shlex.quote(str(applied))}; '
        'echo "secret/ecr-pull configured"; exit 0; fi\n'
        f'exec {shlex.quote(str(real))} "$@"\n')
    script.chmod(0o755)
    return directory


def assert_pull_secret(applied: Path) -> None:
    secret = yaml.safe_load(applied.read_text())
    assert (secret["kind"], secret["type"]) == ("Secret", "kubernetes.io/dockerconfigjson")
    assert secret["metadata"]["name"] == "ecr-pull"
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    auth = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    assert config == {"auths": {APP: {"auth": auth}}}


def test_kubernetes_secret(home, ecr, tmp_path):
    applied = tmp_path / "applied.yaml"
    env = recipe_env(home, ecr, kubectl_standin(tmp_path / "bin", applied))
    assert ok(run_shell(block("kubernetes-secret"), env, home.root)) == (
        "secret/ecr-pull configured\n")
    assert_pull_secret(applied)
    assert len(ecr.requests) == 1


def test_kubernetes_cronjob(home, ecr, tmp_path):
    text = block("kubernetes-cronjob", "yaml")
    documents = list(yaml.safe_load_all(text))
    assert [document["kind"] for document in documents] == [
        "ServiceAccount", "Role", "RoleBinding", "CronJob"]
    account, _, _, cronjob = documents
    hours = re.fullmatch(r"0 \*/(\d+) \* \* \*", cronjob["spec"]["schedule"])
    assert hours and int(hours.group(1)) < 12  # well within a token's 12 hours
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    [container] = pod["containers"]
    [script] = container["args"]
    # What EKS gives the pod for the annotated service account: a web identity.
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    token = tmp_path / "eks-token"
    token.write_text("eyJ.eks.jwt")
    home.credentials_file.unlink()
    applied = tmp_path / "applied.yaml"
    env = recipe_env(home, ecr, kubectl_standin(tmp_path / "bin", applied),
                     AWS_ROLE_ARN=role_arn, AWS_WEB_IDENTITY_TOKEN_FILE=str(token))
    ok(run_shell(script, env, home.root, shell=tuple(container["command"])))
    assert_pull_secret(applied)
    assert roles_of(ecr) == ["ecr-pull-refresher"]


# -- Helm ------------------------------------------------------------------------------------


def test_helm(home, ecr, helm, tmp_path):
    work = tmp_path / "work"
    chart = package_chart(work)
    packaged = chart.read_bytes()
    env = recipe_env(home, ecr, helm.parent)
    result = run_shell(block("helm"), env, work)
    ok(result)
    output = result.stdout + result.stderr
    assert f"Pushed: {APP}/charts/mychart:{CHART_VERSION}" in output
    assert f"Pulled: {APP}/charts/mychart:{CHART_VERSION}" in output
    assert chart.read_bytes() == packaged  # helm pull wrote it anew
    assert len(ecr.requests) == 1  # the helper's miss; push and pull share its token
    helm_config = home.root / ".config" / "helm" / "registry" / "config.json"
    assert json.loads(helm_config.read_text()) == {"credHelpers": {APP: "ecr2"}}
    assert set(ecr.tunnels) == {APP}


def test_helm_login(home, ecr, helm):
    env = recipe_env(home, ecr, helm.parent)
    assert ok(run_shell(block("helm-login"), env, home.root)) == (
        f"Logged in to {APP} with helm; the token expires in 12 hours\n")


# -- sudo docker -----------------------------------------------------------------------------

SECURE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def sudo_standin(root_home: Path, env: dict[str, str]) -> str:
    """A shell function ``sudo -H CMD...``: CMD with an empty environment but HOME (root's),
    sudo's secure_path, and what reaches the local endpoint (which root, on a real host,
    reaches without it)."""
    keep = {"HOME": str(root_home), "PATH": SECURE_PATH, "LC_ALL": "C.UTF-8",
            "AWS_EC2_METADATA_DISABLED": "true",
            **{name: env[name] for name in ("HTTPS_PROXY", "AWS_CA_BUNDLE", "SSL_CERT_FILE")}}
    assignments = " ".join(shlex.quote(f"{name}={value}") for name, value in keep.items())
    return ('sudo() {\n  [ "$1" = -H ] || { echo "the stand-in knows sudo -H only" >&2; '
            f'return 2; }}\n  shift\n  env -i {assignments} "$@"\n}}\n')


def test_sudo_docker(home, ecr, tmp_path, plugin_config_text):
    root = AwsHome(tmp_path / "root-home", plugin_config_text)  # root's own ~/.aws
    env = recipe_env(home, ecr)
    prelude = sudo_standin(root.root, env)
    output = ok(run_shell(prelude + block("sudo-docker"), env, home.root))
    assert output == (f"Created {root.root}/.docker/config.json:\n  + credHelpers: {APP} = ecr2\n"
                      "root's docker gets ECR credentials\n")
    assert docker_config(root.root) == {"credHelpers": {APP: "ecr2"}}
    assert not (home.root / ".docker").exists()  # yours is untouched
    assert len(ecr.requests) == 1
    # Without the PATH: sudo's secure_path has no docker-credential-ecr2.
    if not any(Path(d, "docker-credential-ecr2").exists() for d in SECURE_PATH.split(":")):
        missing = run_shell(prelude + f"echo {APP} | sudo -H docker-credential-ecr2 get",
                            env, home.root)
        assert missing.returncode == 127


# -- docker compose and buildx ---------------------------------------------------------------


def test_compose_buildx(home, ecr):
    tools("jq")
    env = recipe_env(home, ecr)
    assert ok(run_shell(block("compose-buildx"), env, home.root)).endswith("= ecr2\nAWS\n")
    assert docker_config(home.root) == {"credHelpers": {APP: "ecr2"}}
    [compose] = [text for lang, text in blocks("not run")[""] if lang == "yaml"]
    image = yaml.safe_load(compose)["services"]["web"]["image"]
    assert image.split("/", 1)[0] in docker_config(home.root)["credHelpers"]
    assert len(ecr.requests) == 1
