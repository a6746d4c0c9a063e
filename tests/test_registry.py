from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from awscli_ecr_login_ext.registry import (
    EXAMPLE_HOST,
    Registry,
    RegistryError,
    format_host,
    host_of,
    is_ecr_host,
    parse_aliases,
    parse_registry,
    parse_registry_id,
)

ID = "123456789012"
STD = f"{ID}.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def private(
    name: str,
    region: str,
    partition: str,
    *,
    fips: bool = False,
    dualstack: bool = False,
    ecr_host: str | None = None,
) -> Registry:
    return Registry(
        name=name,
        registry_id=ID,
        region=region,
        partition=partition,
        fips=fips,
        dualstack=dualstack,
        public=False,
        ecr_host=ecr_host if ecr_host is not None else name.split(":")[0],
    )


def public(name: str, ecr_host: str = "public.ecr.aws", dualstack: bool = False) -> Registry:
    return Registry(
        name=name,
        registry_id=None,
        region="us-east-1",
        partition="aws",
        fips=False,
        dualstack=dualstack,
        public=True,
        ecr_host=ecr_host,
    )


def h(service: str, region: str, suffix: str) -> str:
    return f"{ID}.{service}.{region}.{suffix}"


VALID = [
    # commercial, all four variants
    (STD, private(STD, "us-east-1", "aws")),
    (h("dkr.ecr-fips", "us-east-2", "amazonaws.com"),
     private(h("dkr.ecr-fips", "us-east-2", "amazonaws.com"), "us-east-2", "aws", fips=True)),
    (h("dkr-ecr", "us-west-2", "on.aws"),
     private(h("dkr-ecr", "us-west-2", "on.aws"), "us-west-2", "aws", dualstack=True)),
    (h("dkr-ecr-fips", "us-west-2", "on.aws"),
     private(h("dkr-ecr-fips", "us-west-2", "on.aws"), "us-west-2", "aws",
             fips=True, dualstack=True)),
    (h("dkr.ecr", "ap-southeast-4", "amazonaws.com"),
     private(h("dkr.ecr", "ap-southeast-4", "amazonaws.com"), "ap-southeast-4", "aws")),
    (h("dkr.ecr", "il-central-1", "amazonaws.com"),
     private(h("dkr.ecr", "il-central-1", "amazonaws.com"), "il-central-1", "aws")),
    (h("dkr-ecr", "eu-west-1", "on.aws"),
     private(h("dkr-ecr", "eu-west-1", "on.aws"), "eu-west-1", "aws", dualstack=True)),
    # GovCloud
    (h("dkr.ecr", "us-gov-west-1", "amazonaws.com"),
     private(h("dkr.ecr", "us-gov-west-1", "amazonaws.com"), "us-gov-west-1", "aws-us-gov")),
    (h("dkr.ecr-fips", "us-gov-east-1", "amazonaws.com"),
     private(h("dkr.ecr-fips", "us-gov-east-1", "amazonaws.com"), "us-gov-east-1",
             "aws-us-gov", fips=True)),
    (h("dkr-ecr", "us-gov-west-1", "on.aws"),
     private(h("dkr-ecr", "us-gov-west-1", "on.aws"), "us-gov-west-1", "aws-us-gov",
             dualstack=True)),
    (h("dkr-ecr-fips", "us-gov-east-1", "on.aws"),
     private(h("dkr-ecr-fips", "us-gov-east-1", "on.aws"), "us-gov-east-1", "aws-us-gov",
             fips=True, dualstack=True)),
    # China
    (h("dkr.ecr", "cn-north-1", "amazonaws.com.cn"),
     private(h("dkr.ecr", "cn-north-1", "amazonaws.com.cn"), "cn-north-1", "aws-cn")),
    (h("dkr-ecr", "cn-northwest-1", "on.amazonwebservices.com.cn"),
     private(h("dkr-ecr", "cn-northwest-1", "on.amazonwebservices.com.cn"), "cn-northwest-1",
             "aws-cn", dualstack=True)),
    # EU sovereign cloud
    (h("dkr.ecr", "eusc-de-east-1", "amazonaws.eu"),
     private(h("dkr.ecr", "eusc-de-east-1", "amazonaws.eu"), "eusc-de-east-1", "aws-eusc")),
    # isolated partitions
    (h("dkr.ecr", "us-iso-east-1", "c2s.ic.gov"),
     private(h("dkr.ecr", "us-iso-east-1", "c2s.ic.gov"), "us-iso-east-1", "aws-iso")),
    (h("dkr.ecr", "us-isob-east-1", "sc2s.sgov.gov"),
     private(h("dkr.ecr", "us-isob-east-1", "sc2s.sgov.gov"), "us-isob-east-1", "aws-iso-b")),
    (h("dkr.ecr", "eu-isoe-west-1", "cloud.adc-e.uk"),
     private(h("dkr.ecr", "eu-isoe-west-1", "cloud.adc-e.uk"), "eu-isoe-west-1", "aws-iso-e")),
    (h("dkr.ecr", "us-isof-south-1", "csp.hci.ic.gov"),
     private(h("dkr.ecr", "us-isof-south-1", "csp.hci.ic.gov"), "us-isof-south-1",
             "aws-iso-f")),
    # case, surrounding whitespace, ports, schemes, paths, tags, digests
    (STD.upper(), private(STD, "us-east-1", "aws")),
    (f"  {STD}\n", private(STD, "us-east-1", "aws")),
    (f"{STD}:443", private(f"{STD}:443", "us-east-1", "aws")),
    (f"{STD}:5000/repo:tag", private(f"{STD}:5000", "us-east-1", "aws")),
    (f"https://{STD}", private(STD, "us-east-1", "aws")),
    (f"HTTPS://{STD.upper()}/", private(STD, "us-east-1", "aws")),
    (f"http://{STD}:8443/v2/", private(f"{STD}:8443", "us-east-1", "aws")),
    (f"{STD}/repo", private(STD, "us-east-1", "aws")),
    (f"{STD}/repo:latest", private(STD, "us-east-1", "aws")),
    (f"{STD}/team/app/service:v1.2.3", private(STD, "us-east-1", "aws")),
    (f"{STD}/repo@{DIGEST}", private(STD, "us-east-1", "aws")),
    (f"https://{STD}/a/b/c:tag@{DIGEST}", private(STD, "us-east-1", "aws")),
    (f"{h('dkr-ecr-fips', 'us-west-2', 'on.aws')}/repo:tag",
     private(h("dkr-ecr-fips", "us-west-2", "on.aws"), "us-west-2", "aws",
             fips=True, dualstack=True)),
    # ECR Public
    ("public.ecr.aws", public("public.ecr.aws")),
    ("PUBLIC.ECR.AWS", public("public.ecr.aws")),
    ("https://public.ecr.aws/nginx/nginx:latest", public("public.ecr.aws")),
    ("public.ecr.aws:443/docker/library/alpine@" + DIGEST, public("public.ecr.aws:443")),
    ("ecr-public.aws.com", public("ecr-public.aws.com", "ecr-public.aws.com", True)),
    ("ecr-public.aws.com/x/y:z", public("ecr-public.aws.com", "ecr-public.aws.com", True)),
    # aliases
    (f"127.0.0.1:5000={STD}", private("127.0.0.1:5000", "us-east-1", "aws", ecr_host=STD)),
    (f"[::1]:5000={STD}", private("[::1]:5000", "us-east-1", "aws", ecr_host=STD)),
    (f"[::1]={STD}", private("[::1]", "us-east-1", "aws", ecr_host=STD)),
    (f"localhost:5000 = https://{STD}/repo:tag",
     private("localhost:5000", "us-east-1", "aws", ecr_host=STD)),
    (f"Mirror.Example.com={STD.upper()}:443",
     private("mirror.example.com", "us-east-1", "aws", ecr_host=STD)),
    (f"https://mirror.example.com:8443/v2/={h('dkr-ecr-fips', 'us-gov-west-1', 'on.aws')}",
     private("mirror.example.com:8443", "us-gov-west-1", "aws-us-gov", fips=True,
             dualstack=True, ecr_host=h("dkr-ecr-fips", "us-gov-west-1", "on.aws"))),
    ("mirror.example.com=public.ecr.aws", public("mirror.example.com")),
    ("10.0.0.1=ecr-public.aws.com", public("10.0.0.1", "ecr-public.aws.com", True)),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_parse_registry_valid(value: str, expected: Registry) -> None:
    assert parse_registry(value) == expected


@pytest.mark.parametrize(("value", "expected"), [v for v in VALID if "=" not in v[0]])
def test_is_ecr_host_and_host_of_on_valid_hosts(value: str, expected: Registry) -> None:
    assert is_ecr_host(value)
    assert host_of(value) == expected.name


MALFORMED = [
    "",
    " ",
    "\t\n",
    "localhost:5000",
    "docker.io",
    "docker.io/library/nginx:latest",
    "ghcr.io/owner/image:tag",
    "127.0.0.1:5000",
    "123.dkr.ecr.us-east-1.amazonaws.com",
    "12345678901.dkr.ecr.us-east-1.amazonaws.com",
    "1234567890123.dkr.ecr.us-east-1.amazonaws.com",
    "abcdefghijkl.dkr.ecr.us-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.amazonaws.com",
    f"{ID}.ecr.us-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.us-east-1",
    f"{STD}.",
    "public.ecr.aws.",
    f"evil.com/{STD}",
    f"{STD}.evil.com",
    "public.ecr.aws.evil.com",
    "ecr.aws",
    f"user@{STD}",
    "user@host",
    f"{STD}:0",
    f"{STD}:65536",
    f"{STD}:http",
    f"{STD}:",
    f"{STD}:-1",
    f"{STD}:05000",
    f"{STD}:443:443",
    f"ftp://{STD}",
    f"oci://{STD}",
    "https://",
    f"https:///{STD}",
    f"//{STD}",
    f"{STD} extra",
    f"{STD}\nfoo",
    f"{ID}.dkr.ecr.us-east-1.amazonaws.com.cn",
    f"{ID}.dkr.ecr.cn-north-1.amazonaws.com",
    f"{ID}.dkr-ecr.cn-north-1.on.aws",
    f"{ID}.dkr-ecr.us-east-1.on.amazonwebservices.com.cn",
    f"{ID}.dkr-ecr.us-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.us-east-1.on.aws",
    f"{ID}.dkr.ecr-fips.cn-north-1.amazonaws.com.cn",
    f"{ID}.dkr-ecr-fips.cn-north-1.on.amazonwebservices.com.cn",
    f"{ID}.dkr.ecr-fips.us-iso-east-1.c2s.ic.gov",
    f"{ID}.dkr-ecr.us-iso-east-1.on.aws",
    f"{ID}.dkr-ecr.eusc-de-east-1.on.aws",
    f"{ID}.dkr.ecr.eusc-de-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.eu-central-1.amazonaws.eu",
    f"{ID}.dkr.ecr.us-iso-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.us-east-1.c2s.ic.gov",
    f"{ID}.dkr.ecr.us-isob-east-1.c2s.ic.gov",
    f"{ID}.dkr.ecr.us-gov-west-1.amazonaws.com.cn",
    f"{ID}.dkr.ecr.useast1.amazonaws.com",
    f"{ID}.dkr.ecr.us-east.amazonaws.com",
    f"{ID}.dkr.ecr.us-east-1a.amazonaws.com",
    f"{ID}.dkr.ecr.us-up-1.amazonaws.com",
    f"{ID}.dkr.ecr.us_east_1.amazonaws.com",
    f"{ID}.dkr.ecr-FIPS-fips.us-east-1.amazonaws.com",
    f"{ID}.dkr.ecr.us-east-1.amazonaws.co",
    "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"
    + ".dkr.ecr.us-east-1.amazonaws.com",
    "public.ecr.aws\u212a",
    "[::1",
    "[zzz]:5000",
    "::1",
    "[fe80::1%eth0]:5000",
    "a..b",
    "-bad-.example.com",
    "999.1.1.1:5000",
    # aliases
    f"={STD}",
    "mirror.example.com=",
    "mirror.example.com=docker.io",
    "mirror.example.com=localhost:5000",
    f"a=b={STD}",
    f"bad host!={STD}",
    f"mirror:99999={STD}",
    f"user@mirror={STD}",
    f"mirror.example.com.={STD}",
    f"mirror={ID}.dkr.ecr.cn-north-1.amazonaws.com",
]


@pytest.mark.parametrize("value", MALFORMED)
def test_parse_registry_malformed(value: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_registry(value)
    message = str(info.value)
    assert repr(value) in message
    assert EXAMPLE_HOST in message
    assert message.splitlines() == [message]
    assert not is_ecr_host(value)


def test_malformed_count() -> None:
    assert len(MALFORMED) >= 30
    assert len(set(MALFORMED)) == len(MALFORMED)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "user@host", "host:99999", "https://", "a b", "[::1", "host.", "\u212a.example"],
)
def test_host_of_rejects(value: str) -> None:
    with pytest.raises(RegistryError) as info:
        host_of(value)
    message = str(info.value)
    assert repr(value) in message
    assert message.splitlines() == [message]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Example.COM", "example.com"),
        ("localhost:5000", "localhost:5000"),
        ("HTTP://LocalHost:5000/v2/_catalog", "localhost:5000"),
        ("127.0.0.1:5000/repo:tag", "127.0.0.1:5000"),
        ("[::1]:5000/repo@" + DIGEST, "[::1]:5000"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("docker.io/library/nginx", "docker.io"),
        (f"{STD}/a/b/c:tag", STD),
    ],
)
def test_host_of(value: str, expected: str) -> None:
    assert host_of(value) == expected


def test_non_string_inputs() -> None:
    for bad in (None, 123, b"public.ecr.aws"):
        with pytest.raises(RegistryError):
            parse_registry(bad)  # type: ignore[arg-type]
        with pytest.raises(RegistryError):
            host_of(bad)  # type: ignore[arg-type]
        with pytest.raises(RegistryError):
            parse_registry_id(bad)  # type: ignore[arg-type]
        with pytest.raises(RegistryError):
            parse_aliases(bad)  # type: ignore[arg-type]
        assert is_ecr_host(bad) is False  # type: ignore[arg-type]


def test_long_values_are_truncated_in_messages() -> None:
    value = "x" * 10_000
    with pytest.raises(RegistryError) as info:
        parse_registry(value)
    assert len(str(info.value)) < 500


@pytest.mark.parametrize(
    ("registry", "variant", "service"),
    [
        (parse_registry(STD), "standard", "ecr"),
        (parse_registry(h("dkr.ecr-fips", "us-east-1", "amazonaws.com")), "fips", "ecr"),
        (parse_registry(h("dkr-ecr", "us-east-1", "on.aws")), "dualstack", "ecr"),
        (parse_registry(h("dkr-ecr-fips", "us-east-1", "on.aws")), "fips-dualstack", "ecr"),
        (parse_registry("public.ecr.aws"), "standard", "ecr-public"),
        (parse_registry("ecr-public.aws.com"), "dualstack", "ecr-public"),
        (parse_registry("127.0.0.1:5000=public.ecr.aws"), "standard", "ecr-public"),
    ],
)
def test_variant_and_service(registry: Registry, variant: str, service: str) -> None:
    assert registry.variant == variant
    assert registry.service == service


def test_registry_is_frozen() -> None:
    registry = parse_registry(STD)
    with pytest.raises(AttributeError):
        registry.region = "eu-west-1"  # type: ignore[misc]


@pytest.mark.parametrize("value", ["123456789012", "000000000000"])
def test_parse_registry_id_valid(value: str) -> None:
    assert parse_registry_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "12345678901", "1234567890123", "12345678901a", " 123456789012", "123456789012\n",
     "\u0661" * 12, "-12345678901"],
)
def test_parse_registry_id_invalid(value: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_registry_id(value)
    message = str(info.value)
    assert repr(value) in message
    assert message.splitlines() == [message]


@pytest.mark.parametrize(
    ("region", "fips", "dualstack", "expected"),
    [
        ("us-east-1", False, False, STD),
        ("us-east-1", True, False, f"{ID}.dkr.ecr-fips.us-east-1.amazonaws.com"),
        ("us-east-1", False, True, f"{ID}.dkr-ecr.us-east-1.on.aws"),
        ("us-east-1", True, True, f"{ID}.dkr-ecr-fips.us-east-1.on.aws"),
        ("us-gov-west-1", True, False, f"{ID}.dkr.ecr-fips.us-gov-west-1.amazonaws.com"),
        ("cn-north-1", False, False, f"{ID}.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("cn-north-1", False, True, f"{ID}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn"),
        ("eusc-de-east-1", False, False, f"{ID}.dkr.ecr.eusc-de-east-1.amazonaws.eu"),
        ("us-iso-east-1", False, False, f"{ID}.dkr.ecr.us-iso-east-1.c2s.ic.gov"),
        ("us-isob-east-1", False, False, f"{ID}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov"),
        ("eu-isoe-west-1", False, False, f"{ID}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk"),
        ("us-isof-south-1", False, False, f"{ID}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov"),
    ],
)
def test_format_host(region: str, fips: bool, dualstack: bool, expected: str) -> None:
    assert format_host(ID, region, fips=fips, dualstack=dualstack) == expected


@pytest.mark.parametrize(
    ("registry_id", "region", "fips", "dualstack"),
    [
        ("123", "us-east-1", False, False),
        (ID, "", False, False),
        (ID, "US-EAST-1", False, False),
        (ID, "us-east", False, False),
        (ID, "mars-north-1", False, False),
        (ID, "cn-north-1", True, False),
        (ID, "us-iso-east-1", True, False),
        (ID, "us-iso-east-1", False, True),
        (ID, "eusc-de-east-1", False, True),
    ],
)
def test_format_host_invalid(registry_id: str, region: str, fips: bool, dualstack: bool) -> None:
    with pytest.raises(RegistryError) as info:
        format_host(registry_id, region, fips=fips, dualstack=dualstack)
    assert "\n" not in str(info.value)


def test_parse_aliases() -> None:
    text = f"""
    127.0.0.1:5000 = {STD}

    [::1]:5000={h("dkr-ecr", "eu-west-1", "on.aws")}
      Mirror.Example.COM   =public.ecr.aws
    """
    aliases = parse_aliases(text)
    assert list(aliases) == ["127.0.0.1:5000", "[::1]:5000", "mirror.example.com"]
    assert aliases["127.0.0.1:5000"] == private(
        "127.0.0.1:5000", "us-east-1", "aws", ecr_host=STD
    )
    assert aliases["[::1]:5000"].dualstack
    assert aliases["[::1]:5000"].region == "eu-west-1"
    assert aliases["mirror.example.com"].public
    assert aliases["mirror.example.com"].name == "mirror.example.com"


@pytest.mark.parametrize("text", ["", "\n\n", "   \n\t\n"])
def test_parse_aliases_empty(text: str) -> None:
    assert parse_aliases(text) == {}


@pytest.mark.parametrize(
    "line",
    [
        "just-a-host.example.com",
        f"= {STD}",
        "mirror = docker.io",
        "mirror =",
        f"mirror = other = {STD}",
        f"bad name = {STD}",
        f"mirror:0 = {STD}",
        f"mirror = {STD}.evil.com",
    ],
)
def test_parse_aliases_bad_line(line: str) -> None:
    text = f"ok.example.com = public.ecr.aws\n{line}\n"
    with pytest.raises(RegistryError) as info:
        parse_aliases(text)
    message = str(info.value)
    assert repr(line) in message
    assert message.splitlines() == [message]


def test_parse_aliases_duplicate() -> None:
    with pytest.raises(RegistryError, match="already defined"):
        parse_aliases(f"mirror = {STD}\nMIRROR = public.ecr.aws\n")


# --- property tests -------------------------------------------------------------------------

DIRECTIONS = ["north", "south", "east", "west", "central",
              "northeast", "northwest", "southeast", "southwest"]
PREFIXES = {
    "aws": ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
    "aws-us-gov": ["us-gov"],
    "aws-cn": ["cn"],
    "aws-iso": ["us-iso"],
    "aws-iso-b": ["us-isob"],
    "aws-iso-e": ["eu-isoe"],
    "aws-iso-f": ["us-isof"],
    "aws-eusc": ["eusc-de", "eusc-fr"],
}
FIPS_PARTITIONS = {"aws", "aws-us-gov"}
DUALSTACK_PARTITIONS = {"aws", "aws-us-gov", "aws-cn"}


@st.composite
def endpoints(draw: st.DrawFn) -> tuple[str, str, str, bool, bool]:
    registry_id = draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
    partition = draw(st.sampled_from(sorted(PREFIXES)))
    prefix = draw(st.sampled_from(PREFIXES[partition]))
    direction = draw(st.sampled_from(DIRECTIONS))
    number = draw(st.integers(min_value=1, max_value=99))
    region = f"{prefix}-{direction}-{number}"
    fips = partition in FIPS_PARTITIONS and draw(st.booleans())
    dualstack = partition in DUALSTACK_PARTITIONS and draw(st.booleans())
    return registry_id, region, partition, fips, dualstack


@given(
    endpoints(),
    st.sampled_from(["", "https://", "HTTP://"]),
    st.sampled_from(["", ":443", ":5000"]),
    st.sampled_from(["", "/", "/repo", "/a/b:tag", "/repo@" + DIGEST]),
    st.booleans(),
)
def test_format_host_round_trips(
    endpoint: tuple[str, str, str, bool, bool],
    scheme: str,
    port: str,
    path: str,
    upper: bool,
) -> None:
    registry_id, region, partition, fips, dualstack = endpoint
    host = format_host(registry_id, region, fips=fips, dualstack=dualstack)
    value = scheme + (host.upper() if upper else host) + port + path
    registry = parse_registry(value)
    assert (
        registry.registry_id,
        registry.region,
        registry.partition,
        registry.fips,
        registry.dualstack,
    ) == (registry_id, region, partition, fips, dualstack)
    assert not registry.public
    assert registry.ecr_host == host
    assert registry.name == host + port
    assert is_ecr_host(value)
    alias = parse_registry(f"mirror.example.com:5000={value}")
    assert alias.name == "mirror.example.com:5000"
    assert alias.ecr_host == host


def _check_error(exc: RegistryError) -> None:
    message = str(exc)
    assert message
    assert message.splitlines() == [message]


HOSTISH = st.text(alphabet="0123456789abcdefDKR.-:/@=[]% \nhttps", max_size=60)


@given(st.one_of(st.text(), HOSTISH))
@example(f"{STD}\u2028")
@example("[" * 5)
@example("=" * 3)
def test_host_of_and_parse_registry_raise_only_registry_error(value: str) -> None:
    try:
        host = host_of(value)
    except RegistryError as exc:
        _check_error(exc)
    else:
        assert host == host.lower()
        assert host_of(host) == host
    try:
        registry = parse_registry(value)
    except RegistryError as exc:
        _check_error(exc)
    else:
        assert registry.name == host_of(value.partition("=")[0])
    assert isinstance(is_ecr_host(value), bool)


@given(st.one_of(st.text(), st.lists(st.one_of(HOSTISH, st.just(f"m = {STD}"))).map("\n".join)))
def test_parse_aliases_raises_only_registry_error(text: str) -> None:
    try:
        aliases = parse_aliases(text)
    except RegistryError as exc:
        _check_error(exc)
    else:
        assert isinstance(aliases, dict)
        for name, registry in aliases.items():
            assert registry.name == name
