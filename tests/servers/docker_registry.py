"""A real, password-protected OCI registry on 127.0.0.1 for tests and demos.

``LocalRegistry`` runs the CNCF distribution registry (``docker-registry``,
Debian's package of distribution/distribution) with htpasswd (bcrypt) basic
auth over plain HTTP on a free 127.0.0.1 port, all state under one work dir.

``client_env`` builds an isolated environment for running docker, podman,
buildah and skopeo as a throwaway user: nothing they write lands outside the
given home directory (no ~/.docker, ~/.config/containers, /run/containers,
/var/lib/containers or /dev/shm/libpod_lock of the real user).

What each client needed here (verified with docker 28.2, podman 4.3.1,
buildah 1.28.2, skopeo 1.9.3 running as root):

* docker: nothing; ``docker login`` works without a daemon and treats
  127.0.0.0/8 as an insecure registry (HTTPS first, then plain HTTP).
* podman, buildah: honour ``CONTAINERS_REGISTRIES_CONF``; they fall back to
  HTTP for a registry marked ``insecure = true``.  podman initialises its whole
  engine even for ``login``, so it needs ``CONTAINERS_STORAGE_CONF`` (vfs
  driver, graphroot/runroot in the home) and ``CONTAINERS_CONF`` (tmp_dir,
  static_dir, volume_path, network_config_dir in the home, ``lock_type =
  "file"`` instead of the /dev/shm lock, events_logger "none",
  ``network_backend = "cni"`` because netavark as root hard-codes
  /run/containers/networks); otherwise it creates /var/lib/containers/storage
  (plus an overlay bind mount), /run/libpod, /run/containers and
  /dev/shm/libpod_lock.
* skopeo 1.9.3 ignores ``CONTAINERS_REGISTRIES_CONF`` (it has no such
  setting) but reads ``$HOME/.config/containers/registries.conf`` (note: HOME,
  not XDG_CONFIG_HOME), so the same file is also written there.
* Credentials: podman/buildah/skopeo write to ``$REGISTRY_AUTH_FILE``, else to
  ``$DOCKER_CONFIG/config.json`` when DOCKER_CONFIG is set, else to
  ``$XDG_RUNTIME_DIR/containers/auth.json`` (root without XDG_RUNTIME_DIR:
  /run/containers/0/auth.json).  With ``client_env`` all four clients
  therefore share ``home/.docker/config.json``.
* ``skopeo copy`` as root always writes /var/lib/containers/cache (its
  blob-info cache); login and inspect do not.  push_small_image therefore
  uploads over HTTP by default.

With ``tls=(certificate, key)`` the registry serves HTTPS instead (the certificate names the
hosts clients address it by: an ECR host reached through ``FakeEcr.splice_tunnel`` and
127.0.0.1 for this module's own requests, which trust ``ca_file``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["LocalRegistry", "MissingBinary", "client_env", "require_binary"]

REGISTRY_BINARY = "/usr/bin/docker-registry"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

# Only these are copied from the caller's environment into client_env(); in
# particular proxies, REGISTRY_AUTH_FILE, DOCKER_HOST and friends are not.
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "TZ")


class MissingBinary(RuntimeError):
    """A program this helper needs is not installed."""

    def __init__(self, program: str) -> None:
        where = "" if os.sep in program else " (not found on PATH)"
        super().__init__(f"{program} is not installed{where}")
        self.program = program


def require_binary(program: str, path: str | None = None) -> str:
    """Absolute path of *program*, or MissingBinary."""
    found = shutil.which(program, path=path)
    if not found:
        raise MissingBinary(program)
    return os.path.abspath(found)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LocalRegistry:
    """A distribution registry with one htpasswd user, on 127.0.0.1 over HTTP."""

    def __init__(
        self,
        workdir: Path,
        *,
        username: str = "AWS",
        password: str,
        binary: str = REGISTRY_BINARY,
        startup_timeout: float = 20.0,
        tls: tuple[Path, Path] | None = None,
        ca_file: Path | None = None,
    ) -> None:
        if not password:
            raise ValueError("password must not be empty")
        self.workdir = Path(workdir)
        self.username = username
        self.password = password
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.tls = tls
        self.ca_file = ca_file
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.pushed_digest: str | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def host(self) -> str:
        if self.port is None:
            raise RuntimeError("the registry has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def _opener(self) -> urllib.request.OpenerDirector:
        """urllib without proxies; over TLS trusting ca_file."""
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if self.tls:
            context = ssl.create_default_context(
                cafile=str(self.ca_file) if self.ca_file else None)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        return urllib.request.build_opener(*handlers)

    @property
    def log_path(self) -> Path:
        return self.workdir / "registry.log"

    @property
    def registries_conf(self) -> Path:
        """containers-registries.conf(5) marking this registry insecure (HTTP)."""
        return self.workdir / "registries.conf"

    def registries_conf_env(self) -> dict[str, str]:
        return {"CONTAINERS_REGISTRIES_CONF": str(self.registries_conf)}

    def start(self) -> LocalRegistry:
        if self._proc is not None and self._proc.poll() is None:
            return self  # already running: `with` after start() must not spawn a second one
        if not os.access(self.binary, os.X_OK):
            raise MissingBinary(self.binary)
        htpasswd = require_binary("htpasswd")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_htpasswd(htpasswd)
        last_error = ""
        for _attempt in range(5):  # another process may grab the port first
            self.port = _free_port()
            self._write_config()
            self._write_registries_conf()
            self._spawn()
            try:
                self._wait_ready()
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop()
                if "address already in use" not in last_error:
                    break
        raise RuntimeError(f"the registry did not start: {last_error}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> LocalRegistry:  # noqa: PYI034 - typing.Self needs 3.11
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _write_htpasswd(self, htpasswd: str) -> None:
        # -i reads the password from stdin, so it is not on the command line.
        result = subprocess.run(
            [htpasswd, "-B", "-i", "-n", self.username],
            input=self.password.encode("utf-8"),
            capture_output=True,
            check=False,
        )
        entry = result.stdout.decode("utf-8").strip()
        if result.returncode != 0 or not entry.startswith(self.username + ":$2"):
            raise RuntimeError(
                "htpasswd failed: " + result.stderr.decode("utf-8", "replace").strip()
            )
        path = self.workdir / "htpasswd"
        path.write_text(entry + "\n", encoding="utf-8")
        path.chmod(0o600)

    def _write_config(self) -> None:
        config = {  # YAML is a superset of JSON
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "data")},
                "delete": {"enabled": True},
            },
            "http": {
                "addr": self.host,
                "secret": secrets.token_hex(16),
                "headers": {"X-Content-Type-Options": ["nosniff"]},
                **({"tls": {"certificate": str(self.tls[0]), "key": str(self.tls[1])}}
                   if self.tls else {}),
            },
            "auth": {
                "htpasswd": {
                    "realm": "local-registry",
                    "path": str(self.workdir / "htpasswd"),
                }
            },
        }
        (self.workdir / "config.yml").write_text(json.dumps(config, indent=2), encoding="utf-8")

    def _write_registries_conf(self) -> None:
        self.registries_conf.write_text(
            "unqualified-search-registries = []\n\n"
            "[[registry]]\n"
            f'location = "{self.host}"\n'
            "insecure = true\n",
            encoding="utf-8",
        )

    def _spawn(self) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.workdir)}
        with open(self.log_path, "ab") as log:  # the child keeps its own copy
            self._proc = subprocess.Popen(
                [self.binary, "serve", str(self.workdir / "config.yml")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=env,
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        opener = self._opener()
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"docker-registry exited with {self._proc.returncode}: {self._log_tail()}"
                )
            try:
                opener.open(self.url + "/v2/", timeout=2).close()
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    return
                raise RuntimeError(f"GET /v2/ answered {exc.code}, expected 401") from exc
            except OSError:
                time.sleep(0.1)
                continue
            raise RuntimeError("GET /v2/ answered without asking for credentials")
        raise RuntimeError(
            f"no answer on {self.url}/v2/ within {self.startup_timeout:g}s: {self._log_tail()}"
        )

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    # -- helpers for tests -------------------------------------------------

    def basic_auth_header(self, password: str | None = None) -> str:
        pair = f"{self.username}:{self.password if password is None else password}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    def get(
        self, path: str, password: str | None = None, headers: dict[str, str] | None = None
    ) -> int:
        """HTTP status of GET *path* with basic auth (*password* defaults to the right one)."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        request.add_header("Authorization", self.basic_auth_header(password))
        opener = self._opener()
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def write_authfile(self, path: Path) -> Path:
        """A containers-auth.json(5) with this registry's credentials (mode 0600)."""
        pair = f"{self.username}:{self.password}".encode()
        auth = {"auths": {self.host: {"auth": base64.b64encode(pair).decode("ascii")}}}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(auth, handle)
        return path

    def build_oci_layout(self, tag: str = "v1") -> tuple[Path, str]:
        """Hand-build a one-layer OCI image layout; returns (layout dir, manifest digest)."""
        layout = self.workdir / f"oci-{tag}"
        blobs = layout / "blobs" / "sha256"
        blobs.mkdir(parents=True, exist_ok=True)

        def put(data: bytes) -> str:
            digest = _digest(data)
            (blobs / digest.split(":", 1)[1]).write_bytes(data)
            return digest

        content = b"hello from the local test registry\n"
        tar_buf = io.BytesIO()
        with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            tar.addfile(info, io.BytesIO(content))
        layer_tar = tar_buf.getvalue()
        layer = gzip.compress(layer_tar, mtime=0)
        layer_digest = put(layer)

        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {"Cmd": ["/hello.txt"]},
                "rootfs": {"type": "layers", "diff_ids": [_digest(layer_tar)]},
            },
            sort_keys=True,
        ).encode()
        config_digest = put(config)

        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
                "layers": [
                    {"mediaType": OCI_LAYER_GZIP, "digest": layer_digest, "size": len(layer)}
                ],
            },
            sort_keys=True,
        ).encode()
        manifest_digest = put(manifest)

        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": manifest_digest,
                    "size": len(manifest),
                    "annotations": {"org.opencontainers.image.ref.name": tag},
                }
            ],
        }
        (layout / "index.json").write_text(json.dumps(index), encoding="utf-8")
        (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}', encoding="utf-8")
        return layout, manifest_digest

    def push_small_image(self, name: str = "hello", tag: str = "v1", *, via: str = "http") -> str:
        """Push a tiny hand-built image; returns ``HOST/name:tag``.

        ``via="http"`` (default) uploads the OCI layout with the registry's own
        HTTP API.  ``via="skopeo"`` runs ``skopeo copy`` with the credentials in
        a temporary --dest-authfile (never on its command line); note that
        skopeo copy run as root always writes
        /var/lib/containers/cache/blob-info-cache-v1.boltdb (containers/image
        has no setting for that path that skopeo exposes), which is why it is
        not the default.  The pushed manifest digest is kept in pushed_digest.
        """
        layout, digest = self.build_oci_layout(tag)
        if via == "http":
            self._push_layout_http(layout, name, tag)
        elif via == "skopeo":
            self._push_layout_skopeo(layout, name, tag)
        else:
            raise ValueError(f"unknown push method {via!r}")
        self.pushed_digest = digest
        return f"{self.host}/{name}:{tag}"

    def _request(
        self,
        method: str,
        url: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(urllib.parse.urljoin(self.url, url), data, method=method)
        request.add_header("Authorization", self.basic_auth_header())
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        opener = self._opener()
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:300]
            raise RuntimeError(f"{method} {url} answered {exc.code}: {body}") from exc

    def _push_layout_http(self, layout: Path, name: str, tag: str) -> None:
        index = json.loads((layout / "index.json").read_text(encoding="utf-8"))
        descriptor = index["manifests"][0]
        blobs = layout / "blobs" / "sha256"

        def blob(digest: str) -> bytes:
            return (blobs / digest.split(":", 1)[1]).read_bytes()

        manifest = blob(descriptor["digest"])
        parsed = json.loads(manifest)
        for item in [parsed["config"], *parsed["layers"]]:
            # Monolithic upload: POST to open a session, PUT the bytes with the digest.
            _, headers = self._request("POST", f"/v2/{name}/blobs/uploads/")
            location = headers["Location"]
            joiner = "&" if "?" in location else "?"
            quoted = urllib.parse.quote(item["digest"], safe="")
            status, _ = self._request(
                "PUT",
                f"{location}{joiner}digest={quoted}",
                blob(item["digest"]),
                {"Content-Type": "application/octet-stream"},
            )
            if status != 201:
                raise RuntimeError(f"blob upload answered {status}, expected 201")
        status, headers = self._request(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            manifest,
            {"Content-Type": descriptor["mediaType"]},
        )
        if status != 201 or headers.get("Docker-Content-Digest") != descriptor["digest"]:
            raise RuntimeError(f"manifest upload answered {status} {headers}")

    def _push_layout_skopeo(self, layout: Path, name: str, tag: str) -> None:
        skopeo = require_binary("skopeo")
        env = client_env(self.workdir / "pusher-home", self)
        policy = self.workdir / "policy.json"
        policy.write_text(
            json.dumps({"default": [{"type": "insecureAcceptAnything"}]}), encoding="utf-8"
        )
        authfile = self.write_authfile(self.workdir / "push-auth.json")
        try:
            result = subprocess.run(
                [
                    skopeo,
                    "--policy",
                    str(policy),
                    "copy",
                    "--quiet",
                    "--dest-tls-verify=false",
                    "--dest-authfile",
                    str(authfile),
                    f"oci:{layout}:{tag}",
                    f"docker://{self.host}/{name}:{tag}",
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                timeout=120,
                check=False,
            )
        finally:
            authfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(
                "skopeo copy failed: " + result.stderr.decode("utf-8", "replace").strip()
            )


def client_env(home: Path, registry: LocalRegistry | None = None) -> dict[str, str]:
    """Environment for running docker/podman/buildah/skopeo as an isolated user.

    Creates *home* and the files the clients need inside it.  Only PATH and
    locale variables are taken from the current environment.  With *registry*,
    that registry is marked insecure (plain HTTP) for the containers tools.
    """
    home = Path(home).resolve()
    run_dir = home / "run"
    config_home = home / ".config"
    docker_config = home / ".docker"
    state = home / "containers-state"
    for directory in (home, config_home / "containers", docker_config, state):
        directory.mkdir(parents=True, exist_ok=True)
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)

    storage_conf = home / "storage.conf"
    storage_conf.write_text(
        "[storage]\n"
        'driver = "vfs"\n'
        f'graphroot = "{state / "graph"}"\n'
        f'runroot = "{state / "run"}"\n',
        encoding="utf-8",
    )
    containers_conf = home / "containers.conf"
    containers_conf.write_text(
        "[engine]\n"
        f'tmp_dir = "{state / "tmp"}"\n'
        f'static_dir = "{state / "graph" / "libpod"}"\n'
        f'volume_path = "{state / "graph" / "volumes"}"\n'
        'events_logger = "none"\n'
        'lock_type = "file"\n'
        "\n[network]\n"
        'network_backend = "cni"\n'
        f'network_config_dir = "{state / "net"}"\n',
        encoding="utf-8",
    )

    env = {key: os.environ[key] for key in _PASSTHROUGH if key in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        {
            "HOME": str(home),
            "DOCKER_CONFIG": str(docker_config),
            "XDG_RUNTIME_DIR": str(run_dir),
            "XDG_CONFIG_HOME": str(config_home),
            "CONTAINERS_STORAGE_CONF": str(storage_conf),
            "CONTAINERS_CONF": str(containers_conf),
            "TMPDIR": str(state),
        }
    )
    if registry is not None:
        env.update(registry.registries_conf_env())
        # skopeo 1.9 has no CONTAINERS_REGISTRIES_CONF; it reads this file.
        shutil.copyfile(registry.registries_conf, config_home / "containers" / "registries.conf")
    return env


def _main() -> None:  # pragma: no cover - manual demo
    import argparse
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="state directory (default: a temp dir)")
    parser.add_argument("--push", action="store_true", help="push a small image hello:v1")
    args = parser.parse_args()
    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else ""
    if not password:
        password = secrets.token_urlsafe(24)
        print(f"password (throwaway, local only): {password}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="local-registry-"))
    with LocalRegistry(workdir, password=password) as registry:
        print(f"registry: {registry.host} (user {registry.username}), state in {workdir}")
        if args.push:
            print("pushed:", registry.push_small_image())
        print("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    _main()
