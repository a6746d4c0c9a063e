"""`aws ecr2 get-login` and the registry selectors, through both CLI majors' own machinery."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from datetime import datetime, timezone

import pytest

from tests.conftest import CLIS, Cli, require, run_python, usage_exit_code

EXPIRES_AT = 1795000000  # fixed, so the expected output is known in advance
EXPIRES_ISO = datetime.fromtimestamp(EXPIRES_AT, tz=timezone.utc).isoformat()
EU = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
EU_OTHER = "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
US = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.fixture
def endpoint(fake_ecr):
    fake_ecr.set_expires_at(EXPIRES_AT)
    return fake_ecr


def login_entry(registry, region, registry_id, password, public=False, profile="default"):
    return {"Registry": registry, "ProxyEndpoint": f"https://{registry}",
            "RegistryId": registry_id, "Region": region, "Username": "AWS",
            "Password": password, "ExpiresAt": EXPIRES_ISO, "Public": public,
            "Profile": profile}


FORMAT_WITH_THE_CLI = """
import io, json, sys, argparse
import awscli
from awscli.formatter import get_formatter
output, data = sys.argv[1], json.loads(sys.stdin.read())
globals_ = argparse.Namespace(query=None, color="off", output=output)
stream = io.StringIO()
formatter = get_formatter(output, globals_)
try:
    formatter("get-login", data, stream)
except TypeError:
    formatter("get-login", data, stream=stream)
sys.stdout.write(stream.getvalue())
"""


def formatted_by_the_cli(cli: Cli, output: str, data: dict) -> str:
    return run_python(cli, FORMAT_WITH_THE_CLI, output, input=json.dumps(data)).stdout


def output_formats(cli: Cli) -> list[str]:
    return ["json", "text", "table"] + (["yaml", "yaml-stream"] if cli.major >= 2 else [])


def test_every_output_format_equals_the_cli_formatter(aws_home, cli, endpoint):
    expected_data = {"Logins": [
        login_entry(EU, "eu-west-1", "123456789012", endpoint.password),
        login_entry(US, "us-east-1", "123456789012", endpoint.password),
    ]}
    for output in output_formats(cli):
        result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                              "--registry", EU, US, "--output", output, "--color", "off")
        assert result.returncode == 0, result.stderr
        assert result.stdout == formatted_by_the_cli(cli, output, expected_data), output


def test_query_of_the_password_equals_get_login_password(aws_home, cli, endpoint):
    structured = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                              "--query", "Logins[0].Password", "--output", "text")
    bare = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", endpoint.url)
    assert structured.returncode == bare.returncode == 0
    assert structured.stdout == bare.stdout == endpoint.password + "\n"


def test_default_is_the_callers_own_registry(aws_home, cli, endpoint):
    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "Logins": [login_entry(EU, "eu-west-1", "123456789012", endpoint.password)]}


def test_two_regions_and_two_ids_make_two_calls_in_the_order_asked(aws_home, cli, endpoint):
    result = aws_home.run(
        cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
        "--registry", US, f"https://{EU}/team/app:1.0",
        "--registry-ids", "123456789012", "210987654321")
    assert result.returncode == 0, result.stderr
    logins = json.loads(result.stdout)["Logins"]
    assert [login["Registry"] for login in logins] == [US, EU, EU, EU_OTHER]
    assert [login["RegistryId"] for login in logins] == [
        "123456789012", "123456789012", "123456789012", "210987654321"]
    assert sorted(r.signing_region for r in endpoint.requests) == ["eu-west-1", "us-east-1"]
    assert all(r.body == {} for r in endpoint.requests)  # registryIds is deprecated: never sent


@pytest.mark.parametrize("selector", [["--public"], ["--registry", "public.ecr.aws/org/app:1"]])
def test_public_calls_ecr_public_in_us_east_1(aws_home, cli, endpoint, selector):
    aws_home.write_config("[default]\nregion = ap-southeast-2\n")
    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url, *selector)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"Logins": [
        login_entry("public.ecr.aws", "us-east-1", None, endpoint.password, public=True)]}
    [request] = endpoint.requests
    assert (request.target, request.signing_region, request.signing_service) == (
        "ecr-public", "us-east-1", "ecr-public")


@pytest.mark.parametrize("host, fips, dualstack", [
    ("123456789012.dkr.ecr-fips.us-west-2.amazonaws.com", True, False),
    ("123456789012.dkr-ecr.us-west-2.on.aws", False, True),
])
def test_fips_and_dualstack_hosts_reach_their_own_endpoints(aws_home, cli, tmp_path, host, fips,
                                                            dualstack):
    from tests.servers.fake_ecr import FakeEcr

    server = FakeEcr()
    server.enable_proxy(tmp_path / "proxy")
    with server.start():
        result = aws_home.run(cli, "ecr2", "get-login", "--registry", host,
                              env=server.proxy_env())
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["Logins"][0]["Registry"] == host
        [request] = server.requests
    addressed = request.via_proxy_host
    assert (request.signing_region, request.signing_service) == ("us-west-2", "ecr")
    assert "us-west-2" in addressed
    assert ("fips" in addressed) is fips
    assert addressed.endswith(".api.aws") is dualstack


def test_http_registry_values_are_never_fetched(aws_home, cli, endpoint):
    bait = f"{endpoint.url}/never-fetch-this"
    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                          "--registry", bait)
    assert result.returncode == usage_exit_code(cli)
    assert result.stdout == ""
    assert repr(bait) in result.stderr
    assert endpoint.requests == []


ALIASED = "127.0.0.1:5000"


@pytest.mark.parametrize("how", ["argument", "profile"])
def test_custom_registry_names(aws_home, cli, endpoint, how):
    if how == "profile":
        aws_home.write_config(f"[default]\nregion = us-east-1\necr2_registry_aliases =\n"
                              f"    {ALIASED} = {EU}\n")
        selector = ALIASED
    else:
        aws_home.write_config("[default]\nregion = us-east-1\n")
        selector = f"{ALIASED}={EU}"
    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                          "--registry", selector)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"Logins": [
        login_entry(ALIASED, "eu-west-1", "123456789012", endpoint.password)]}
    [request] = endpoint.requests
    assert request.signing_region == "eu-west-1"


def test_docker_config_document(aws_home, cli, endpoint):
    import base64

    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                          "--registry", EU, f"{ALIASED}={US}", "--docker-config")
    assert result.returncode == 0, result.stderr
    auth = base64.b64encode(f"AWS:{endpoint.password}".encode()).decode()
    assert json.loads(result.stdout) == {"auths": {EU: {"auth": auth}, ALIASED: {"auth": auth}}}


BAD_SELECTORS = [
    (["get-login", "--registry", "docker.io/library/alpine"], "'docker.io/library/alpine'"),
    (["get-login", "--registry", "12345.dkr.ecr.eu-west-1.amazonaws.com"], "'12345.dkr.ecr"),
    (["get-login", "--registry-ids", "12345"], "'12345'"),
    (["get-login", "--registry-ids", "12345678901a"], "'12345678901a'"),
    (["get-login", "--registry", "localhost:5000=docker.io"], "docker.io"),
    (["get-login", "--region", "us-east-1", "--registry", EU], "--region us-east-1"),
    (["get-login", "--region", "eu-west-1", "--public"], "--region eu-west-1"),
    (["get-login-password", "--registry", EU, US], "use 'aws ecr2 get-login'"),
]


@pytest.mark.parametrize("args, named", BAD_SELECTORS, ids=lambda v: str(v)[:40])
def test_bad_selectors_fail_before_any_call(aws_home, cli, endpoint, args, named):
    result = aws_home.run(cli, "ecr2", *args, "--endpoint-url", endpoint.url)
    assert result.returncode == usage_exit_code(cli), result.stderr
    assert result.stdout == ""
    assert named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert endpoint.requests == []


def run_on_a_terminal(cli: Cli, aws_home, args: list[str]) -> str:
    """Run with stdout on a pseudo-terminal, as a user at a shell does; return what it showed."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([str(cli.executable), *args], stdout=secondary, stderr=secondary,
                               stdin=subprocess.DEVNULL, env=aws_home.env,
                               cwd=aws_home.root)
    os.close(secondary)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=60)
    os.close(primary)
    return shown.decode("utf-8", "replace")


@pytest.mark.parametrize("v2", [cli for cli in CLIS if cli.major >= 2], ids=str)
def test_v2_pages_on_a_terminal_unless_told_not_to(aws_home, tmp_path, endpoint, v2):
    require(v2.executable.exists(), f"AWS CLI {v2.label} not found")
    record = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {record}\n")
    pager.chmod(0o755)
    aws_home.write_config(f"[default]\nregion = eu-west-1\ncli_pager = {pager}\n")
    del aws_home.env["AWS_PAGER"]  # an empty AWS_PAGER would switch paging off
    args = ["ecr2", "get-login", "--endpoint-url", endpoint.url, "--output", "json"]

    run_on_a_terminal(v2, aws_home, args)
    assert json.loads(record.read_text())["Logins"][0]["Registry"] == EU

    record.unlink()
    shown = run_on_a_terminal(v2, aws_home, [*args, "--no-cli-pager"])
    assert not record.exists()
    assert EU in shown

    piped = aws_home.run(v2, *args)  # not a terminal: never paged
    assert not record.exists()
    assert json.loads(piped.stdout)["Logins"][0]["Registry"] == EU


def test_repeated_selector_flags_add_up(aws_home, cli, endpoint):
    result = aws_home.run(cli, "ecr2", "get-login", "--endpoint-url", endpoint.url,
                          "--registry", US, "--registry", EU,
                          "--registry-ids", "210987654321", "--registry-ids", "123456789012",
                          "--query", "Logins[].Registry", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [US, EU, EU_OTHER, EU]
