"""Every fault of the fake ECR, through every CLI: request count, exit code, message, cache.

Also bad registry selectors through the real CLIs, and property tests of selection in-process.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.core.registry import RegistryError
from awscli_ecr_login_ext.core.selection import MissingRegionError, select_registries
from tests.conftest import Cli, usage_exit_code
from tests.servers.fake_ecr import FAULTS
from tests.test_cache_cli import CACHED_PASSWORD, cache_dir, cache_key, plant, snapshot

RETRY_PROFILE = "[default]\nregion = eu-west-1\nmax_attempts = 2\nretry_mode = standard\n"

# fault -> (what stderr says, whether a cached token may bridge it)
_CALL = "when calling the GetAuthorizationToken operation"
ERROR_FAULTS = {
    "http500": (f"(ServerException) {_CALL} (reached max retries: 1)", True),
    "http503": (f"(ServiceUnavailableException) {_CALL} (reached max retries: 1)", True),
    "throttling": (f"(ThrottlingException) {_CALL} (reached max retries: 1): Rate exceeded",
                   True),
    "access-denied": ((f"(AccessDeniedException) {_CALL}: User: "
                       "arn:aws:iam::123456789012:user/fake is not authorized"), False),
    "expired-token": ((f"(ExpiredTokenException) {_CALL}: The security token included in the "
                       "request is expired"), False),
    "slow": ("Read timeout on endpoint URL", True),
    "truncated": ("Connection was closed before we received a valid response", True),
    "not-json": ("The ECR service returned no authorization data for this request.", False),
    "empty-auth-data": ("The ECR service returned no authorization data for this request.",
                        False),
    "token-not-base64": (
        "The ECR service returned an authorization token that is not valid base64.", False),
    "token-no-colon": (
        ("The ECR service returned an authorization token that is not of the form "
         "user:password."), False),
}
SERVICE_ERRORS = {"http500", "http503", "throttling", "access-denied", "expired-token"}
RETRYABLE = {"http500", "http503", "throttling", "slow", "truncated"}


def expectations(cli: Cli, fault: str) -> tuple[int, int, str, bool]:
    """(requests, exit code, message, degraded) for one fault on one CLI."""
    if fault == "expired":
        return 1, 0, "", False
    message, degraded = ERROR_FAULTS[fault]
    requests = 2 if fault in RETRYABLE else 1
    rc = 254 if cli.major >= 2 and fault in SERVICE_ERRORS else 255
    if fault == "truncated" and cli.label == "v2.9":
        # Debian's urllib3 hands botocore the short body without complaint; botocore's JSON
        # parser then yields {} -- no retry, and our "no authorization data" error.
        requests, message, degraded = 1, ERROR_FAULTS["not-json"][0], False
    return requests, rc, message, degraded


def run_with_fault(aws_home, cli, fake_ecr, fault, *command):
    fake_ecr.reset()
    fake_ecr.set_fault(fault, delay=3.0 if fault == "slow" else 0.0)
    extra = ["--cli-read-timeout", "1"] if fault == "slow" else []
    return aws_home.run(cli, *command, "--endpoint-url", fake_ecr.url, *extra)


def assert_one_clean_line(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_matrix(aws_home, cli, fake_ecr, fault):
    requests, rc, message, degraded = expectations(cli, fault)
    aws_home.write_config(RETRY_PROFILE)
    directory = cache_dir(aws_home)
    plant(aws_home, cache_key(aws_home, fake_ecr.url, "us-west-2"))  # another region's entry
    before = snapshot(directory, locks=False)

    # The stock command, for the exit code and message it gives for the same fault.
    stock = run_with_fault(aws_home, cli, fake_ecr, fault, "ecr", "get-login-password")
    assert len(fake_ecr.requests) == requests, (stock.returncode, stock.stderr)

    ours = run_with_fault(aws_home, cli, fake_ecr, fault, "ecr2", "get-login-password",
                          "--cache")
    assert len(fake_ecr.requests) == requests, (ours.returncode, ours.stdout, ours.stderr)
    assert ours.returncode == rc, ours.stderr
    if fault in SERVICE_ERRORS | {"slow"} or (fault == "truncated" and cli.label != "v2.9"):
        # The CLI's own error, exactly as the stock command prints it.
        assert (ours.returncode, ours.stderr) == (stock.returncode, stock.stderr)
    else:
        # The stock command fails with a bare KeyError/IndexError text (or succeeds with an
        # expired token); we give one clear line with the CLI's generic exit code.
        assert stock.returncode == rc
    if fault == "expired":
        # Printed (the stock command does the same), never stored.
        assert ours.stdout == fake_ecr.password + "\n" == stock.stdout
        assert ours.stderr == ""
    else:
        assert ours.stdout == ""
        assert message in ours.stderr
        assert_one_clean_line(ours.stderr)
        assert fake_ecr.password not in ours.stderr
    assert snapshot(directory, locks=False) == before

    # The same key holds a token past half its life but unexpired: refreshed normally; a
    # service or network fault serves it with a warning, anything else is still an error.
    plant(aws_home, cache_key(aws_home, fake_ecr.url), fetched_ago=11 * 3600, expires_in=3600)
    before = snapshot(directory, locks=False)
    again = run_with_fault(aws_home, cli, fake_ecr, fault, "ecr2", "get-login-password",
                           "--cache")
    assert len(fake_ecr.requests) == requests, (again.returncode, again.stderr)
    assert snapshot(directory, locks=False) == before
    if degraded:
        assert (again.returncode, again.stdout) == (0, CACHED_PASSWORD + "\n")
        assert_one_clean_line(again.stderr)
        assert again.stderr.startswith(
            "Warning: GetAuthorizationToken failed in eu-west-1 (")
        assert "using a cached token that expires in 59 minutes." in again.stderr
    elif fault == "expired":
        assert (again.returncode, again.stdout) == (0, fake_ecr.password + "\n")
    else:
        assert (again.returncode, again.stdout) == (rc, "")
        assert message in again.stderr
        assert_one_clean_line(again.stderr)


BAD_SELECTORS = [
    (["--registry", "registry.example.com"], "'registry.example.com' is not an Amazon ECR"),
    (["--registry", "12345.dkr.ecr.eu-west-1.amazonaws.com"],
     "'12345.dkr.ecr.eu-west-1.amazonaws.com' is not an Amazon ECR registry"),
    (["--registry", "123456789012.dkr.ecr.mars-north-1.amazonaws.com.cn"],
     "'123456789012.dkr.ecr.mars-north-1.amazonaws.com.cn' is not an Amazon ECR registry"),
    (["--registry", "http://127.0.0.1:9/moto-api/"], "'http://127.0.0.1:9/moto-api/'"),
    (["--registry", "a=b=c"], "'a=b=c' is not a valid registry alias"),
    (["--registry", "bad host\nname"], "'bad host\\nname'"),
    (["--registry-ids", "1234"], "'1234' is not a valid registry id"),
    (["--registry", "123456789012.dkr.ecr.us-west-2.amazonaws.com", "--region", "eu-west-1"],
     "--region eu-west-1 contradicts registry 123456789012.dkr.ecr.us-west-2.amazonaws.com"),
]


@pytest.mark.parametrize("command", [["get-login-password"], ["get-login"]], ids=" ".join)
@pytest.mark.parametrize("selector, message", BAD_SELECTORS,
                         ids=[str(i) for i in range(len(BAD_SELECTORS))])
def test_bad_selectors_through_the_cli(aws_home, cli, fake_ecr, command, selector, message):
    result = aws_home.run(cli, "ecr2", *command, *selector, "--cache",
                          "--endpoint-url", fake_ecr.url)
    assert result.returncode == usage_exit_code(cli), result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert_one_clean_line(result.stderr)
    assert fake_ecr.requests == []
    assert not cache_dir(aws_home).exists()


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
_hostish = st.one_of(
    _text,
    st.builds("{}.dkr.ecr.{}.{}".format,
              st.from_regex(r"[0-9]{10,13}", fullmatch=True),
              st.sampled_from(["eu-west-1", "us-gov-west-1", "cn-north-1", "mars-1", "", "EU"]),
              st.sampled_from(["amazonaws.com", "amazonaws.com.cn", "on.aws", "example.com"])),
    st.sampled_from(["public.ecr.aws", "ecr-public.aws.com", "x=public.ecr.aws", "=",
                     "https://", "[::1]:5000=public.ecr.aws", "a:0", "a:65536"]),
)


@settings(max_examples=300, deadline=None)
@given(registries=st.lists(_hostish, max_size=3), ids=st.lists(_text, max_size=2),
       public=st.booleans(), region=st.one_of(st.none(), _text),
       explicit=st.one_of(st.none(), st.sampled_from(["eu-west-1", "us-east-1"])))
def test_select_registries_fails_only_with_one_line_registry_errors(
        registries, ids, public, region, explicit):
    try:
        selected = select_registries(registries=registries, registry_ids=ids, public=public,
                                     region=region, explicit_region=explicit)
    except RegistryError as error:
        text = str(error)
        assert text and "\n" not in text and "\r" not in text
        return
    except MissingRegionError:
        assert ids and not region
        return
    assert len(selected) == len(registries) + len(ids) + int(public)
    for registry in selected:
        assert registry.variant in ("standard", "fips", "dualstack", "fips-dualstack")
        if explicit:
            assert registry.region == explicit
