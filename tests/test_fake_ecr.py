"""Tests for tests/servers/fake_ecr.py, proven against the real AWS CLIs.

The CLI tests run the real AWS CLI v1 (the probe venv's ``aws``, with its vendored
botocore) and the Debian AWS CLI v2 (``/usr/bin/aws``) as subprocesses, each with
its own throwaway HOME, config and credentials files and a scrubbed environment.
All traffic stays on 127.0.0.1: requests without ``--endpoint-url`` go through the
fake's HTTPS proxy mode, and every other run points HTTP(S)_PROXY at the fake too
(with NO_PROXY for the fake's own address), so a stray request cannot leave the box.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import CLIS as SUITE_CLIS
from tests.conftest import require, unavailable
from tests.servers.fake_ecr import FAULTS, FakeEcr

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PUBLIC_TARGET = "SpencerFrontendService.GetAuthorizationToken"
JSON_11 = "application/x-amz-json-1.1"
PASSWORD = "pa55-w0rd/with:colon"  # a colon inside the password must survive decoding


# The suite's CLIs by label (v1 1.46 and the v2s; v1.45 shares v1's behaviour here).
CLIS = {cli.label: str(cli.executable) for cli in SUITE_CLIS if cli.label != "v1.45"}
# Which host each CLI's endpoint rules pick for ECR in us-west-2. They differ:
# botocore's newer ECR rule set (CLI v1 1.46, v2 2.36 pip-built or frozen) uses "api.ecr-fips"
# for FIPS and "ecr.<region>.api.aws" for dual-stack, while the older one in CLI v2 2.9 uses
# "ecr-fips" and "api.ecr.<region>.api.aws". These tests pin the observed hosts.
FIPS_HOST = {
    "v1": "api.ecr-fips.us-west-2.amazonaws.com",
    "v2.9": "ecr-fips.us-west-2.amazonaws.com",
    "v2.36": "api.ecr-fips.us-west-2.amazonaws.com",
    "v2.36-exe": "api.ecr-fips.us-west-2.amazonaws.com",
}
DUALSTACK_HOST = {
    "v1": "ecr.us-west-2.api.aws",
    "v2.9": "api.ecr.us-west-2.api.aws",
    "v2.36": "ecr.us-west-2.api.aws",
    "v2.36-exe": "ecr.us-west-2.api.aws",
}
PUBLIC_HOST = "api.ecr-public.us-east-1.amazonaws.com"



# -- fixtures -------------------------------------------------------------------------
@pytest.fixture
def ecr():
    with FakeEcr(password=PASSWORD) as server:
        yield server


@pytest.fixture
def proxied_ecr(tmp_path: Path):
    require(shutil.which("openssl"), "openssl is not installed")
    server = FakeEcr(password=PASSWORD)
    server.enable_proxy(tmp_path / "ca")
    with server:
        yield server


@pytest.fixture(params=sorted(CLIS))
def cli(request: pytest.FixtureRequest) -> str:
    require(Path(CLIS[request.param]).exists(), f"AWS CLI {request.param} not installed")
    return request.param


class AwsRunner:
    """Runs a real AWS CLI with an isolated HOME / config / credentials."""

    def __init__(self, home: Path, cli: str, ecr: FakeEcr) -> None:
        self.cli = cli
        self.ecr = ecr
        home.mkdir(parents=True, exist_ok=True)
        config = home / "aws-config"
        credentials = home / "aws-credentials"
        config.write_text("[default]\noutput = json\n")
        credentials.write_text(
            "[default]\naws_access_key_id = AKIDEXAMPLE\n"
            "aws_secret_access_key = fake-secret-key\n"
        )
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-key",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "AWS_DEFAULT_OUTPUT": "json",
            # Safety net: anything not addressed to the fake goes to the fake's proxy
            # port (which refuses CONNECT unless proxy mode is on), never outside.
            "HTTP_PROXY": ecr.url,
            "HTTPS_PROXY": ecr.url,
            "http_proxy": ecr.url,
            "https_proxy": ecr.url,
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
        }

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CLIS[self.cli], *args],
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def run_ok(self, *args: str, env: dict[str, str] | None = None) -> dict:
        proc = self.run(*args, env=env)
        assert proc.returncode == 0, f"{self.cli} {args} failed:\n{proc.stderr}"
        return json.loads(proc.stdout)


def _runner(tmp_path: Path, cli: str, ecr: FakeEcr) -> AwsRunner:
    return AwsRunner(tmp_path / f"home-{cli}", cli, ecr)


def _decode(token: str) -> str:
    return base64.b64decode(token, validate=True).decode()


def _post(
    ecr: FakeEcr,
    target: str | None = ECR_TARGET,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", ecr.port, timeout=10)
    try:
        hdrs = {"Content-Type": JSON_11, **(headers or {})}
        if target:
            hdrs["X-Amz-Target"] = target
        payload = json.dumps({} if body is None else body).encode()
        conn.request("POST", "/", body=payload, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/ap-south-1/ecr/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)


# -- real CLIs, --endpoint-url ------------------------------------------------------
def test_cli_ecr_get_authorization_token(tmp_path: Path, cli: str, ecr: FakeEcr) -> None:
    out = _runner(tmp_path, cli, ecr).run_ok(
        "ecr", "get-authorization-token", "--endpoint-url", ecr.url, "--region", "eu-west-1"
    )
    [data] = out["authorizationData"]
    assert _decode(data["authorizationToken"]) == f"AWS:{PASSWORD}"
    assert data["proxyEndpoint"] == "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    [req] = ecr.requests
    assert (req.target, req.operation) == ("ecr", "GetAuthorizationToken")
    assert (req.signing_region, req.signing_service) == ("eu-west-1", "ecr")
    assert req.authorized and req.access_key_id == "AKIDEXAMPLE"
    assert req.via_proxy_host is None
    assert req.host_header == f"127.0.0.1:{ecr.port}"
    assert req.path == "/" and req.body == {}
    assert req.headers["content-type"] == JSON_11


def test_cli_ecr_public_get_authorization_token(
    tmp_path: Path, cli: str, ecr: FakeEcr
) -> None:
    out = _runner(tmp_path, cli, ecr).run_ok(
        "ecr-public", "get-authorization-token", "--region", "us-east-1",
        "--endpoint-url", ecr.url,
    )
    data = out["authorizationData"]
    assert isinstance(data, dict) and "proxyEndpoint" not in data
    assert _decode(data["authorizationToken"]) == f"AWS:{PASSWORD}"
    [req] = ecr.requests
    assert (req.target, req.operation) == ("ecr-public", "GetAuthorizationToken")
    assert (req.signing_region, req.signing_service) == ("us-east-1", "ecr-public")


def test_cli_throttling_retries_then_fails(tmp_path: Path, cli: str, ecr: FakeEcr) -> None:
    ecr.set_fault("throttling")
    proc = _runner(tmp_path, cli, ecr).run(
        "ecr", "get-authorization-token", "--endpoint-url", ecr.url, "--region", "eu-west-1",
        env={"AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"},
    )
    assert proc.returncode != 0
    assert "ThrottlingException" in proc.stderr and "Rate exceeded" in proc.stderr
    assert len(ecr.requests) == 2
    assert all(r.fault == "throttling" for r in ecr.requests)


def test_cli_truncated_response_never_yields_a_token(
    tmp_path: Path, cli: str, ecr: FakeEcr
) -> None:
    ecr.set_fault("truncated")
    proc = _runner(tmp_path, cli, ecr).run(
        "ecr", "get-authorization-token", "--endpoint-url", ecr.url, "--region", "eu-west-1",
        env={"AWS_MAX_ATTEMPTS": "1"},
    )
    assert "authorizationToken" not in proc.stdout
    assert len(ecr.requests) == 1
    if cli == "v1":
        assert proc.returncode != 0 and "Connection was closed" in proc.stderr
    # Surprise: CLI v2 2.9 (Debian's urllib3 1.26) does not enforce Content-Length and
    # botocore's JSON parser swallows the cut-off body: exit 0 with empty output.


def test_cli_slow_exceeds_read_timeout(tmp_path: Path, ecr: FakeEcr) -> None:
    """CLI v1 only, to keep the suite fast; botocore behaves the same in v2."""
    require(Path(CLIS["v1"]).exists(), "AWS CLI v1 not installed")
    ecr.set_fault("slow", delay=30)
    started = time.monotonic()
    proc = _runner(tmp_path, "v1", ecr).run(
        "ecr", "get-authorization-token", "--endpoint-url", ecr.url, "--region", "eu-west-1",
        "--cli-read-timeout", "1",
        env={"AWS_MAX_ATTEMPTS": "1"},
    )
    assert proc.returncode != 0
    assert "Read timeout" in proc.stderr
    assert time.monotonic() - started < 15
    assert len(ecr.requests) == 1
    # The fixture's stop() must interrupt the 30 s sleep (checked by the test's runtime).


# -- real CLIs through the HTTPS proxy (no --endpoint-url) ------------------------------
def test_cli_fips_goes_to_fips_host(tmp_path: Path, cli: str, proxied_ecr: FakeEcr) -> None:
    env = {**proxied_ecr.proxy_env(), "AWS_USE_FIPS_ENDPOINT": "true"}
    out = _runner(tmp_path, cli, proxied_ecr).run_ok(
        "ecr", "get-authorization-token", "--region", "us-west-2", env=env
    )
    [data] = out["authorizationData"]
    assert _decode(data["authorizationToken"]) == f"AWS:{PASSWORD}"
    assert data["proxyEndpoint"] == "https://123456789012.dkr.ecr.us-west-2.amazonaws.com"
    [req] = proxied_ecr.requests
    assert req.via_proxy_host == FIPS_HOST[cli]
    assert req.host_header == FIPS_HOST[cli]
    assert (req.signing_region, req.signing_service) == ("us-west-2", "ecr")


def test_cli_dualstack_host(tmp_path: Path, cli: str, proxied_ecr: FakeEcr) -> None:
    env = {**proxied_ecr.proxy_env(), "AWS_USE_DUALSTACK_ENDPOINT": "true"}
    _runner(tmp_path, cli, proxied_ecr).run_ok(
        "ecr", "get-authorization-token", "--region", "us-west-2", env=env
    )
    [req] = proxied_ecr.requests
    assert req.via_proxy_host == DUALSTACK_HOST[cli]


def test_cli_ecr_public_through_proxy(tmp_path: Path, cli: str, proxied_ecr: FakeEcr) -> None:
    out = _runner(tmp_path, cli, proxied_ecr).run_ok(
        "ecr-public", "get-authorization-token", "--region", "us-east-1",
        env=proxied_ecr.proxy_env(),
    )
    assert _decode(out["authorizationData"]["authorizationToken"]) == f"AWS:{PASSWORD}"
    [req] = proxied_ecr.requests
    assert req.via_proxy_host == PUBLIC_HOST
    assert req.target == "ecr-public"
    assert (req.signing_region, req.signing_service) == ("us-east-1", "ecr-public")


def test_cli_rejects_proxy_without_ca_bundle(tmp_path: Path, proxied_ecr: FakeEcr) -> None:
    """The throwaway CA is really what makes TLS work: without it the CLI refuses.

    CLI v1 only, to keep the suite fast.
    """
    require(Path(CLIS["v1"]).exists(), "AWS CLI v1 not installed")
    env = {k: v for k, v in proxied_ecr.proxy_env().items() if k != "AWS_CA_BUNDLE"}
    proc = _runner(tmp_path, "v1", proxied_ecr).run(
        "ecr-public", "get-authorization-token", "--region", "us-east-1",
        env={**env, "AWS_MAX_ATTEMPTS": "1"},
    )
    assert proc.returncode != 0
    assert "SSL" in proc.stderr or "certificate" in proc.stderr
    assert proxied_ecr.requests == []


# -- botocore (the CLI v1's vendored copy) against every fault -------------------------
@pytest.fixture(scope="module")
def botocore_mod():
    try:
        import awscli  # noqa: F401 -- must come first: it aliases its vendored botocore
    except ImportError:
        unavailable("awscli is not installed")
    import botocore.config
    import botocore.exceptions
    import botocore.retries.standard
    import botocore.session

    # No retry backoff sleeps (standard mode sleeps up to 1 s per retry): keeps it fast.
    backoff = botocore.retries.standard.ExponentialBackoff
    original = backoff.delay_amount
    backoff.delay_amount = lambda self, context: 0.0
    yield botocore
    backoff.delay_amount = original


@pytest.fixture(scope="module")
def shared_ecr():
    with FakeEcr(password=PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def clients(botocore_mod, shared_ecr: FakeEcr, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("botocore-home")
    saved = {k: os.environ.get(k) for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    os.environ["AWS_CONFIG_FILE"] = str(home / "config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
    try:
        session = botocore_mod.session.Session()
        config = botocore_mod.config.Config(
            retries={"mode": "standard", "total_max_attempts": 2},
            read_timeout=0.25,
            connect_timeout=2,
        )
        made = {
            service: session.create_client(
                service,
                region_name="eu-central-1",
                endpoint_url=shared_ecr.url,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="fake-secret-key",
                config=config,
            )
            for service in ("ecr", "ecr-public")
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield made
    for client in made.values():
        client.close()


# fault -> (expected error code or None for a 200, number of requests with 2 attempts)
FAULT_EXPECTATIONS = {
    "http500": ("ServerException", 2),
    "http503": ("ServiceUnavailableException", 2),
    "throttling": ("ThrottlingException", 2),
    "access-denied": ("AccessDeniedException", 1),
    "expired-token": ("ExpiredTokenException", 1),
    "slow": ("ReadTimeoutError", 2),
    "truncated": ("ConnectionClosedError", 2),
    "not-json": (None, 1),
    "empty-auth-data": (None, 1),
    "token-not-base64": (None, 1),
    "token-no-colon": (None, 1),
    "expired": (None, 1),
}


def test_fault_table_covers_all_faults() -> None:
    assert set(FAULT_EXPECTATIONS) == set(FAULTS)


@pytest.mark.parametrize("service", ["ecr", "ecr-public"])
@pytest.mark.parametrize("fault", sorted(FAULT_EXPECTATIONS))
def test_botocore_sees_fault(
    botocore_mod, clients: dict, shared_ecr: FakeEcr, fault: str, service: str
) -> None:
    shared_ecr.reset()
    shared_ecr.set_fault(fault, delay=3 if fault == "slow" else 0.0)
    expected_error, expected_requests = FAULT_EXPECTATIONS[fault]
    error = result = None
    try:
        result = clients[service].get_authorization_token()
    except botocore_mod.exceptions.ClientError as exc:
        error = exc.response["Error"]["Code"]
    except botocore_mod.exceptions.BotoCoreError as exc:
        error = type(exc).__name__
    assert error == expected_error
    assert len(shared_ecr.requests) == expected_requests
    assert all(r.fault == fault for r in shared_ecr.requests)
    if error is not None:
        return
    data = result.get("authorizationData")
    now = time.time()
    if fault == "not-json":
        # Surprise: botocore turns a 200 with an HTML body into an empty result.
        assert data is None
    elif fault == "empty-auth-data":
        assert data == ({} if service == "ecr-public" else [])
    else:
        entry = data if service == "ecr-public" else data[0]
        token = entry["authorizationToken"]
        if fault == "token-not-base64":
            with pytest.raises(ValueError):
                base64.b64decode(token, validate=True)
        elif fault == "token-no-colon":
            assert ":" not in _decode(token)
        else:
            assert entry["expiresAt"].timestamp() < now


def test_botocore_registry_ids_one_entry_each(clients: dict, shared_ecr: FakeEcr) -> None:
    shared_ecr.reset()
    ids = ["111122223333", "444455556666"]
    result = clients["ecr"].get_authorization_token(registryIds=ids)
    endpoints = [d["proxyEndpoint"] for d in result["authorizationData"]]
    assert endpoints == [f"https://{i}.dkr.ecr.eu-central-1.amazonaws.com" for i in ids]
    [req] = shared_ecr.requests
    assert req.body == {"registryIds": ids}
    assert (req.signing_region, req.signing_service) == ("eu-central-1", "ecr")


def test_botocore_recovers_after_counted_fault(clients: dict, shared_ecr: FakeEcr) -> None:
    shared_ecr.reset()
    shared_ecr.set_fault("http503", count=1)
    result = clients["ecr"].get_authorization_token()
    assert _decode(result["authorizationData"][0]["authorizationToken"]) == f"AWS:{PASSWORD}"
    assert [r.fault for r in shared_ecr.requests] == ["http503", None]


# -- raw protocol -----------------------------------------------------------------------
def test_plain_response_shapes(ecr: FakeEcr) -> None:
    before = time.time()
    status, headers, body = _post(ecr)
    assert status == 200 and headers["content-type"] == JSON_11
    assert headers["x-amzn-requestid"]
    [data] = json.loads(body)["authorizationData"]
    assert _decode(data["authorizationToken"]) == f"AWS:{PASSWORD}"
    assert isinstance(data["expiresAt"], float)
    assert before + 12 * 3600 - 5 < data["expiresAt"] < time.time() + 12 * 3600 + 5
    # Unsigned: recorded as such, region falls back to us-east-1.
    assert data["proxyEndpoint"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    [req] = ecr.requests
    assert not req.authorized
    assert req.signing_region is req.signing_service is req.access_key_id is None

    status, _, body = _post(ecr, PUBLIC_TARGET)
    assert status == 200
    assert set(json.loads(body)["authorizationData"]) == {"authorizationToken", "expiresAt"}


def test_sigv4_scope_is_parsed(ecr: FakeEcr) -> None:
    status, _, body = _post(ecr, headers={"Authorization": SIGV4})
    assert status == 200
    [data] = json.loads(body)["authorizationData"]
    assert data["proxyEndpoint"].endswith(".dkr.ecr.ap-south-1.amazonaws.com")
    [req] = ecr.requests
    assert req.authorized and req.access_key_id == "AKIDTEST"
    assert (req.signing_region, req.signing_service) == ("ap-south-1", "ecr")


def test_refuse_unsigned_answers_as_real_ecr(ecr: FakeEcr) -> None:
    ecr.refuse_unsigned = True
    ecr.set_fault("http503", count=1)
    status, headers, body = _post(ecr)
    assert status == 400 and headers["content-type"] == JSON_11
    assert json.loads(body) == {"__type": "MissingAuthenticationTokenException",
                                "message": "Missing Authentication Token"}
    assert headers["x-amzn-errortype"].startswith("MissingAuthenticationTokenException:")
    [req] = ecr.requests
    assert not req.authorized and req.fault is None
    # A signed request is answered as before; the fault was left for it.
    status, _, _ = _post(ecr, headers={"Authorization": SIGV4})
    assert status == 503
    status, _, body = _post(ecr, headers={"Authorization": SIGV4})
    assert status == 200 and json.loads(body)["authorizationData"]


def test_constructor_options_and_overrides(ecr: FakeEcr) -> None:
    with FakeEcr(password="pw", lifetime=60, account="210987654321") as other:
        _, _, body = _post(other)
        [data] = json.loads(body)["authorizationData"]
        assert _decode(data["authorizationToken"]) == "AWS:pw"
        assert data["expiresAt"] < time.time() + 61
        assert data["proxyEndpoint"].startswith("https://210987654321.dkr.ecr.")

    ecr.set_token("bm90LWEtZG9ja2VyLXRva2Vu")
    ecr.set_expires_at(1700000000.5)
    for target in (ECR_TARGET, PUBLIC_TARGET):
        data = json.loads(_post(ecr, target)[2])["authorizationData"]
        entry = data[0] if isinstance(data, list) else data
        assert entry == {**entry, "authorizationToken": "bm90LWEtZG9ja2VyLXRva2Vu",
                         "expiresAt": 1700000000.5}
    ecr.reset()
    assert ecr.requests == []
    [data] = json.loads(_post(ecr)[2])["authorizationData"]
    assert _decode(data["authorizationToken"]) == f"AWS:{PASSWORD}"


@pytest.mark.parametrize(
    ("fault", "status", "error_type"),
    [
        ("http500", 500, "ServerException"),
        ("http503", 503, "ServiceUnavailableException"),
        ("throttling", 400, "ThrottlingException"),
        ("access-denied", 400, "AccessDeniedException"),
        ("expired-token", 400, "ExpiredTokenException"),
    ],
)
def test_error_wire_format(ecr: FakeEcr, fault: str, status: int, error_type: str) -> None:
    ecr.set_fault(fault, count=1)
    got_status, headers, body = _post(ecr)
    assert got_status == status
    assert headers["content-type"] == JSON_11
    assert headers["x-amzn-errortype"].split(":")[0] == error_type
    parsed = json.loads(body)
    assert parsed["__type"] == error_type and parsed["message"]
    assert _post(ecr)[0] == 200  # count=1 consumed


def test_fault_counting_and_validation(ecr: FakeEcr) -> None:
    ecr.set_fault("http500", count=2)
    assert [_post(ecr)[0] for _ in range(3)] == [500, 500, 200]
    ecr.set_fault("http500")
    assert [_post(ecr)[0] for _ in range(3)] == [500, 500, 500]
    ecr.set_fault(None)
    assert _post(ecr)[0] == 200
    ecr.set_fault("throttling")
    ecr.reset()
    assert _post(ecr)[0] == 200
    for bad in ("bogus", "HTTP500", ""):
        with pytest.raises(ValueError):
            ecr.set_fault(bad)
    with pytest.raises(ValueError):
        ecr.set_fault("slow")  # needs a delay
    with pytest.raises(ValueError):
        ecr.set_fault("http500", count=0)


def test_bad_requests(ecr: FakeEcr) -> None:
    status, _, body = _post(ecr, "Nope_20200101.GetAuthorizationToken")
    assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException"
    status, _, body = _post(ecr, None)
    assert status == 400
    status, _, body = _post(ecr, body={"registryIds": ["not-an-account"]})
    assert status == 400 and json.loads(body)["__type"] == "InvalidParameterException"
    assert [r.target for r in ecr.requests] == [None, None, "ecr"]


def test_truncated_response_on_the_wire(ecr: FakeEcr) -> None:
    ecr.set_fault("truncated", count=1)
    conn = http.client.HTTPConnection("127.0.0.1", ecr.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": ECR_TARGET})
    resp = conn.getresponse()
    assert resp.status == 200
    declared = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert 0 < len(info.value.partial) < declared
    conn.close()


def test_slow_sleep_is_interrupted_by_stop() -> None:
    server = FakeEcr().start()
    server.set_fault("slow", delay=60)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(_post(server)[0])
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests, "request never arrived"
    started = time.monotonic()
    server.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 3
    assert not thread.is_alive()
    assert outcome and not isinstance(outcome[0], int)  # hung up, never answered


def test_concurrent_requests_are_all_recorded(ecr: FakeEcr) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: _post(ecr)[0], range(64)))
    assert statuses == [200] * 64
    assert len(ecr.requests) == 64
    assert len({r.request_id for r in ecr.requests}) == 64


# -- proxy mode on the wire ------------------------------------------------------------
def _tunnel(server: FakeEcr, host: str) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(server.ca_bundle))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    conn.set_tunnel(host, 443)
    return conn


def test_proxy_mode_on_the_wire(proxied_ecr: FakeEcr) -> None:
    env = proxied_ecr.proxy_env()
    assert env["HTTPS_PROXY"] == env["https_proxy"] == proxied_ecr.proxy_url
    assert proxied_ecr.proxy_url == proxied_ecr.url
    assert env["AWS_CA_BUNDLE"] == str(proxied_ecr.ca_bundle)
    assert env["NO_PROXY"] == env["no_proxy"] == ""
    assert proxied_ecr.ca_bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")

    # A name that cannot resolve: success proves the target is never dialed.
    host = "api.ecr.eu-north-1.fake-ecr.invalid"
    for _ in range(2):  # two tunnels; the leaf certificate is cached per host
        conn = _tunnel(proxied_ecr, host)
        for _ in range(2):  # keep-alive inside the tunnel
            conn.request("POST", "/", body=b"{}",
                         headers={"X-Amz-Target": ECR_TARGET, "Content-Type": JSON_11})
            resp = conn.getresponse()
            assert resp.status == 200, resp.read()
            [data] = json.loads(resp.read())["authorizationData"]
            assert data["proxyEndpoint"].endswith(".dkr.ecr.eu-north-1.amazonaws.com")
        cert = conn.sock.getpeercert()
        assert ("DNS", host) in cert["subjectAltName"]
        conn.close()
    assert [r.via_proxy_host for r in proxied_ecr.requests] == [host] * 4
    assert all(r.host_header == host for r in proxied_ecr.requests)
    assert len(list(proxied_ecr.ca_bundle.parent.glob("leaf-*.pem"))) == 1

    # The same port still serves the plain endpoint.
    status, _, _ = _post(proxied_ecr, PUBLIC_TARGET)
    assert status == 200 and proxied_ecr.requests[-1].via_proxy_host is None


def _raw_connect(server: FakeEcr, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        return sock.recv(4096)


def test_proxy_refuses_other_ports(proxied_ecr: FakeEcr) -> None:
    assert _raw_connect(proxied_ecr, "example.com:80").startswith(b"HTTP/1.1 403")
    assert _raw_connect(proxied_ecr, "example.com:8443").startswith(b"HTTP/1.1 403")
    assert _raw_connect(proxied_ecr, "example.com:443").startswith(b"HTTP/1.1 200")
    assert proxied_ecr.requests == []


def test_connect_refused_without_proxy_mode(ecr: FakeEcr) -> None:
    assert not _raw_connect(ecr, "example.com:443").startswith(b"HTTP/1.1 200")
    with pytest.raises(RuntimeError):
        ecr.proxy_env()
