"""A small, fault-injecting local Amazon ECR / ECR Public endpoint.

Stdlib only (plus the ``openssl`` command line tool for proxy mode). It speaks
the AWS JSON 1.1 protocol that botocore uses for both services::

    POST /
    Content-Type: application/x-amz-json-1.1
    X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken  (ecr)
    X-Amz-Target: SpencerFrontendService.GetAuthorizationToken                 (ecr-public)

Usage::

    with FakeEcr(password="s3cret") as ecr:
        run(["aws", "ecr", "get-authorization-token", "--endpoint-url", ecr.url, ...])
        assert ecr.requests[0].signing_region == "eu-west-1"

Proxy mode (``enable_proxy(workdir)``) makes the same port also answer
``CONNECT host:443``: the tunnel is TLS-terminated locally with a leaf
certificate for ``host`` signed by a throwaway CA, and the JSON protocol is
served inside it. Nothing is ever dialed; the CONNECT target is only recorded
(``RecordedRequest.via_proxy_host``), which lets tests prove which real AWS
hostname a client addressed without leaving loopback.

Per-principal tokens (``FakeEcr(principals=MAPPING_OR_CALLABLE)``): the password is
``token-for-<principal>``, the principal looked up by the access key id of the request's SigV4
``Credential=`` scope (``unknown-<access key id>`` when the lookup finds none; unsigned requests
get ``token-for-unsigned``), so a test asserts *whose* token came back
(``FakeEcr.password_for(principal)``); ``RecordedRequest.principal`` names it too.

Tunnel routes (``route_tunnel(pattern, upstream_url)``, proxy mode): a ``CONNECT host:443``
whose host fully matches the regular expression ``pattern`` is still TLS-terminated here, but
its requests are replayed on the plain-HTTP ``upstream_url`` (a loopback fake or moto), with the
Host header kept. For CLIs without ``AWS_ENDPOINT_URL_<SERVICE>`` (STS, SSO on Debian's v2.9).

Spliced tunnels (``splice_tunnel(pattern, port)``, proxy mode): a ``CONNECT host:443`` whose
host fully matches ``pattern`` is not terminated here: its bytes are copied to and from
``127.0.0.1:port`` as they are, so the client's TLS session is with the server listening there
(a registry serving a certificate from ``issue_certificate(host)``, which this CA signs). The
host is recorded in ``FakeEcr.tunnels``. For clients that address an ECR registry by its real
name (helm, a static Go binary that has no hosts mapping of its own).

Faults (``set_fault(name, count=None, delay=0.0)``; each hits the next ``count``
requests, every request when ``count`` is None; a retry is a request too):

    http500 / http503        500 ServerException / 503 ServiceUnavailableException
    throttling               400 ThrottlingException "Rate exceeded"
    access-denied            400 AccessDeniedException
    expired-token            400 ExpiredTokenException
    slow                     sleep ``delay`` s first (needs delay > 0; stop() cuts it short
                             and hangs up). ``delay`` also works with any other fault.
    truncated                200, Content-Length larger than the bytes sent, then close
    not-json                 200 with an HTML body
    empty-auth-data          200 ``{"authorizationData": []}`` (ecr-public: ``{}``, the
                             empty form of its single-object shape)
    token-not-base64         authorizationToken is not base64
    token-no-colon           base64("AWS" + password without any ":")
    expired                  expiresAt an hour in the past

Errors carry ``__type``/``message`` in the body and an ``x-amzn-ErrorType`` header.
``proxyEndpoint`` uses the SigV4 scope's region (else the Host's, else us-east-1).

Signatures are parsed but never verified: ``authorized`` only means the request
carried a well-formed SigV4 ``Authorization`` header. Unsigned requests are
recorded and answered like signed ones, unless ``FakeEcr(refuse_unsigned=True)``
(or ``ecr.refuse_unsigned = True``): then, as real ECR does, an unsigned request is
recorded and answered ``400 MissingAuthenticationTokenException`` "Missing
Authentication Token" (before any fault, which it leaves for the next request).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import selectors
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

PrincipalLookup = Union[Mapping[str, str], Callable[[str], Union[str, None]]]

if TYPE_CHECKING:  # typing.Self is 3.11+, but this import never runs
    from typing import Self

__all__ = ["FAULTS", "FakeEcr", "RecordedRequest"]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

# X-Amz-Target prefix -> service name (the SigV4 signing name as well).
TARGET_PREFIXES = {
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "SpencerFrontendService": "ecr-public",
}

FAULTS = (
    "http500",
    "http503",
    "throttling",
    "access-denied",
    "expired-token",
    "slow",
    "truncated",
    "not-json",
    "empty-auth-data",
    "token-not-base64",
    "token-no-colon",
    "expired",
)

# fault -> (HTTP status, __type, message)
_ERROR_FAULTS = {
    "http500": (500, "ServerException", "Internal server error (injected by FakeEcr)"),
    "http503": (503, "ServiceUnavailableException", "Service Unavailable"),
    "throttling": (400, "ThrottlingException", "Rate exceeded"),
    "access-denied": (
        400,
        "AccessDeniedException",
        (
            "User: arn:aws:iam::{account}:user/fake is not authorized to perform: "
            "ecr:GetAuthorizationToken on resource: * because no identity-based policy "
            "allows the ecr:GetAuthorizationToken action"
        ),
    ),
    "expired-token": (
        400,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    ),
}

_SIGV4_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/"
    r"(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request\s*,"
)
_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Hostnames the real services use; the region is the label after the service part.
_REGION_FROM_HOST_RE = re.compile(
    r"^(?:api\.ecr|api\.ecr-fips|ecr-fips|ecr|api\.ecr-public)\.(?P<region>[a-z0-9-]+)\."
)
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_NOT_JSON_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>(injected by FakeEcr)</p></body></html>\n"
)


@dataclass
class RecordedRequest:
    """One HTTP request that reached the JSON API (plain or inside a proxy tunnel)."""

    target: str | None  # "ecr" / "ecr-public"; None when X-Amz-Target is missing/unknown
    operation: str | None  # e.g. "GetAuthorizationToken"
    host_header: str | None
    path: str
    body: dict  # parsed JSON body ({} when empty or not a JSON object)
    signing_region: str | None
    signing_service: str | None
    authorized: bool  # carried a well-formed SigV4 Authorization header
    access_key_id: str | None
    via_proxy_host: str | None  # CONNECT target host, when reached through the proxy
    method: str = "POST"
    x_amz_target: str | None = None
    headers: dict = field(default_factory=dict)  # lower-cased names
    raw_body: bytes = b""
    fault: str | None = None  # fault injected into the answer, if any
    principal: str | None = None  # whose keys signed it, with principals=
    request_id: str = ""
    received_at: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, owner: FakeEcr) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (read timeouts, "slow"/"truncated" faults, stop()) are normal.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeEcr/1.0"
    sys_version = ""
    # Idle keep-alive connections are dropped after this many seconds.
    timeout = 60
    # Buffered writes (headers + body leave in one segment) and TCP_NODELAY: otherwise
    # Nagle + delayed ACK add ~40 ms to every keep-alive request.
    wbufsize = -1

    server: _Server
    _tunnel_host: str | None = None
    _tls_sock: ssl.SSLSocket | None = None
    _upstream: str | None = None  # route_tunnel's upstream for this tunnel

    # -- plumbing ---------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.owner._track(self.request, add=False)
            if self._tls_sock is not None:
                self.server.owner._track(self._tls_sock, add=False)
                try:
                    self._tls_sock.close()
                except OSError:
                    pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = JSON_CONTENT_TYPE,
        headers: dict[str, str] | None = None,
        content_length: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if content_length is None:
            content_length = len(body)
        self.send_header("Content-Length", str(content_length))
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _send_aws_error(
        self, status: int, error_type: str, message: str, request_id: str | None = None
    ) -> None:
        body = json.dumps({"__type": error_type, "message": message}).encode()
        self._send(
            status,
            body,
            headers={"x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/"},
            request_id=request_id,
        )

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            return b""
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    # -- proxy --------------------------------------------------------------------
    def do_CONNECT(self) -> None:
        owner = self.server.owner
        if self._tunnel_host is not None:
            self.close_connection = True
            self._send_aws_error(400, "BadRequest", "CONNECT inside a tunnel")
            return
        if not owner._proxy_enabled:
            self.close_connection = True
            self._send_aws_error(405, "MethodNotAllowed", "proxy mode is not enabled")
            return
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]").lower()
        if not port.isdigit() or not _valid_host(host):
            self.close_connection = True
            self._send_aws_error(400, "BadRequest", f"bad CONNECT target {self.path!r}")
            return
        if int(port) != 443:
            self.close_connection = True
            self._send_aws_error(403, "Forbidden", f"CONNECT to port {port} refused")
            return
        try:
            context = owner._tls_context_for(host)
        except (RuntimeError, OSError, ssl.SSLError, subprocess.SubprocessError) as exc:
            self.close_connection = True
            self._send_aws_error(502, "BadGateway", f"cannot make certificate: {exc}")
            return
        splice_port = owner._splice_for(host)
        if splice_port is not None:
            self._splice(host, splice_port)
            return
        # The target is never dialed: we answer inside the tunnel ourselves.
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        self._tls_sock = tls
        owner._track(tls, add=True)
        self._tunnel_host = host
        self._upstream = owner._route_for(host)
        self.connection = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb")  # buffered: no short writes; flushed per reply
        # BaseHTTPRequestHandler.handle() keeps looping over the new (TLS) streams.
        self.close_connection = False

    def _splice(self, host: str, port: int) -> None:
        """Copy the tunnel's bytes to and from 127.0.0.1:port until either side closes."""
        owner = self.server.owner
        self.close_connection = True
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError as exc:
            self._send_aws_error(502, "BadGateway", f"cannot reach 127.0.0.1:{port}: {exc}")
            return
        owner._track(upstream, add=True)
        owner._record_tunnel(host)
        try:
            self.send_response(200, "Connection Established")
            self.end_headers()
            self.wfile.flush()
            # The client waits for this answer before its TLS hello: nothing is left buffered
            # in rfile, and the raw sockets carry the rest.
            upstream.settimeout(None)
            client = self.connection
            client.settimeout(None)
            peers = {client: upstream, upstream: client}
            with selectors.DefaultSelector() as selector:
                for sock in peers:
                    selector.register(sock, selectors.EVENT_READ)
                while not owner._stopping.is_set():
                    for key, _ in selector.select(timeout=0.5):
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        peers[key.fileobj].sendall(data)
        except OSError:
            return
        finally:
            owner._track(upstream, add=False)
            upstream.close()

    # -- JSON API -----------------------------------------------------------------
    def do_POST(self) -> None:
        owner = self.server.owner
        if self._upstream is not None:
            self._forward()
            return
        request_id = str(uuid.uuid4())
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        x_amz_target = self.headers.get("X-Amz-Target")
        service, operation = None, None
        if x_amz_target and "." in x_amz_target:
            prefix, operation = x_amz_target.split(".", 1)
            service = TARGET_PREFIXES.get(prefix)
            if service is None:
                operation = None
        body: Any
        body_ok = True
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            body, body_ok = {}, False
        if not isinstance(body, dict):
            body, body_ok = {}, False
        auth = _parse_sigv4(self.headers.get("Authorization"))
        refused = owner.refuse_unsigned and auth is None
        fault, delay = (None, 0.0) if refused else owner._take_fault()
        record = RecordedRequest(
            target=service,
            operation=operation,
            host_header=self.headers.get("Host"),
            path=self.path,
            body=body,
            signing_region=auth["region"] if auth else None,
            signing_service=auth["service"] if auth else None,
            authorized=auth is not None,
            access_key_id=auth["akid"] if auth else None,
            via_proxy_host=self._tunnel_host,
            method=self.command,
            x_amz_target=x_amz_target,
            headers={k.lower(): v for k, v in self.headers.items()},
            raw_body=raw,
            fault=fault,
            request_id=request_id,
            received_at=time.time(),
        )
        if owner.principals is not None:
            record.principal = owner._principal_of(record.access_key_id)
        owner._record(record)

        if refused:  # real ECR's answer to a request without a signature
            self._send_aws_error(400, "MissingAuthenticationTokenException",
                                 "Missing Authentication Token", request_id)
            return
        if delay > 0 and owner._stopping.wait(delay):
            self.close_connection = True  # stop() interrupted the sleep: just hang up
            return

        if fault in _ERROR_FAULTS:
            status, error_type, message = _ERROR_FAULTS[fault]
            self._send_aws_error(status, error_type, message.format(account=owner.account),
                                 request_id)
            return
        if fault == "not-json":
            self._send(200, _NOT_JSON_BODY, content_type="text/html; charset=utf-8",
                       request_id=request_id)
            return
        if service is None or operation != "GetAuthorizationToken":
            self._send_aws_error(
                400,
                "UnknownOperationException",
                f"unknown operation {x_amz_target!r}",
                request_id,
            )
            return
        if not body_ok:
            self._send_aws_error(400, "SerializationException", "body is not a JSON object",
                                 request_id)
            return
        try:
            payload = owner._auth_payload(service, body, fault, self._region_hint(auth),
                                          record.principal)
        except _InvalidParameter as exc:
            self._send_aws_error(400, "InvalidParameterException", str(exc), request_id)
            return
        data = json.dumps(payload).encode()
        if fault == "truncated":
            self.close_connection = True
            self._send(200, data[: len(data) // 2], content_length=len(data) + 64,
                       request_id=request_id)
            return
        self._send(200, data, request_id=request_id)

    def _region_hint(self, auth: dict[str, str] | None) -> str:
        if auth:
            return auth["region"]
        host = (self._tunnel_host or self.headers.get("Host") or "").lower()
        match = _REGION_FROM_HOST_RE.match(host)
        return match.group("region") if match else DEFAULT_REGION

    def _not_supported(self) -> None:
        if self._upstream is not None:
            self._forward()
            return
        self._read_body()
        self._send_aws_error(405, "MethodNotAllowed", f"{self.command} is not supported")

    def _forward(self) -> None:
        from tests.servers.credential_endpoints import Call, forward

        call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                    self._read_body())
        self.server.owner._record_forwarded(self._tunnel_host, call)
        try:
            status, content_type, body = forward(call, urllib.parse.urlsplit(self._upstream))
        except OSError as exc:
            self._send_aws_error(502, "BadGateway", f"upstream {self._upstream}: {exc}")
            return
        self._send(status, body, content_type=content_type)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _not_supported


class _InvalidParameter(Exception):
    pass


def _valid_host(host: str) -> bool:
    if _HOST_RE.match(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _parse_sigv4(header: str | None) -> dict[str, str] | None:
    if not header:
        return None
    match = _SIGV4_RE.match(header.strip())
    if not match or "Signature=" not in header or "SignedHeaders=" not in header:
        return None
    return match.groupdict()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class FakeEcr:
    """Threaded fake ECR / ECR Public endpoint on 127.0.0.1 (see module docstring)."""

    def __init__(
        self,
        *,
        password: str = "fake-ecr-password",
        lifetime: float = 12 * 3600,
        account: str = DEFAULT_ACCOUNT,
        principals: PrincipalLookup | None = None,
        refuse_unsigned: bool = False,
    ) -> None:
        self.password = password
        self.refuse_unsigned = refuse_unsigned  # answer unsigned requests as real ECR does
        self.principals = principals
        self.forwarded: list[tuple[str, Any]] = []  # (tunnel host, Call) sent to a route
        self._routes: list[tuple[re.Pattern, str]] = []
        self._splices: list[tuple[re.Pattern, int]] = []
        self.tunnels: list[str] = []  # hosts of the spliced tunnels, in order
        self.lifetime = lifetime
        self.account = account
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._fault_remaining: int | None = None
        self._fault_delay = 0.0
        self._token: str | None = None
        self._expires_at: float | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._proxy_enabled = False
        self._workdir: Path | None = None
        self._ca_key: Path | None = None
        self._ca_cert: Path | None = None
        self._leaf_key: Path | None = None
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._cert_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> FakeEcr:
        if self._server is not None:
            raise RuntimeError("FakeEcr already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeEcr:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes "slow" sleepers
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:  # unblock handler threads stuck in keep-alive reads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeEcr is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for ``--endpoint-url``."""
        return f"http://127.0.0.1:{self.port}"

    # -- state --------------------------------------------------------------------
    def reset(self) -> None:
        """Forget recorded requests, faults and set_token/set_expires_at overrides."""
        with self._lock:
            self.requests.clear()
            self._fault, self._fault_remaining, self._fault_delay = None, None, 0.0
            self._token = None
            self._expires_at = None
            self.forwarded.clear()
            self.tunnels.clear()

    def set_fault(
        self, fault: str | None, *, count: int | None = None, delay: float = 0.0
    ) -> None:
        """Inject ``fault`` into the next ``count`` requests (all of them when None).

        ``delay`` seconds are slept before answering (required for "slow"; also
        honoured with any other fault). ``set_fault(None)`` clears the fault.
        """
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        if count is not None and count < 1:
            raise ValueError("count must be >= 1 (or None for every request)")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if fault == "slow" and delay <= 0:
            raise ValueError('fault "slow" needs delay > 0')
        with self._lock:
            if fault is None:
                self._fault, self._fault_remaining, self._fault_delay = None, None, 0.0
            else:
                self._fault, self._fault_remaining, self._fault_delay = fault, count, delay

    def set_token(self, token_b64: str | None) -> None:
        """Serve exactly this ``authorizationToken`` (None: back to base64("AWS:<password>"))."""
        with self._lock:
            self._token = token_b64

    def set_expires_at(self, epoch: float | None) -> None:
        """Serve this ``expiresAt`` (None: back to now + lifetime)."""
        with self._lock:
            self._expires_at = epoch

    @staticmethod
    def password_for(principal: str) -> str:
        """The password a per-principal FakeEcr issues to ``principal``."""
        return f"token-for-{principal}"

    def _principal_of(self, access_key_id: str | None) -> str:
        if access_key_id is None:
            return "unsigned"
        lookup = self.principals
        found = lookup(access_key_id) if callable(lookup) else lookup.get(access_key_id)
        return found or f"unknown-{access_key_id}"

    def requests_for(self, target: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.target == target]

    # -- proxy mode ---------------------------------------------------------------
    def enable_proxy(self, workdir: Path) -> None:
        """Create a throwaway CA in ``workdir`` and answer ``CONNECT host:443`` locally."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = workdir / "fake-ecr-ca.key", workdir / "fake-ecr-ca.pem"
        leaf_key = workdir / "fake-ecr-leaf.key"
        config = workdir / "fake-ecr-ca.cnf"
        config.write_text(
            "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = v3_ca\n"
            "[dn]\nCN = FakeEcr throwaway test CA\nO = awscli-ecr-login-ext tests\n"
            "[v3_ca]\nbasicConstraints = critical,CA:TRUE\n"
            "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
        )
        _openssl(
            "req", "-x509", "-new", "-nodes", "-config", str(config),
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2",
            "-set_serial", str(secrets.randbits(63)),
        )
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(leaf_key))
        with self._cert_lock:
            self._workdir = workdir
            self._ca_key, self._ca_cert, self._leaf_key = ca_key, ca_cert, leaf_key
            self._contexts.clear()
        self._proxy_enabled = True

    def route_tunnel(self, pattern: str, upstream_url: str) -> None:
        """Serve tunnels to hosts fully matching ``pattern`` from ``upstream_url`` (see top)."""
        self._routes.append((re.compile(pattern), upstream_url))

    def splice_tunnel(self, pattern: str, port: int) -> None:
        """Splice tunnels to hosts fully matching ``pattern`` to 127.0.0.1:``port`` (see top)."""
        self._splices.append((re.compile(pattern), port))

    def _splice_for(self, host: str) -> int | None:
        return next((port for pattern, port in self._splices if pattern.fullmatch(host)), None)

    def _record_tunnel(self, host: str) -> None:
        with self._lock:
            self.tunnels.append(host)

    def issue_certificate(self, *hosts: str) -> tuple[Path, Path]:
        """A server certificate for ``hosts`` (names or IP addresses) signed by this CA, and
        its key: (certificate file, key file), for a server the clients reach through a spliced
        tunnel."""
        if self._ca_cert is None or self._workdir is None:
            raise RuntimeError("call enable_proxy() first")
        sans = []
        for host in hosts:
            try:
                ipaddress.ip_address(host)
                sans.append(f"IP:{host}")
            except ValueError:
                sans.append(f"DNS:{host}")
        with self._cert_lock:
            name = f"server-{len(list(self._workdir.glob('server-*.pem')))}"
            key = self._workdir / f"{name}.key"
            _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
            return self._sign(key, hosts[0], ",".join(sans), name), key

    def _sign(self, key: Path, common_name: str, san: str, name: str) -> Path:
        assert self._workdir and self._ca_key and self._ca_cert
        csr = self._workdir / f"{name}.csr"
        cert = self._workdir / f"{name}.pem"
        ext = self._workdir / f"{name}.ext"
        ext.write_text(
            "basicConstraints = critical,CA:FALSE\n"
            "keyUsage = critical,digitalSignature\n"
            "extendedKeyUsage = serverAuth\n"
            f"subjectAltName = {san}\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
        )
        _openssl("req", "-new", "-key", str(key), "-subj", f"/CN={common_name[:64]}",
                 "-out", str(csr))
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self._ca_cert),
            "-CAkey", str(self._ca_key), "-set_serial", str(secrets.randbits(63)),
            "-days", "2", "-sha256", "-extfile", str(ext), "-out", str(cert),
        )
        return cert

    def _route_for(self, host: str) -> str | None:
        return next((url for pattern, url in self._routes if pattern.fullmatch(host)), None)

    def _record_forwarded(self, host: str | None, call: Any) -> None:
        with self._lock:
            self.forwarded.append((host, call))

    @property
    def ca_bundle(self) -> Path:
        if self._ca_cert is None:
            raise RuntimeError("call enable_proxy() first")
        return self._ca_cert

    @property
    def proxy_url(self) -> str:
        if not self._proxy_enabled:
            raise RuntimeError("call enable_proxy() first")
        return self.url

    def proxy_env(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "AWS_CA_BUNDLE": str(self.ca_bundle),
            "NO_PROXY": "",
            "no_proxy": "",
        }

    def _tls_context_for(self, host: str) -> ssl.SSLContext:
        with self._cert_lock:
            context = self._contexts.get(host)
            if context is not None:
                return context
            assert self._workdir and self._ca_key and self._ca_cert and self._leaf_key
            try:
                ipaddress.ip_address(host)
                san = f"IP:{host}"
            except ValueError:
                san = f"DNS:{host}"
            safe = re.sub(r"[^A-Za-z0-9.-]", "_", host)
            cert = self._sign(self._leaf_key, host, san, f"leaf-{safe}")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert), str(self._leaf_key))
            self._contexts[host] = context
            return context

    # -- internals used by the handler ---------------------------------------------
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)

    def _take_fault(self) -> tuple[str | None, float]:
        with self._lock:
            fault, delay = self._fault, self._fault_delay
            if fault is None:
                return None, 0.0
            if self._fault_remaining is not None:
                self._fault_remaining -= 1
                if self._fault_remaining <= 0:
                    self._fault, self._fault_remaining, self._fault_delay = None, None, 0.0
            return fault, delay

    def _auth_payload(
        self, service: str, body: dict, fault: str | None, region: str,
        principal: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            token_override, expires_override = self._token, self._expires_at
        password = self.password if principal is None else self.password_for(principal)
        now = time.time()
        expires_at = expires_override if expires_override is not None else now + self.lifetime
        if fault == "expired":
            expires_at = now - 3600.0
        if token_override is not None:
            token = token_override
        elif fault == "token-not-base64":
            token = "!!this is not base64!!"
        elif fault == "token-no-colon":
            token = _b64("AWS" + password.replace(":", ""))
        else:
            token = _b64(f"AWS:{password}")

        if service == "ecr-public":
            if fault == "empty-auth-data":
                return {"authorizationData": {}}
            return {"authorizationData": {"authorizationToken": token, "expiresAt": expires_at}}

        if fault == "empty-auth-data":
            return {"authorizationData": []}
        registry_ids = body.get("registryIds") or [self.account]
        if not isinstance(registry_ids, list):
            raise _InvalidParameter("registryIds must be a list")
        for registry_id in registry_ids:
            if not isinstance(registry_id, str) or not _ACCOUNT_RE.match(registry_id):
                raise _InvalidParameter(
                    f"Invalid parameter at 'registryIds' failed to satisfy constraint: "
                    f"'{registry_id}' must be a 12-digit account id"
                )
        return {
            "authorizationData": [
                {
                    "authorizationToken": token,
                    "expiresAt": expires_at,
                    "proxyEndpoint": f"https://{registry_id}.dkr.ecr.{region}.amazonaws.com",
                }
                for registry_id in registry_ids
            ]
        }


def _openssl(*args: str) -> None:
    proc = subprocess.run(
        ["openssl", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")

