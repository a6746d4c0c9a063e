from __future__ import annotations

import copy
import ipaddress
import pickle
import re
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.core.registry import (
    EXAMPLE_HOST,
    Registry,
    RegistryError,
    _is_ipv4,
    _is_label,
    _private_host,
    _split_host_port,
    _valid_hostname,
    format_host,
    host_of,
    parse_registry_id,
    partition_of_region,
)
from awscli_ecr_login_ext.core.selection import parse_aliases, parse_registry
from tests.conftest import REPO

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
def test_host_of_on_valid_hosts(value: str, expected: Registry) -> None:
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


def test_every_frozen_class_takes_its_fields_in_slot_order() -> None:
    """Frozen._set takes the values in __slots__ order, so each __init__ must list them so."""
    import importlib
    import inspect

    from awscli_ecr_login_ext.core.frozen import Frozen

    for module in ("core.authtoken", "core.selection", "cache.entry", "identity.principal",
                   "helper.child"):
        importlib.import_module(f"awscli_ecr_login_ext.{module}")
    pending, classes = [Frozen], []
    while pending:
        subclasses = pending.pop().__subclasses__()
        pending += subclasses
        classes += [cls for cls in subclasses if cls.__slots__]
    assert {cls.__name__ for cls in classes} >= {"Registry", "TokenRequest", "CacheKey",
                                                 "CachedToken", "Identity", "Credentials"}
    for cls in classes:
        parameters = list(inspect.signature(cls.__init__).parameters)[1:]
        assert tuple(parameters) == cls.__slots__, cls
    with pytest.raises(TypeError, match="has 8 fields, not 1"):
        parse_registry(STD)._set("one")


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


# -- the hand-written grammar against the regular expressions it replaces -----------------------
# registry.py imports no `re` (the credential helper's start-up); these are the expressions the
# grammar was first written with, kept here as the specification.

_DIRECTION = r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)"
_NUMBER = r"[1-9][0-9]?"
_REGION_RES = tuple(
    (partition, re.compile(rf"{prefix}-{_DIRECTION}-{_NUMBER}"))
    for partition, prefix in (
        ("aws-us-gov", r"us-gov"),
        ("aws-cn", r"cn"),
        ("aws-iso", r"us-iso"),
        ("aws-iso-b", r"us-isob"),
        ("aws-iso-e", r"eu-isoe"),
        ("aws-iso-f", r"us-isof"),
        ("aws-eusc", r"eusc-[a-z]{2}"),
        ("aws", r"(?!cn-|eusc-)[a-z]{2,3}"),
    )
)
_PRIVATE_HOST_RE = re.compile(
    r"(?P<id>[0-9]{12})\."
    r"(?P<service>dkr\.ecr|dkr-ecr)(?P<fips>-fips)?\."
    r"(?P<region>[a-z0-9-]+)\."
    r"(?P<suffix>[a-z0-9.-]+)"
)
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT_RE = re.compile(r"[1-9][0-9]{0,4}")
_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)

_REGION_WORDS = ["us", "gov", "cn", "eusc", "de", "iso", "isob", "eu", "isoe", "isof", "ap",
                 "abc", "abcd", "a", "X", "é", "east", "northeast", "central", "1", "9", "10",
                 "99", "100", "0", "01", "١", ""]
REGIONISH = st.one_of(
    st.lists(st.sampled_from(_REGION_WORDS), min_size=1, max_size=5).map("-".join),
    st.text(max_size=20),
)
_HOST_PIECES = ["123456789012", "12345678901", ".", "dkr", "dkr.ecr", "dkr-ecr", "-fips", "-",
                "us-east-1", "us-gov-west-1", "eusc-de-east-1", "amazonaws.com", "on.aws", "-x",
                "a", "0", "é", "A", ":", "1.2.3.4", "[::1]", "/", "https://", "HTTP://"]
HOSTLIKE = st.one_of(
    st.lists(st.sampled_from(_HOST_PIECES), max_size=10).map("".join),
    st.text(alphabet="0123456789abcdefkrs.-:/[]", max_size=60),
    st.text(max_size=30),
)


def _region_by_re(region: str) -> str | None:
    for partition, pattern in _REGION_RES:
        if pattern.fullmatch(region):
            return partition
    return None


@settings(max_examples=500)
@given(REGIONISH)
@example("us-gov-west-1")
@example("eusc-de-east-1")
@example("cn-north-1")
@example("cnx-north-1")
@example("eusc-east-1")
@example("us-east-01")
def test_partition_of_region_is_the_regular_grammar(region: str) -> None:
    assert partition_of_region(region) == _region_by_re(region)


@settings(max_examples=500)
@given(HOSTLIKE)
@example("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")
@example("123456789012.dkr-ecr-fipsx.us-east-1.on.aws")
@example("123456789012.dkr.ecr.us-east-1.")
def test_private_host_is_the_regular_grammar(host: str) -> None:
    match = _PRIVATE_HOST_RE.fullmatch(host)
    expected = None if match is None else (
        match["id"], match["fips"] is not None, match["service"] == "dkr-ecr", match["region"],
        match["suffix"])
    assert _private_host(host) == expected


@settings(max_examples=500)
@given(st.one_of(st.text(alphabet="abz09-.", max_size=70), st.text(max_size=10)))
@example("a" * 63)
@example("a" * 64)
@example("-a")
@example("a-")
def test_label_is_the_regular_grammar(label: str) -> None:
    assert _is_label(label) == bool(_LABEL_RE.fullmatch(label))


@settings(max_examples=300)
@given(st.one_of(st.text(alphabet="0123456789", max_size=7), st.text(max_size=6)))
@example("65535")
@example("65536")
@example("0")
@example("٣")
def test_port_is_the_regular_grammar(port: str) -> None:
    expected = bool(_PORT_RE.fullmatch(port)) and int(port) <= 65535
    try:
        _split_host_port(f"example.com:{port}")
    except ValueError:
        assert not expected
    else:
        assert expected


@settings(max_examples=300)
@given(st.text(alphabet="hHtTpPsS:/x", max_size=10))
def test_scheme_is_the_regular_grammar(prefix: str) -> None:
    value = prefix + "example.com"
    scheme = _SCHEME_RE.match(value)
    rest = value[scheme.end():] if scheme else value
    expected = rest.split("/", 1)[0].lower()
    try:
        assert host_of(value) == expected
    except RegistryError:
        with pytest.raises(ValueError):
            _split_host_port(expected)


@settings(max_examples=500)
@given(st.one_of(
    st.lists(st.sampled_from(["0", "00", "01", "1", "9", "10", "99", "127", "255", "256", "999",
                              "1000", "", "٣", "a"]), min_size=1, max_size=6).map(".".join),
    st.ip_addresses(v=4).map(str),
))
@example("127.0.0.1")
@example("1.2.3.04")
def test_ipv4_is_ipaddress(host: str) -> None:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        expected = False
    else:
        expected = True
    assert _is_ipv4(host.split(".")) == expected
    if set(host) <= set("0123456789."):
        assert _valid_hostname(host) == expected


@settings(max_examples=300)
@given(st.one_of(st.text(alphabet="0123456789", max_size=14), st.text(max_size=13)))
@example("١٢٣٤٥٦٧٨٩٠١٢")
def test_registry_id_is_the_regular_grammar(value: str) -> None:
    valid = bool(re.fullmatch(r"[0-9]{12}", value))
    if valid:
        assert parse_registry_id(value) == value
    else:
        with pytest.raises(RegistryError):
            parse_registry_id(value)


def test_parsing_a_name_imports_no_re_or_ipaddress() -> None:
    code = ("import sys; from awscli_ecr_login_ext.core.selection import parse_registry; "
            f"parse_registry({STD!r}); parse_registry('public.ecr.aws'); "
            f"parse_registry('127.0.0.1:5000={STD}'); "
            "print(sorted(m for m in ('re', 'ipaddress', 'dataclasses') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO)}, check=True)
    assert result.stdout.strip() == "[]"


# -- Registry: an immutable value ------------------------------------------------------------


def test_registry_equality_hash_repr_and_copies() -> None:
    one, same, other = parse_registry(STD), parse_registry(STD), parse_registry(STD + ":443")
    assert one == same and hash(one) == hash(same)
    assert one != other and len({one, same, other}) == 2
    assert one != tuple(getattr(one, name) for name in Registry.__slots__)
    assert repr(one) == (
        f"Registry(name={STD!r}, registry_id='123456789012', region='us-east-1', "
        f"partition='aws', fips=False, dualstack=False, public=False, ecr_host={STD!r})")
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.copy(one) == one and copy.deepcopy(one) == one
    renamed = one._replace(name="127.0.0.1:5000")
    assert renamed.name == "127.0.0.1:5000" and renamed.ecr_host == one.ecr_host
    with pytest.raises(TypeError):
        one._replace(nonsense=1)
    with pytest.raises(AttributeError):
        del one.name
    with pytest.raises(AttributeError):
        one.extra = 1  # type: ignore[attr-defined]
