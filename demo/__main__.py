"""`make demo`: what the plugin is for, in a minute of screen, against a local ECR.

1. `aws ecr2 get-login-password` on each AWS CLI of the suite (v1 1.46 and 1.45, Debian's v2
   2.9, v2 2.36 pip-built and the official installer's frozen build of it): a line each.
2. `aws ecr2 get-login --output table` for two registries in two accounts, one mapped to its
   own profile by ecr2_registry_profiles.
3. `aws ecr2 configure-docker`, then skopeo fetching an image's manifest with its credentials
   from docker-credential-ecr2: ~/.docker/config.json holds credHelpers and no password.
4. The warm cache: the same fetch again, and no request reaches the local ECR.
5. `aws ecr2 login --tool helm`: a login into another client.

Everything runs on 127.0.0.1 in a throwaway HOME; your own ~/.aws and ~/.docker are untouched.
The local ECR (tests/servers/fake_ecr.py) is also the HTTPS proxy of every command: it answers
ECR's API at its real host and hands the registries' hosts to a real registry serving TLS for
those names, so the commands below are the ones you would type.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import CLIS, HELMS, AwsHome, registry_named_as_ecr

APP = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
BASE = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "demo-Pa55word+/="  # what the local ECR issues and the local registry accepts
BASE_KEYS = ("AKIDEXAMPLEBASE00001", "base-account-secret-key-example000000000")
NEEDED = {"openssl": "openssl", "/usr/bin/docker-registry": "docker-registry",
          "skopeo": "skopeo"}


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def show(argv: list[str]) -> None:
    print("$ " + " ".join(shlex.quote(arg) for arg in argv), flush=True)


def main() -> int:
    missing = [package for tool, package in NEEDED.items() if not shutil.which(tool)]
    if missing:
        print(f"The demo needs {', '.join(missing)} (make deps installs them as root).")
        return 1
    with tempfile.TemporaryDirectory(prefix="ecr2-demo-") as scratch:
        root = Path(scratch)
        config = root / "plugins.ini"
        subprocess.run([sys.executable, "-m", "awscli_ecr_login_ext", "install", "--cli", "both",
                        "--config-file", str(config)], check=True, capture_output=True)
        home = AwsHome(root / "home", config.read_text())
        home.write_config("[default]\nregion = eu-west-1\n"
                          f"ecr2_registry_profiles =\n    {BASE} = base\n\n"
                          "[profile base]\nregion = us-east-1\n")
        with home.credentials_file.open("a") as credentials:
            credentials.write(f"\n[base]\naws_access_key_id = {BASE_KEYS[0]}\n"
                              f"aws_secret_access_key = {BASE_KEYS[1]}\n")
        with registry_named_as_ecr(root / "world", PASSWORD, APP, BASE) as (ecr, registry):
            registry.push_small_image("app", "1")
            Demo(home, ecr, registry).run()
    return 0


class Demo:
    def __init__(self, home: AwsHome, ecr, registry) -> None:
        self.home, self.ecr, self.registry = home, ecr, registry
        self.cli = CLIS[0]  # AWS CLI v1 from .venv, with docker-credential-ecr2 beside it
        self.env = {**home.env, **ecr.proxy_env(), "SSL_CERT_FILE": str(ecr.ca_bundle),
                    "PATH": os.pathsep.join([str(self.cli.executable.parent),
                                             os.environ["PATH"]])}

    def run(self) -> None:
        say(f"A throwaway HOME ({self.home.root}); the local ECR answers as ECR")
        print("$ cat ~/.aws/config   # and its [plugins] section\n"
              + self.home.config_file.read_text().split("\n# Created by")[0].strip())
        self.five_clis()
        self.two_accounts()
        self.through_the_helper()
        self.login_tool()

    def aws(self, *args: str, cli=None, echo: bool = True) -> subprocess.CompletedProcess:
        if echo:
            show(["aws", *args])
        cli = cli or self.cli
        env = {**self.env, "PATH": os.pathsep.join([str(cli.executable.parent), self.env["PATH"]])}
        return self.home.run(cli, *args, env=env)

    def five_clis(self) -> None:
        say("One plugin, five AWS CLIs: aws ecr2 get-login-password --region eu-west-1")
        for cli in CLIS:
            if not cli.executable.exists():
                print(f"  {cli.label:<10} not installed ({cli.executable})")
                continue
            version = self.aws("--version", cli=cli, echo=False).stdout.split()[0]
            result = self.aws("ecr2", "get-login-password", "--region", "eu-west-1", cli=cli,
                              echo=False)
            verdict = (f"a password of {len(result.stdout.strip())} characters, valid 12 hours"
                       if result.returncode == 0 and result.stdout.strip() == PASSWORD
                       else f"FAILED: {result.stderr.strip()}")
            print(f"  {cli.label:<10} {version:<22} {verdict}", flush=True)

    def two_accounts(self) -> None:
        say(f"Two registries in two accounts ({BASE} signed by profile base)")
        before = len(self.ecr.requests)
        result = self.aws("ecr2", "get-login", "--registry", APP, BASE, "--output", "table",
                          "--query", "Logins[].[Registry,RegistryId,Profile,ExpiresAt]")
        print(result.stdout.rstrip() or result.stderr.rstrip(), flush=True)
        for request in self.ecr.requests[before:]:
            print(f"  the local ECR: a call for {request.signing_region}, signed with "
                  f"{request.access_key_id}")

    def through_the_helper(self) -> None:
        say("docker-credential-ecr2: no password stored anywhere")
        result = self.aws("ecr2", "configure-docker", "--registry", APP, BASE)
        print(result.stdout.rstrip() or result.stderr.rstrip())
        config = self.home.root / ".docker" / "config.json"
        print(f"$ cat ~/.docker/config.json\n{config.read_text().rstrip()}")
        stored = "auths" in json.loads(config.read_text())
        print("  no \"auths\": docker keeps no password" if not stored else "  auths present!")
        before = len(self.ecr.requests)
        self.skopeo_inspect()
        first = len(self.ecr.requests)
        print(f"  the helper's first answer: {first - before} request to the local ECR")

        say("The warm cache: the same fetch again")
        started = time.monotonic()
        self.skopeo_inspect()
        elapsed = time.monotonic() - started
        after = len(self.ecr.requests)
        print(f"  requests at the local ECR: {first} before, {after} after "
              f"(answered from ~/.aws/ecr2/cache; the whole fetch took {elapsed:.2f} s)")

    def skopeo_inspect(self) -> None:
        argv = ["skopeo", "inspect", "--format", "{{.Digest}}", f"docker://{APP}/app:1"]
        show(argv)
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                                timeout=120, check=False, stdin=subprocess.DEVNULL)
        print(result.stdout.rstrip() or result.stderr.rstrip(), flush=True)

    def login_tool(self) -> None:
        helm = HELMS["helm3"]
        if not os.access(helm, os.X_OK):
            say("helm is not fetched (make k8s-tools): skipping aws ecr2 login --tool helm")
            return
        say("A login into another client: aws ecr2 login --tool helm")
        self.env["PATH"] = os.pathsep.join([str(helm.parent), self.env["PATH"]])
        result = self.aws("ecr2", "login", "--tool", "helm", "--registry", APP)
        print(result.stdout.rstrip() or result.stderr.rstrip(), flush=True)


if __name__ == "__main__":
    sys.exit(main())
