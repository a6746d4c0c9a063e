"""Real container clients logging in to a real password-protected registry on 127.0.0.1.

Each test runs the clients as a throwaway user (``client_env``): its own HOME,
DOCKER_CONFIG, XDG dirs, registries.conf and containers storage, so the real
user's ~/.docker and ~/.config/containers are never read or written.

A missing client or registry binary skips the test, or fails it under CI=true.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cli.tools import LoginTool, ToolError, find_tool, run_login
from tests.conftest import start_registry, unavailable
from tests.servers.docker_registry import LocalRegistry, MissingBinary, client_env

PASSWORD = "s3cret-token"
WRONG_PASSWORD = "wr0ng-s3cret-token"
CLIENTS = ["docker", "skopeo", "podman", "buildah"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> LocalRegistry:
    local = start_registry(tmp_path_factory.mktemp("registry"), PASSWORD)
    yield local
    local.stop()


@pytest.fixture(scope="module")
def pushed_image(registry: LocalRegistry) -> str:
    try:
        return registry.push_small_image("hello", "v1")
    except MissingBinary as exc:
        unavailable(str(exc))


@pytest.fixture
def env(tmp_path: Path, registry: LocalRegistry) -> dict[str, str]:
    return client_env(tmp_path / "home", registry)


# Where the clients keep state when not isolated (root defaults, and the real user's home).
GLOBAL_STATE = [
    Path("/var/lib/containers"),
    Path("/run/containers"),
    Path("/run/libpod"),
    Path("/dev/shm/libpod_lock"),
    Path.home() / ".docker" / "config.json",
    Path.home() / ".config" / "containers" / "auth.json",
    Path.home() / ".local" / "share" / "containers",
]


@pytest.fixture
def no_global_state() -> None:
    """Fail if a test creates client state outside its temporary home."""
    before = {path for path in GLOBAL_STATE if path.exists()}
    yield
    created = sorted(str(path) for path in GLOBAL_STATE if path.exists() and path not in before)
    assert not created, f"clients wrote state outside the temporary home: {created}"


def locate(name: str, env: dict[str, str]) -> tuple[LoginTool, str]:
    try:
        return find_tool(name, path=env["PATH"])
    except ToolError as exc:
        unavailable(str(exc))


def stored_auths(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """Credentials in the isolated home (docker's config and containers' auth.json)."""
    auths: dict[str, dict[str, str]] = {}
    for path in (
        Path(env["DOCKER_CONFIG"]) / "config.json",
        Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json",
    ):
        if path.exists():
            auths.update(json.loads(path.read_text(encoding="utf-8")).get("auths", {}))
    return auths


def skopeo_inspect(reference: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    _, skopeo = locate("skopeo", env)
    return subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", f"docker://{reference}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_missing_registry_binary_is_reported(tmp_path: Path) -> None:
    local = LocalRegistry(tmp_path, password=PASSWORD, binary=str(tmp_path / "no-registry"))
    with pytest.raises(MissingBinary, match="no-registry is not installed$"):
        local.start()


def test_registry_demands_the_password(registry: LocalRegistry) -> None:
    assert registry.host.startswith("127.0.0.1:")
    assert registry.get("/v2/") == 200
    assert registry.get("/v2/", password=WRONG_PASSWORD) == 401
    assert "$2y$" in (registry.workdir / "htpasswd").read_text(encoding="utf-8")  # bcrypt


def test_client_env_is_isolated(tmp_path: Path, registry: LocalRegistry) -> None:
    home = tmp_path / "home"
    env = client_env(home, registry)
    assert env["HOME"] == str(home.resolve())
    assert env["DOCKER_CONFIG"] == str(home.resolve() / ".docker")
    assert env["XDG_CONFIG_HOME"] == str(home.resolve() / ".config")
    assert env["XDG_RUNTIME_DIR"] == str(home.resolve() / "run")
    assert (Path(env["XDG_RUNTIME_DIR"]).stat().st_mode & 0o777) == 0o700
    assert env["CONTAINERS_REGISTRIES_CONF"] == str(registry.registries_conf)
    assert "REGISTRY_AUTH_FILE" not in env
    for key in ("CONTAINERS_STORAGE_CONF", "CONTAINERS_CONF"):
        assert Path(env[key]).is_relative_to(home.resolve())
    assert registry.host in (home / ".config" / "containers" / "registries.conf").read_text()
    assert 'network_backend = "cni"' in Path(env["CONTAINERS_CONF"]).read_text()
    assert 'driver = "vfs"' in Path(env["CONTAINERS_STORAGE_CONF"]).read_text()


def test_image_pushed_over_http_is_in_the_registry(
    registry: LocalRegistry, pushed_image: str
) -> None:
    assert pushed_image == f"{registry.host}/hello:v1"
    assert registry.get("/v2/hello/tags/list") == 200
    manifest = f"/v2/hello/manifests/{registry.pushed_digest}"
    oci = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    assert registry.get(manifest, headers=oci) == 200
    assert registry.get(manifest, password=WRONG_PASSWORD, headers=oci) == 401


@pytest.mark.usefixtures("no_global_state")
@pytest.mark.parametrize("name", CLIENTS)
def test_login_with_the_right_password(
    name: str, registry: LocalRegistry, env: dict[str, str]
) -> None:
    tool, exe = locate(name, env)

    result = run_login(tool, exe, registry.host, PASSWORD, env=env, timeout=120)

    assert result.ok, result.output
    assert result.returncode == 0
    assert "Login Succeeded" in result.output
    assert PASSWORD not in result.output
    assert PASSWORD not in " ".join(result.argv)
    expected = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    assert stored_auths(env)[registry.host]["auth"] == expected


@pytest.mark.usefixtures("no_global_state")
@pytest.mark.parametrize("name", CLIENTS)
def test_login_with_a_wrong_password(
    name: str, registry: LocalRegistry, env: dict[str, str]
) -> None:
    tool, exe = locate(name, env)

    result = run_login(tool, exe, registry.host, WRONG_PASSWORD, env=env, timeout=120)

    assert result.ok is False
    assert result.returncode != 0
    assert result.output.strip()  # the tool's own explanation comes back
    assert WRONG_PASSWORD not in result.output
    assert "401" in result.output or "invalid username/password" in result.output
    assert registry.host not in stored_auths(env)


@pytest.mark.usefixtures("no_global_state")
def test_skopeo_inspect_uses_the_stored_credentials(
    registry: LocalRegistry, pushed_image: str, env: dict[str, str]
) -> None:
    before = skopeo_inspect(pushed_image, env)
    assert before.returncode != 0
    assert "authentication required" in before.stderr or "unauthorized" in before.stderr

    tool, exe = locate("skopeo", env)
    result = run_login(tool, exe, registry.host, PASSWORD, env=env)
    assert result.ok, result.output

    after = skopeo_inspect(pushed_image, env)  # no credentials on the command line
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["Digest"] == registry.pushed_digest


@pytest.mark.usefixtures("no_global_state")
def test_docker_login_is_usable_by_other_clients(
    registry: LocalRegistry, pushed_image: str, env: dict[str, str]
) -> None:
    tool, exe = locate("docker", env)
    result = run_login(tool, exe, registry.host, PASSWORD, env=env)
    assert result.ok, result.output

    after = skopeo_inspect(pushed_image, env)  # reads $DOCKER_CONFIG/config.json
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["Digest"] == registry.pushed_digest
