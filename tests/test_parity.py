"""`aws ecr2 get-login-password` against `aws ecr get-login-password`, run the way a user runs
them."""

from __future__ import annotations

import pytest

from tests.conftest import MOTO_PASSWORD, Cli, error_line, free_port

# Global options of the seed's synopsis. Options one major does not know fail
# the same way for both commands, which the comparison checks too.
GLOBAL_OPTION_CASES = {
    "plain": [],
    "region": ["--region", "us-west-2"],
    "debug": ["--debug"],
    "no-verify-ssl": ["--no-verify-ssl"],
    "no-paginate": ["--no-paginate"],
    "output-text": ["--output", "text"],
    "output-table": ["--output", "table"],
    "output-yaml": ["--output", "yaml"],
    "query": ["--query", "authorizationData[0]"],
    "bad-query": ["--query", "[[["],
    "profile": ["--profile", "other"],
    "unknown-profile": ["--profile", "nope"],
    "color-on": ["--color", "on"],
    "color-off": ["--color", "off"],
    "ca-bundle": ["--ca-bundle", "/etc/ssl/certs/ca-certificates.crt"],
    "read-timeout": ["--cli-read-timeout", "30"],
    "connect-timeout": ["--cli-connect-timeout", "30"],
    "binary-format": ["--cli-binary-format", "base64"],
    "no-cli-pager": ["--no-cli-pager"],
    "cli-auto-prompt-off": ["--no-cli-auto-prompt"],
    "version-flag-last": ["--endpoint-url", "not-a-url"],
}

NO_SIGN_REQUEST_MESSAGE = ("--no-sign-request cannot be used with ecr2: ECR issues an "
                           "authorization token only to a caller with AWS credentials.")

PROFILES = """[default]
region = eu-west-1

[profile other]
region = ap-southeast-2
aws_access_key_id = AKIDOTHER000000000001
aws_secret_access_key = other-secret
"""


def run_both(aws_home, cli: Cli, endpoint: str, extra: list[str], **kwargs):
    results = []
    for service in ("ecr", "ecr2"):
        results.append(aws_home.run(
            cli, service, "get-login-password", "--endpoint-url", endpoint, *extra, **kwargs))
    return results


def assert_same(stock, ours) -> None:
    assert (ours.returncode, ours.stdout) == (stock.returncode, stock.stdout), (
        f"stock rc={stock.returncode} stderr={stock.stderr[-400:]!r}\n"
        f"ecr2  rc={ours.returncode} stderr={ours.stderr[-400:]!r}")
    if ours.returncode != 0:
        assert ours.stdout == ""


@pytest.mark.parametrize("case", sorted(GLOBAL_OPTION_CASES))
def test_global_options_match_the_stock_command(aws_home, cli, moto_endpoint, case):
    aws_home.write_config(PROFILES)
    stock, ours = run_both(aws_home, cli, moto_endpoint, GLOBAL_OPTION_CASES[case])
    assert_same(stock, ours)
    if case in ("plain", "region", "profile", "debug"):
        assert ours.returncode == 0 and ours.stdout == MOTO_PASSWORD + "\n"
    if ours.returncode != 0 and case not in ("debug",):
        assert ours.stderr.strip() == stock.stderr.strip()


def test_no_sign_request_is_refused_clearly(aws_home, cli):
    """--no-sign-request: one line naming it, no request, and the stock command's exit code
    against an ECR that answers an unsigned request as real ECR does (400
    MissingAuthenticationTokenException, a service error: 254 on v2, 255 on v1), not as
    whatever a fake server happens to do with it."""
    from tests.servers.fake_ecr import FakeEcr

    with FakeEcr(refuse_unsigned=True) as ecr:
        stock = aws_home.run(cli, "ecr", "get-login-password", "--endpoint-url", ecr.url,
                             "--no-sign-request")
        [unsigned] = ecr.requests
        assert not unsigned.authorized and unsigned.operation == "GetAuthorizationToken"
        assert stock.returncode == (254 if cli.major >= 2 else 255), stock.stderr
        assert "MissingAuthenticationTokenException" in stock.stderr
        ecr.reset()
        ours = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", ecr.url,
                            "--no-sign-request")
        assert ecr.requests == []
    assert (ours.returncode, ours.stdout) == (stock.returncode, ""), ours.stderr
    assert ours.stderr.strip() == error_line(cli, NO_SIGN_REQUEST_MESSAGE)
    assert "Traceback" not in ours.stderr


def test_no_region_configured(aws_home, cli, moto_endpoint):
    aws_home.write_config("[default]\noutput = json\n")
    stock, ours = run_both(aws_home, cli, moto_endpoint, [])
    assert_same(stock, ours)
    assert ours.returncode == (253 if cli.major >= 2 else 255)
    assert ours.stderr == stock.stderr
    assert "You must specify a region" in ours.stderr


def test_no_credentials(aws_home, cli, moto_endpoint):
    aws_home.credentials_file.write_text("")
    stock, ours = run_both(aws_home, cli, moto_endpoint, [])
    assert_same(stock, ours)
    assert ours.returncode == (253 if cli.major >= 2 else 255)
    assert ours.stderr == stock.stderr
    assert "Unable to locate credentials" in ours.stderr


def test_unreachable_endpoint(aws_home, cli):
    closed = f"http://127.0.0.1:{free_port()}"
    stock, ours = run_both(aws_home, cli, closed, [], env={"AWS_MAX_ATTEMPTS": "1"})
    assert_same(stock, ours)
    assert ours.returncode == 255
    assert ours.stderr == stock.stderr
    assert "Could not connect to the endpoint URL" in ours.stderr


def test_access_denied(aws_home, cli, fake_ecr):
    fake_ecr.set_fault("access-denied")
    stock, ours = run_both(aws_home, cli, fake_ecr.url, [])
    assert_same(stock, ours)
    assert ours.returncode == (254 if cli.major >= 2 else 255)
    assert ours.stderr == stock.stderr
    assert "AccessDeniedException" in ours.stderr


def test_read_timeout(aws_home, cli, fake_ecr):
    fake_ecr.set_fault("slow", delay=5)
    stock, ours = run_both(aws_home, cli, fake_ecr.url, ["--cli-read-timeout", "1"],
                           env={"AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"})
    assert_same(stock, ours)
    assert ours.returncode == 255
    assert ours.stderr == stock.stderr
    assert "Read timeout" in ours.stderr


@pytest.mark.parametrize("fault, message", [
    ("token-not-base64", "not valid base64"),
    ("token-no-colon", "not of the form user:password"),
    ("empty-auth-data", "returned no authorization data"),
])
def test_malformed_replies_get_a_clear_error(aws_home, cli, fake_ecr, fault, message):
    fake_ecr.set_fault(fault)
    ours = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", fake_ecr.url)
    assert ours.returncode == 255
    assert ours.stdout == ""
    assert message in ours.stderr
    assert "Traceback" not in ours.stderr
    assert len(ours.stderr.strip().splitlines()) == 1


def test_debug_output_hides_the_token(aws_home, cli, moto_endpoint):
    ours = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", moto_endpoint,
                        "--debug")
    stock = aws_home.run(cli, "ecr", "get-login-password", "--endpoint-url", moto_endpoint,
                         "--debug")
    token = "QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu"  # base64 of AWS:<moto password>
    assert token in stock.stderr  # the leak we fix
    assert ours.returncode == 0 and ours.stdout == MOTO_PASSWORD + "\n"
    assert token not in ours.stderr and MOTO_PASSWORD not in ours.stderr
    assert "<redacted>" in ours.stderr
