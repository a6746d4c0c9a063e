"""A world of AWS credential sources, each signing as its own named principal, for the credential
source matrix (tests/test_credential_sources.py).

``Endpoints`` are the loopback servers, shared by a test module: a per-principal FakeEcr (also
the TLS proxy that routes STS and SSO hosts for CLIs without ``AWS_ENDPOINT_URL_<SERVICE>``),
moto's STS behind a gate that can deny a role, IMDSv2, a container credentials endpoint and an
SSO portal. ``World`` is one HOME holding every source's profiles and files at once, so a test
can switch between sources without rewriting anything: ``world.run_cli(cli, source)`` and
``world.run_helper(source)`` run the real programs, ``world.expect(...)`` asserts whose token
came back and how many GetAuthorizationToken calls it took.

Principals are named after what a user would call them: an IAM user for static keys, the role
name for assumed roles (found in moto's backend by the access key it issued), the name a fake
issued credentials to otherwise.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.conftest import REPO, AwsHome, Cli, beside
from tests.servers.credential_endpoints import (
    ContainerCredentials,
    Imds,
    SsoPortal,
    StsGate,
    access_key_for,
    credentials_for,
)
from tests.servers.fake_ecr import FakeEcr

if TYPE_CHECKING:  # typing.Self is 3.11+, but this import never runs
    from typing import Self

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
REGION = "eu-west-1"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
ROLE_ACCOUNT = "111111111111"

# IAM users with static keys: principal -> access key id.
USERS = {name: "AKIA" + hashlib.sha256(name.encode()).hexdigest()[:16].upper()
         for name in ("user-a", "user-b", "user-c", "env-user")}
# CLIs whose botocore predates AWS_ENDPOINT_URL_<SERVICE> (configured endpoints, botocore 1.31):
# they reach ECR, STS and SSO at their real AWS hosts, through the FakeEcr's routing proxy, and
# their environment has no AWS_ENDPOINT_URL_* (which the helper beside them would read).
NO_CONFIGURED_ENDPOINTS = {"v2.9"}
# ... and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (botocore 1.31.x / v2.13).
NO_CONTAINER_TOKEN_FILE = {"v2.9"}
SSO_GRANTS = {
    ("bearer-legacy", ROLE_ACCOUNT, "LegacyRole"): "sso-legacy-role",
    ("bearer-corp", "222222222222", "SessionRole"): "sso-session-role",
}
CONTAINER_TOKENS = {"container-token-a": "container-a", "container-token-b": "container-b"}
INSTANCE_ROLE = "instance-role"


def secret_for(access_key_id: str) -> str:
    return hashlib.sha256(b"static:" + access_key_id.encode()).hexdigest()[:40]


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ROLE_ACCOUNT}:role/{name}"


def moto_role_of(access_key_id: str) -> str | None:
    """The name of the role moto's STS (in this process) issued ``access_key_id`` for."""
    from moto.sts.models import sts_backends

    for account in list(sts_backends.keys()):
        for backend in list(sts_backends[account].values()):
            for assumed in list(backend.assumed_roles):
                if assumed.access_key_id == access_key_id:
                    return assumed.role_arn.rsplit("/", 1)[-1]
    return None


FAKE_PRINCIPALS = [INSTANCE_ROLE, *CONTAINER_TOKENS.values(), *SSO_GRANTS.values(),
                   "process-user"]
_KNOWN = {**{key: name for name, key in USERS.items()},
          **{access_key_for(name): name for name in FAKE_PRINCIPALS}}


def principal_of(access_key_id: str) -> str | None:
    return _KNOWN.get(access_key_id) or moto_role_of(access_key_id)


class Endpoints:
    """Every server a source needs, on 127.0.0.1, started together."""

    def __init__(self, workdir: Path, moto_url: str) -> None:
        self.ecr = FakeEcr(principals=principal_of)
        self.ecr.enable_proxy(workdir / "ca")
        self.sts = StsGate(moto_url)
        self.imds = Imds(INSTANCE_ROLE)
        self.container = ContainerCredentials(by_token=CONTAINER_TOKENS)
        self.sso = SsoPortal(SSO_GRANTS)
        self._all = [self.ecr, self.sts, self.imds, self.container, self.sso]

    def __enter__(self) -> Self:
        for server in self._all:
            server.start()
        self.ecr.route_tunnel(r"sts(\.[a-z0-9-]+)?\.amazonaws\.com", self.sts.url)
        # The OIDC service (SSO token refresh) goes to the portal fake too, which records the
        # call and answers 404: no test expects a refresh.
        self.ecr.route_tunnel(r"(portal\.sso|oidc)\.[a-z0-9-]+\.amazonaws\.com", self.sso.url)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._all:
            server.stop()

    def reset(self) -> None:
        """Forget recorded requests and faults (between tests)."""
        for server in self._all:
            server.reset()
        self.sts.denied.clear()


@dataclass(frozen=True)
class Source:
    """One way of getting credentials. ``profile`` is passed as ``--profile`` to the CLI and as
    AWS_PROFILE to the helper (which has no options); env values of None unset a variable."""

    name: str
    principal: str
    env: dict = field(default_factory=dict)
    profile: str | None = None
    by_major: dict = field(default_factory=dict)  # botocore major -> principal, where it differs
    helper_principal: str | None = None  # the helper cannot pass --profile
    assumes: tuple = ()  # (STS action, role name) the CLI calls, in order

    def __str__(self) -> str:
        return self.name

    def principal_for_cli(self, cli: Cli) -> str:
        return self.by_major.get(cli.major, self.principal)

    def principal_for_helper(self, cli: Cli) -> str:
        """Whose token docker-credential-ecr2 gets when ``cli`` is the ``aws`` on its PATH."""
        return self.helper_principal or self.by_major.get(cli.major, self.principal)


def sources(home: Path) -> list[Source]:
    """Every source that yields credentials, each with its own principal (files under ``home``)."""
    env_keys = {"AWS_ACCESS_KEY_ID": USERS["env-user"],
                "AWS_SECRET_ACCESS_KEY": secret_for(USERS["env-user"])}
    return [
        Source("env-keys", "env-user", env_keys),
        Source("AWS_PROFILE", "user-a", {"AWS_PROFILE": "static-a"}),
        Source("AWS_DEFAULT_PROFILE", "user-b", {"AWS_DEFAULT_PROFILE": "static-b"}),
        # v1's botocore reads AWS_DEFAULT_PROFILE first, v2's AWS_PROFILE.
        Source("both-profile-vars", "user-a",
               {"AWS_PROFILE": "static-a", "AWS_DEFAULT_PROFILE": "static-b"},
               by_major={1: "user-b", 2: "user-a"}),
        Source("static-profile", "user-c", profile="static-c"),
        Source("role-chain", "chain-two", profile="chain-two",
               assumes=(("AssumeRole", "chain-one"), ("AssumeRole", "chain-two"))),
        Source("credential-process", "process-user", profile="process"),
        # Environment keys win over AWS_PROFILE in botocore; only --profile selects the role.
        Source("credential-source-env", "from-env", env_keys, profile="from-env",
               helper_principal="env-user", assumes=(("AssumeRole", "from-env"),)),
        Source("web-identity-env", "web-env",
               {"AWS_ROLE_ARN": role_arn("web-env"),
                "AWS_WEB_IDENTITY_TOKEN_FILE": str(home / "web-env.jwt"),
                "AWS_ROLE_SESSION_NAME": "ci-job"},
               assumes=(("AssumeRoleWithWebIdentity", "web-env"),)),
        Source("web-identity-profile", "web-profile", profile="web",
               assumes=(("AssumeRoleWithWebIdentity", "web-profile"),)),
        Source("container-a", "container-a",
               {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token-a"}),
        Source("container-b", "container-b",
               {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token-b"}),
        Source("instance-role", INSTANCE_ROLE,
               {"AWS_EC2_METADATA_DISABLED": None,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": "{imds}/"}),
        Source("sso-legacy", "sso-legacy-role", profile="sso-legacy"),
        Source("sso-session", "sso-session-role", profile="sso-session"),
    ]


MFA = Source("mfa", "mfa-role", profile="mfa")
# Sources that fail: (source, what a user sees fail).
PROCESS_FAILS = Source("process-fails", "", profile="process-fails")
PROCESS_GARBAGE = Source("process-garbage", "", profile="process-garbage")
SSO_EXPIRED = Source("sso-expired", "", profile="sso-expired")
DENIED = Source("assume-role-denied", "", profile="denied")
IMDS_TIMEOUT = Source("imds-timeout", "",
                      {"AWS_EC2_METADATA_DISABLED": None,
                       "AWS_EC2_METADATA_SERVICE_ENDPOINT": "{imds}/",
                       "AWS_METADATA_SERVICE_TIMEOUT": "1",
                       "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1"})
DENIED_ROLE = role_arn("denied-role")

PROCESS_SCRIPT = """import json, sys
if sys.argv[1] == "--exit":
    sys.stderr.write("credential vault is locked\\n")
    sys.exit(int(sys.argv[2]))
if sys.argv[1] == "--garbage":
    print("this is not json {")
    sys.exit(0)
print(json.dumps(dict(Version=1, **CREDENTIALS[sys.argv[1]])))
"""


def _sso_token(start_url: str, access_token: str, expires_at: str) -> str:
    return json.dumps({"startUrl": start_url, "region": REGION, "accessToken": access_token,
                       "expiresAt": expires_at})


class World:
    """One HOME with every source's profiles and files, run against shared ``Endpoints``."""

    def __init__(self, home: AwsHome, endpoints: Endpoints) -> None:
        self.home, self.endpoints = home, endpoints
        self.sources = sources(home.root)
        self._write_files()

    def _write_files(self) -> None:
        root, python = self.home.root, REPO / ".venv" / "bin" / "python"
        self.home.credentials_file.write_text("".join(
            f"[{profile}]\naws_access_key_id = {USERS[user]}\n"
            f"aws_secret_access_key = {secret_for(USERS[user])}\n\n"
            for profile, user in (("static-a", "user-a"), ("static-b", "user-b"),
                                  ("static-c", "user-c"))))
        process = root / "credential_process.py"
        issued = {"process-user": credentials_for("process-user")}
        process.write_text(f"CREDENTIALS = {issued!r}\n{PROCESS_SCRIPT}")
        (root / "web-env.jwt").write_text("eyJ.web-env.jwt")
        (root / "web-profile.jwt").write_text("eyJ.web-profile.jwt")
        sso_cache = root / ".aws" / "sso" / "cache"
        sso_cache.mkdir(parents=True)
        for name, start_url, bearer, expires in (
                ("https://legacy.awsapps.com/start", "https://legacy.awsapps.com/start",
                 "bearer-legacy", "2099-01-01T00:00:00Z"),
                ("corp", "https://corp.awsapps.com/start", "bearer-corp",
                 "2099-01-01T00:00:00Z"),
                ("stale", "https://stale.awsapps.com/start", "bearer-stale",
                 "2020-01-01T00:00:00Z")):
            digest = hashlib.sha1(name.encode()).hexdigest()
            (sso_cache / f"{digest}.json").write_text(_sso_token(start_url, bearer, expires))
        self.home.write_config(f"""[default]
region = {REGION}

[profile chain-one]
role_arn = {role_arn("chain-one")}
source_profile = static-a

[profile chain-two]
role_arn = {role_arn("chain-two")}
source_profile = chain-one

[profile mfa]
role_arn = {role_arn("mfa-role")}
source_profile = static-b
mfa_serial = arn:aws:iam::{ROLE_ACCOUNT}:mfa/user-b

[profile denied]
role_arn = {DENIED_ROLE}
source_profile = static-a

[profile process]
credential_process = {python} {process} process-user

[profile process-fails]
credential_process = {python} {process} --exit 3

[profile process-garbage]
credential_process = {python} {process} --garbage

[profile from-env]
role_arn = {role_arn("from-env")}
credential_source = Environment

[profile web]
role_arn = {role_arn("web-profile")}
web_identity_token_file = {root / "web-profile.jwt"}
role_session_name = web-session

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = {REGION}
sso_account_id = {ROLE_ACCOUNT}
sso_role_name = LegacyRole

[profile sso-session]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = SessionRole

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = {REGION}
sso_registration_scopes = sso:account:access

[profile sso-expired]
sso_session = stale
sso_account_id = 222222222222
sso_role_name = SessionRole

[sso-session stale]
sso_start_url = https://stale.awsapps.com/start
sso_region = {REGION}
sso_registration_scopes = sso:account:access
""")

    # -- running ----------------------------------------------------------------------------
    def env_for(self, source: Source, cli: Cli | None = None) -> dict[str, str]:
        endpoints = self.endpoints
        # Every CLI gets the proxy as well: an HTTPS call to any AWS host that no configured
        # endpoint covers ends in the fake ECR (recorded), never outside loopback.
        env = {**self.home.env, **endpoints.ecr.proxy_env(), "AWS_DEFAULT_REGION": REGION}
        if cli is None or cli.label not in NO_CONFIGURED_ENDPOINTS:
            env.update(AWS_ENDPOINT_URL_ECR=endpoints.ecr.url,
                       AWS_ENDPOINT_URL_STS=endpoints.sts.url,
                       AWS_ENDPOINT_URL_SSO=endpoints.sso.url,
                       AWS_ENDPOINT_URL_SSO_OIDC=endpoints.sso.url)
        for name, value in source.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value.format(container=endpoints.container.url,
                                         imds=endpoints.imds.url)
        return env

    def cli_args(self, cli: Cli, source: Source, *command: str) -> list[str]:
        args = list(command)
        if source.profile:
            args += ["--profile", source.profile]
        return args

    def run_cli(self, cli: Cli, source: Source, *command: str,
                extra_env: dict | None = None) -> subprocess.CompletedProcess:
        """``aws ecr2 get-login-password --cache`` (or ``command``) as ``source``'s principal."""
        command = command or ("ecr2", "get-login-password", "--cache")
        return subprocess.run(
            [str(cli.executable), *self.cli_args(cli, source, *command)],
            env={**self.env_for(source, cli), **(extra_env or {})}, cwd=self.home.root,
            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, check=False)

    def run_helper(self, source: Source, cli: Cli, server_url: str = REGISTRY,
                   action: str = "get", helper: Path = HELPER,
                   extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``helper`` (docker-credential-ecr2) as docker runs it, with ``cli`` the first ``aws``
        on PATH: the AWS CLI a miss runs."""
        env = beside(cli, {**self.env_for(source, cli), **(extra_env or {})})
        if source.profile:
            env["AWS_PROFILE"] = source.profile
        return subprocess.run([str(helper), action], input=server_url, env=env,
                              cwd=self.home.root, capture_output=True, text=True, timeout=120,
                              check=False)

    # -- checking -----------------------------------------------------------------------------
    def ecr_requests(self) -> int:
        return len(self.endpoints.ecr.requests)

    def principals_since(self, start: int) -> list[str | None]:
        return [r.principal for r in self.endpoints.ecr.requests[start:]]

    def assumed_since(self, start: int) -> list[tuple[str, str]]:
        """(STS action, role name) of the AssumeRole* calls from call ``start`` on."""
        return [(action, arn.rsplit("/", 1)[-1])
                for action, arn in self.endpoints.sts.actions()[start:]
                if action.startswith("AssumeRole")]

    def stray_calls(self, cli: Cli | None = None) -> list[str]:
        """Calls that reached no service a source should use: tunnels the proxy served as ECR
        (but ECR's own host, for a CLI without configured endpoints), OIDC token refreshes,
        anything else asked of the SSO portal."""
        ecr = self.endpoints.ecr
        own = (f"api.ecr.{REGION}.amazonaws.com"
               if cli is not None and cli.label in NO_CONFIGURED_ENDPOINTS else None)
        stray = [f"https://{r.via_proxy_host}{r.path}" for r in ecr.requests
                 if r.via_proxy_host and r.via_proxy_host != own]
        stray += [f"{host} {call.path}" for host, call in ecr.forwarded
                  if host and host.startswith("oidc.")]
        stray += [f"sso {call.method} {call.path}" for call in self.endpoints.sso.calls
                  if not call.path.startswith("/federation/credentials")]
        return stray

    def cache_files(self) -> list[str]:
        directory = self.home.aws_dir / "ecr2" / "cache"
        return sorted(p.name for p in directory.glob("*.json")) if directory.is_dir() else []


def token_of_cli(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip()


def token_of_helper(result: subprocess.CompletedProcess) -> str | None:
    try:
        return json.loads(result.stdout)["Secret"]
    except (ValueError, KeyError, TypeError):
        return None


def described(result: subprocess.CompletedProcess) -> str:
    return (f"exit {result.returncode}, stdout {result.stdout.strip()[:200]!r}, "
            f"stderr {result.stderr.strip()[-400:]!r}")

