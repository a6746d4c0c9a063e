"""`make demo`: aws ecr2 get-login-password on each AWS CLI of the suite (v1 1.46 and 1.45, v2
2.9.19, v2 2.36.7 pip-built and the official installer's frozen build of it) against a local ECR
endpoint, then the seed's pipe into a real `docker login` to a real local registry.

Everything runs on 127.0.0.1 in a throwaway HOME; your own ~/.aws and ~/.docker are untouched.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from moto.server import ThreadedMotoServer

from tests.conftest import CLIS, AwsHome, free_port
from tests.servers.docker_registry import LocalRegistry, client_env

MOTO_PASSWORD = "123456789012-auth-token"  # what moto's local ECR issues


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log lines
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ecr2-demo-") as scratch:
        root = Path(scratch)
        config = root / "plugins.ini"
        subprocess.run([sys.executable, "-m", "awscli_ecr_login_ext", "install", "--cli", "both",
                        "--config-file", str(config)], check=True)
        home = AwsHome(root / "home", config.read_text())
        say(f"Local ECR endpoint (moto) at {endpoint}; throwaway AWS config {home.config_file}")
        print(home.config_file.read_text())
        clis = [cli for cli in CLIS if cli.executable.exists()]
        for cli in clis:
            # The whole line: its last word tells a frozen build (source-exe) from the others.
            version = home.run(cli, "--version").stdout.strip()
            say(f"AWS CLI {cli.label} ({version}): aws ecr2 get-login-password "
                f"--endpoint-url {endpoint}")
            result = home.run(cli, "ecr2", "get-login-password", "--endpoint-url", endpoint)
            print(result.stdout or result.stderr, end="")
        demo_docker_login(root, home, clis, endpoint)
    moto.stop()
    return 0


def demo_docker_login(root: Path, home: AwsHome, clis: list, endpoint: str) -> None:
    if not (shutil.which("docker") and Path("/usr/bin/docker-registry").exists()):
        say("docker or docker-registry is not installed: skipping the docker login part")
        return
    with LocalRegistry(root / "registry", password=MOTO_PASSWORD) as registry:
        env = client_env(root / "docker-home", registry)
        for cli in clis:
            say(f"AWS CLI {cli.label}: aws ecr2 get-login-password | docker login --username AWS "
                f"--password-stdin {registry.host}")
            password = home.run(cli, "ecr2", "get-login-password", "--endpoint-url", endpoint)
            login = subprocess.run(
                ["docker", "login", "--username", "AWS", "--password-stdin", registry.host],
                input=password.stdout, capture_output=True, text=True, env=env, check=False)
            print((login.stdout + login.stderr).strip())


if __name__ == "__main__":
    sys.exit(main())
