"""Loopback fakes of the endpoints botocore's credential providers call, each a real HTTP server.

Stdlib only. Every fake hands out the credentials of a named *principal*; the access key id is
derived from the name (``access_key_for``), so the per-principal FakeEcr (``principals=``) can
tell whose keys signed a GetAuthorizationToken call::

    Imds(role="instance-role")                 IMDSv2: PUT /latest/api/token, then GET
                                               /latest/meta-data/iam/security-credentials/[ROLE]
                                               (AWS_EC2_METADATA_SERVICE_ENDPOINT)
    ContainerCredentials(by_token={...},       GET any path; Authorization header -> principal
                         by_path={...})        (by_token), else the path -> principal (by_path)
                                               (AWS_CONTAINER_CREDENTIALS_FULL_URI / RELATIVE_URI)
    SsoPortal(grants={(bearer, account, role): principal})
                                               GET /federation/credentials?account_id=&role_name=
                                               with x-amz-sso_bearer_token (AWS_ENDPOINT_URL_SSO)
    StsGate(upstream=moto_url, denied={role_arn})
                                               forwards every STS call to moto, except AssumeRole*
                                               of a denied role: 403 AccessDenied, as STS says it
                                               (AWS_ENDPOINT_URL_STS)

Each records its calls (``calls``) and takes one fault, ``set_fault("timeout", delay=S)``: it
sleeps S seconds before answering (stop() cuts the sleep short).

``python -m tests.servers.credential_endpoints --container HOST:PORT --ecr-principal NAME ...``
runs a ContainerCredentials fake and a per-principal FakeEcr in one process (for a network
namespace the test made itself), prints ``{"ecr": URL, "container": URL}`` and serves until
its stdin closes; for each line it reads it prints ``{"ecr_principals": [...],
"container_paths": [...]}``, the principals of the GetAuthorizationToken calls and the paths
asked of the container endpoint so far.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ContainerCredentials", "Imds", "SsoPortal", "StsGate", "access_key_for",
           "credentials_for"]

LIFETIME = 6 * 3600


def access_key_for(principal: str) -> str:
    """The access key id a fake issues to ``principal`` (stable, so tests can name it)."""
    return "ASIA" + hashlib.sha256(principal.encode()).hexdigest()[:16].upper()


def credentials_for(principal: str) -> dict[str, str]:
    digest = hashlib.sha256(b"secret:" + principal.encode()).hexdigest()
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + LIFETIME))
    return {"AccessKeyId": access_key_for(principal), "SecretAccessKey": digest[:40],
            "Token": "session-" + digest[40:], "Expiration": expiration}


@dataclass
class Call:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: bytes = b""
    answered: int = 0  # HTTP status sent (0: hung up)
    received_at: float = field(default_factory=time.time)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: Endpoint, address: tuple[str, int]) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that gave up (IMDS timeout) is normal
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"")
        owner = self.server.owner
        owner._record(call)
        delay = owner._take_delay()
        if delay and owner._stopping.wait(delay):
            self.close_connection = True
            return
        status, content_type, body = owner.answer(call)
        call.answered = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    do_GET = do_PUT = do_POST = _serve


class Endpoint:
    """One threaded HTTP server (127.0.0.1 and a free port unless told otherwise)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.calls: list[Call] = []
        self._address = (host, port)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._delay = 0.0
        self._server: _Server | None = None

    def start(self) -> Endpoint:
        self._stopping.clear()
        self._server = _Server(self, self._address)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()
            server.shutdown()
            server.server_close()

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_fault(self, fault: str | None, *, delay: float = 0.0) -> None:
        if fault not in (None, "timeout"):
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._delay = delay if fault else 0.0

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._delay = 0.0

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _take_delay(self) -> float:
        with self._lock:
            return self._delay

    def answer(self, call: Call) -> tuple[int, str, bytes]:
        raise NotImplementedError


def _json(status: int, document: object) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(document).encode()


class Imds(Endpoint):
    """IMDSv2 with one instance role; GETs without the session token get 401, as IMDSv2 does."""

    TOKEN_PATH = "/latest/api/token"
    CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"

    def __init__(self, role: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role = role
        self._session_token = uuid.uuid4().hex

    def answer(self, call: Call) -> tuple[int, str, bytes]:
        if call.method == "PUT" and call.path == self.TOKEN_PATH:
            if "x-aws-ec2-metadata-token-ttl-seconds" not in call.headers:
                return 400, "text/plain", b"missing ttl header"
            return 200, "text/plain", self._session_token.encode()
        if call.headers.get("x-aws-ec2-metadata-token") != self._session_token:
            return 401, "text/plain", b""
        if call.path == self.CREDENTIALS_PATH:
            return 200, "text/plain", self.role.encode()
        if call.path == self.CREDENTIALS_PATH + self.role:
            issued = credentials_for(self.role)
            return _json(200, {"Code": "Success", "Type": "AWS-HMAC", "LastUpdated":
                               time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **issued})
        return 404, "text/plain", b"Not Found"


class ContainerCredentials(Endpoint):
    """The ECS/EKS container credentials endpoint."""

    def __init__(self, *, by_token: Mapping[str, str] = (), by_path: Mapping[str, str] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.by_token, self.by_path = dict(by_token), dict(by_path)

    def answer(self, call: Call) -> tuple[int, str, bytes]:
        token = call.headers.get("authorization")
        principal = self.by_token.get(token) if token else self.by_path.get(call.path)
        if principal is None:
            return _json(403, {"code": "AccessDenied", "message": "unknown token or path"})
        return _json(200, credentials_for(principal))


class SsoPortal(Endpoint):
    """The IAM Identity Center portal's GetRoleCredentials."""

    def __init__(self, grants: Mapping[tuple[str, str, str], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.grants = dict(grants)

    def answer(self, call: Call) -> tuple[int, str, bytes]:
        url = urllib.parse.urlsplit(call.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path != "/federation/credentials":
            return _json(404, {"message": "Not Found"})
        principal = self.grants.get((call.headers.get("x-amz-sso_bearer_token", ""),
                                     query.get("account_id", ""), query.get("role_name", "")))
        if principal is None:
            return _json(401, {"message": "Session token not found or invalid"})
        issued = credentials_for(principal)
        expiration_ms = int(time.time() + LIFETIME) * 1000
        return _json(200, {"roleCredentials": {
            "accessKeyId": issued["AccessKeyId"], "secretAccessKey": issued["SecretAccessKey"],
            "sessionToken": issued["Token"], "expiration": expiration_ms}})


class StsGate(Endpoint):
    """Forwards STS (query protocol) to moto; AssumeRole* of a role in ``denied`` is refused."""

    _DENIED = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
               "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: {caller} is not "
               "authorized to perform: sts:AssumeRole on resource: {role}</Message></Error>"
               "<RequestId>{request}</RequestId></ErrorResponse>")

    def __init__(self, upstream: str, *, denied: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.upstream = urllib.parse.urlsplit(upstream)
        self.denied = set(denied)

    def answer(self, call: Call) -> tuple[int, str, bytes]:
        form = dict(urllib.parse.parse_qsl(call.body.decode("utf-8", "replace")))
        role = form.get("RoleArn", "")
        if form.get("Action", "").startswith("AssumeRole") and role in self.denied:
            body = self._DENIED.format(caller="arn:aws:iam::123456789012:user/caller",
                                       role=role, request=uuid.uuid4())
            return 403, "text/xml", body.encode()
        return forward(call, self.upstream)

    def actions(self) -> list[tuple[str, str]]:
        """(Action, RoleArn) of every call so far."""
        with self._lock:
            forms = [dict(urllib.parse.parse_qsl(c.body.decode("utf-8", "replace")))
                     for c in self.calls]
        return [(form.get("Action", ""), form.get("RoleArn", "")) for form in forms]


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "proxy-connection", "upgrade"}


def forward(call: Call, upstream: urllib.parse.SplitResult) -> tuple[int, str, bytes]:
    """Replay ``call`` on a plain-HTTP ``upstream`` (Host header kept: moto routes on it)."""
    connection = HTTPConnection(upstream.hostname, upstream.port, timeout=60)
    try:
        headers = {k: v for k, v in call.headers.items() if k not in _HOP_BY_HOP}
        connection.request(call.method, call.path, body=call.body, headers=headers)
        response = connection.getresponse()
        return (response.status, response.getheader("Content-Type", "text/xml"),
                response.read())
    finally:
        connection.close()


def _serve_for_namespace(argv: list[str]) -> int:
    """Run a container endpoint and a per-principal FakeEcr until stdin closes."""
    from tests.servers.fake_ecr import FakeEcr

    parser = argparse.ArgumentParser(prog="python -m tests.servers.credential_endpoints")
    parser.add_argument("--container", required=True, help="HOST:PORT to bind")
    parser.add_argument("--path", action="append", default=[], help="PATH=PRINCIPAL")
    parser.add_argument("--token", action="append", default=[], help="TOKEN=PRINCIPAL")
    parser.add_argument("--ecr-principal", action="append", default=[],
                        help="a principal whose access key the ECR fake knows")
    args = parser.parse_args(argv)
    host, _, port = args.container.rpartition(":")
    container = ContainerCredentials(
        by_token=dict(item.split("=", 1) for item in args.token),
        by_path=dict(item.split("=", 1) for item in args.path), host=host, port=int(port))
    ecr = FakeEcr(principals={access_key_for(name): name for name in args.ecr_principal})
    with container, ecr:
        print(json.dumps({"ecr": ecr.url, "container": container.url}), flush=True)
        for _ in sys.stdin:  # each line asks for what happened so far
            print(json.dumps({"ecr_principals": [r.principal for r in ecr.requests],
                              "container_paths": [c.path for c in container.calls]}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve_for_namespace(sys.argv[1:]))
