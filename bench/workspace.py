"""Local endpoints and throwaway AWS homes for the benchmark (reusing the test fixtures)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, AwsHome, clean_environment
from tests.servers.fake_ecr import FakeEcr

from .harness import Command

V1 = REPO / ".venv" / "bin" / "aws"
V2 = Path("/usr/bin/aws")  # Debian's 2.9
# v2 2.36.7 built from the shared source tarball (make venv-v2), as the official installer runs it.
V2_36 = REPO / ".venv-v2" / "bin" / "aws"
# The official installer's frozen v2 (make deps builds it): the aws the helper's misses run,
# first on its PATH, as most v2 users have it.
FROZEN_V2 = REPO / ".aws-cli-exe" / "bin" / "aws"
# The helper as users install it: a regular install (make venv builds .venv-release), whose
# docker-credential-ecr2 is the launcher from scripts/ (see its comment), not a console script.
HELPER = REPO / ".venv-release" / "bin" / "docker-credential-ecr2"
# The console script whose Python the launcher runs.
HELPER_SIBLING = HELPER.with_name("awscli-ecr-login-ext")
GO_HELPER = Path("/usr/bin/docker-credential-ecr-login")
ACCOUNT = "123456789012"
REGION = "eu-west-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
PASSWORD = "fake-ecr-password"  # FakeEcr's default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plugin_config(workdir: Path) -> str:
    """The [plugins] section exactly as our installer writes it for both CLI majors."""
    path = workdir / "installer-config"
    subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "install", "--cli", "both",
         "--config-file", str(path)],
        check=True, capture_output=True, cwd=REPO, env=clean_environment(workdir))
    return path.read_text()


class Workspace:
    """moto (for STS), FakeEcr on 127.0.0.1 (plain and HTTPS-proxy mode), and AWS homes."""

    def __init__(self, root: Path) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.root = root
        port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.moto.start()
        self.moto_url = f"http://127.0.0.1:{port}"
        self.ecr = FakeEcr(password=PASSWORD)
        self.ecr.enable_proxy(root / "ca")
        self.ecr.start()
        self.plugin_config = plugin_config(root)
        self.plain = AwsHome(root / "home-plain", "")  # no [plugins] at all
        self.plugin = AwsHome(root / "home-plugin", self.plugin_config)
        self.helpers = self.home("helpers")
        # The same registry signed by a profile of its own (ecr2_registry_profiles), whose
        # keys are the default ones: the hit path's extra work for a mapping, nothing else.
        self.mapped = self.home("helpers-mapped")
        self.mapped.write_config(f"[default]\nregion = {REGION}\n"
                                 f"ecr2_registry_profiles =\n    {REGISTRY} = mapped\n")
        self.mapped.credentials_file.write_text(
            self.mapped.credentials_file.read_text().replace("[default]", "[mapped]"))
        self._homes = 0
        self._sso_homes: dict[str, AwsHome] = {}

    def close(self) -> None:
        self.ecr.stop()
        self.moto.stop()

    def plugin_home(self, name: str, folder: Path, major: int) -> AwsHome:
        """A HOME whose CLI loads the plugin from ``folder`` (first on ``PYTHONPATH``; for v2
        also its ``cli_legacy_plugin_path``), so two builds' plugins run under one setup."""
        path = f"cli_legacy_plugin_path = {folder}\n" if major >= 2 else ""
        home = AwsHome(self.root / f"home-{name}",
                       f"[plugins]\n{path}ecr2 = awscli_ecr_login_ext\n")
        home.env["PYTHONPATH"] = str(folder)
        return home

    def home(self, name: str) -> AwsHome:
        return AwsHome(self.root / f"home-{name}", self.plugin_config)

    def sso_home(self, profiles: int, *, mapped: bool) -> AwsHome:
        """A HOME whose config holds ``profiles`` SSO profiles under one sso-session, as
        ``aws configure sso`` writes them for an organisation (one per account and role),
        after the default profile with static keys that signs; ``mapped``: the registry is
        mapped to a profile of its own (``ecr2_registry_profiles``) with the same keys."""
        name = f"sso-{profiles}{'-mapped' if mapped else ''}"
        if name in self._sso_homes:  # the Go helper shares ours (it keeps its own cache)
            return self._sso_homes[name]
        home = self._sso_homes[name] = self.home(name)
        mapping = f"ecr2_registry_profiles =\n    {REGISTRY} = mapped\n" if mapped else ""
        home.write_config(f"[default]\nregion = {REGION}\n{mapping}\n" + sso_profiles(profiles))
        if mapped:
            keys = home.credentials_file.read_text()
            home.credentials_file.write_text(keys + "\n" + keys.replace("[default]", "[mapped]"))
        return home

    def fresh_home(self) -> AwsHome:
        """A new HOME: empty token caches for both helpers."""
        self._homes += 1
        return self.home(f"cold-{self._homes}")

    def proxy_env(self) -> dict[str, str]:
        """Real AWS hostnames, answered by FakeEcr through its HTTPS proxy; plain HTTP (such
        as instance metadata, also disabled by AwsHome) goes to FakeEcr too, never out."""
        return {**self.ecr.proxy_env(), "HTTP_PROXY": self.ecr.url, "http_proxy": self.ecr.url}

    @property
    def request_count(self) -> int:
        return len(self.ecr.requests)


def sso_profiles(count: int) -> str:
    """``count`` IAM Identity Center profiles under one sso-session (``aws configure sso``'s
    layout), each account with one of four roles."""
    roles = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "ViewOnlyAccess")
    text = ("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
            "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n")
    for i in range(count):
        account, role = 100000000000 + i // len(roles), roles[i % len(roles)]
        text += (f"\n[profile {account}-{role}]\nsso_session = corp\n"
                 f"sso_account_id = {account}\nsso_role_name = {role}\nregion = {REGION}\n"
                 "output = json\n")
    return text


def aws(label: str, cli: Path, home: AwsHome, *args: str, expect: str | None = None) -> Command:
    return Command(f"{label}", [str(cli), *args], dict(home.env), str(home.root),
                   expect_stdout=expect)


def helper(label: str, executable: Path, home: AwsHome, env: dict[str, str]) -> Command:
    """``executable get`` beside the official installer's frozen v2 (first on PATH)."""
    path = f"{FROZEN_V2.parent}{os.pathsep}{home.env.get('PATH', '')}"
    return Command(label, [str(executable), "get"], {**home.env, **env, "PATH": path},
                   str(home.root), input=REGISTRY, expect_stdout=PASSWORD)


def interpreter_of(script: Path) -> Path:
    """The Python a console script runs on (its shebang)."""
    first = script.read_text(errors="replace").splitlines()[0]
    if not first.startswith("#!"):
        raise ValueError(f"{script} has no shebang")
    return Path(first[2:].strip().split()[0])


def available(path: Path) -> bool:
    return path.exists() or shutil.which(str(path)) is not None
