"""The grammar of Amazon ECR registry hostnames.

Pure standard library: this module must stay importable without awscli or botocore so that
it can be used (and tested) on its own. The credential helper's cache-hit path imports it, so
it also imports no ``re``, ``ipaddress`` or ``dataclasses`` at load time: the grammar below is
checked by hand (``tests/test_registry.py`` holds the regular expressions it is tested against),
and ``ipaddress`` is imported only for numeric hosts.
"""

from __future__ import annotations

from .errors import Ecr2Error
from .frozen import Frozen
from .variants import variant_of

EXAMPLE_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

# ECR Public only has an API in us-east-1; ecr-public.aws.com is its dual-stack (IPv6) host.
PUBLIC_REGION = "us-east-1"
PUBLIC_HOSTS: dict[str, bool] = {  # host -> dualstack
    "public.ecr.aws": False,
    "ecr-public.aws.com": True,
}


# Keep messages readable when someone pastes a whole file into an argument.
_MAX_QUOTED = 200

_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
# What a lower-cased DNS label, an ECR region and an ECR domain suffix are made of.
_LABEL_CHARS = _LOWER | _DIGITS | {"-"}
_SUFFIX_CHARS = _LABEL_CHARS | {"."}

# A region is PREFIX-DIRECTION-NUMBER, NUMBER being [1-9][0-9]?.
_DIRECTIONS = frozenset(
    {"north", "south", "east", "west", "central", "northeast", "northwest", "southeast",
     "southwest"}
)
# Region prefix -> partition. Commercial regions ("aws") have a prefix of 2-3 lowercase letters
# other than "cn"; aws-eusc's is "eusc-" plus 2 lowercase letters. Any other qualifier belongs to
# a known non-commercial partition.
_PREFIX_PARTITIONS = {
    "us-gov": "aws-us-gov",
    "cn": "aws-cn",
    "us-iso": "aws-iso",
    "us-isob": "aws-iso-b",
    "eu-isoe": "aws-iso-e",
    "us-isof": "aws-iso-f",
}

# (suffix, dualstack) -> partitions served under it. Dual-stack hosts use only the dual-stack
# suffixes and standard hosts only the others; no dual-stack suffix is known for aws-eusc or
# the isolated partitions.
_SUFFIXES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("amazonaws.com", False): ("aws", "aws-us-gov"),
    ("amazonaws.com.cn", False): ("aws-cn",),
    ("amazonaws.eu", False): ("aws-eusc",),
    ("c2s.ic.gov", False): ("aws-iso",),
    ("sc2s.sgov.gov", False): ("aws-iso-b",),
    ("cloud.adc-e.uk", False): ("aws-iso-e",),
    ("csp.hci.ic.gov", False): ("aws-iso-f",),
    ("on.aws", True): ("aws", "aws-us-gov"),
    ("on.amazonwebservices.com.cn", True): ("aws-cn",),
}

_FIPS_PARTITIONS = frozenset({"aws", "aws-us-gov"})

_REGISTRY_FIELDS = (
    "name", "registry_id", "region", "partition", "fips", "dualstack", "public", "ecr_host",
)


class RegistryError(Ecr2Error, ValueError):
    """A value that is not a usable registry; the message is one user-facing line."""


class Endpoint(Frozen):
    """What a registry and a token request share: their fips, dualstack and public fields
    decide the variant of the endpoint and the service that answers."""

    __slots__ = ()

    fips: bool
    dualstack: bool
    public: bool

    @property
    def variant(self) -> str:
        """One of VARIANTS: "standard", "fips", "dualstack" or "fips-dualstack"."""
        return variant_of(self.fips, self.dualstack)

    @property
    def service(self) -> str:
        """The AWS service that issues credentials here."""
        return "ecr-public" if self.public else "ecr"


class Registry(Endpoint):
    """An ECR registry as named by the user, together with the ECR identity behind it.

    Immutable; compares, hashes and prints by its fields; ``_replace`` makes a changed copy.
    """

    __slots__ = _REGISTRY_FIELDS

    name: str
    registry_id: str | None
    region: str
    partition: str
    fips: bool
    dualstack: bool
    public: bool
    ecr_host: str

    def __init__(self, name: str, registry_id: str | None, region: str, partition: str,
                 fips: bool, dualstack: bool, public: bool, ecr_host: str) -> None:
        self._set(name, registry_id, region, partition, fips, dualstack, public, ecr_host)


def quote(value: object, limit: int = _MAX_QUOTED) -> str:
    """``value`` for a one-line error message: repr() escapes newlines and other control
    characters; at most ``limit`` characters."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _is_digits(text: str, least: int, most: int) -> bool:
    """``[0-9]{least,most}``: ASCII digits only (str.isdigit also takes other scripts')."""
    return least <= len(text) <= most and _DIGITS.issuperset(text)


def _is_label(label: str) -> bool:
    """``[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?``: a lower-case DNS label."""
    return (
        0 < len(label) <= 63
        and _LABEL_CHARS.issuperset(label)
        and label[0] != "-"
        and label[-1] != "-"
    )


def _valid_hostname(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    labels = host.split(".")
    if all(label.isdigit() for label in labels if label) or labels[-1].isdigit():
        # Looks numeric: only a dotted-quad IPv4 address is acceptable.
        return _is_ipv4(labels)
    return all(_is_label(label) for label in labels)


def _is_ipv4(octets: list[str]) -> bool:
    """Whether "."-separated ``octets`` are an IPv4 address as ``ipaddress.IPv4Address`` (Python
    >= 3.9.5) takes one: four decimal numbers up to 255, without leading zeros. (ipaddress costs
    the credential helper ~5 ms of start-up, and 127.0.0.1:5000 is a common alias name.)"""
    return len(octets) == 4 and all(
        _is_digits(octet, 1, 3) and (octet == "0" or octet[0] != "0") and int(octet) <= 255
        for octet in octets
    )


def _split_host_port(hostport: str) -> tuple[str, str | None]:
    """Split "host[:port]" (host may be a bracketed IPv6 address); raise ValueError if bad."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError("unterminated IPv6 address")
        address = hostport[1:end]
        if "%" in address:
            raise ValueError("IPv6 zone identifiers are not supported")
        import ipaddress

        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ValueError("invalid IPv6 address") from None
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise ValueError("unexpected text after IPv6 address")
        port: str | None = rest[1:]
    else:
        host, sep, port = hostport.partition(":")
        if not sep:
            port = None
        if not _valid_hostname(host):
            raise ValueError("invalid host name")
    # [1-9][0-9]{0,4}, at most 65535
    if port is not None and not (
        _is_digits(port, 1, 5) and port[0] != "0" and int(port) <= 65535
    ):
        raise ValueError("port must be a number from 1 to 65535")
    return host, port


def host_port(value: object) -> tuple[str, str]:
    """Return ("host[:port]", "host") of value, lower-cased; raise ValueError with a reason."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    text = value.strip()
    if not text:
        raise ValueError("empty")
    # Checked before lower-casing: some non-ASCII letters lower-case to ASCII ones.
    if not text.isascii():
        raise ValueError("non-ASCII characters")
    scheme = text[:8].lower()  # an http:// or https:// scheme, in any case
    if scheme.startswith("https://"):
        text = text[8:]
    elif scheme.startswith("http://"):
        text = text[7:]
    hostport = text.split("/", 1)[0].lower()
    if not hostport:
        raise ValueError("no host")
    host, _port = _split_host_port(hostport)
    return hostport, host


def host_of(value: str) -> str:
    """Return the lower-cased "host[:port]" of a hostname, URI or image reference."""
    try:
        return host_port(value)[0]
    except (TypeError, ValueError) as exc:
        raise RegistryError(
            f"{quote(value)} is not a valid registry host ({exc}); "
            f"expected a host such as {EXAMPLE_HOST}"
        ) from None


def parse_registry_id(value: str) -> str:
    """Validate an AWS account id used as a registry id: exactly 12 ASCII digits."""
    if not isinstance(value, str) or not _is_digits(value, 12, 12):
        raise RegistryError(
            f"{quote(value)} is not a valid registry id; expected 12 digits such as 123456789012"
        )
    return value


def partition_of_region(region: str) -> str | None:
    """The partition a region name belongs to, or None for a name of no known shape.

    A region is PREFIX-DIRECTION-NUMBER: DIRECTION one of north, south, east, west, central,
    northeast, northwest, southeast, southwest; NUMBER 1-99 without a leading zero.
    """
    if not isinstance(region, str):
        raise TypeError(f"a region is a string, not {type(region).__name__}")
    parts = region.split("-")
    if len(parts) < 3 or parts[-2] not in _DIRECTIONS:
        return None
    number = parts[-1]
    if not (_is_digits(number, 1, 2) and number[0] != "0"):
        return None
    prefix = parts[:-2]
    partition = _PREFIX_PARTITIONS.get("-".join(prefix))
    if partition is not None:
        return partition
    if len(prefix) == 2 and prefix[0] == "eusc":
        qualifier = prefix[1]
        return "aws-eusc" if len(qualifier) == 2 and _LOWER.issuperset(qualifier) else None
    if len(prefix) == 1:
        name = prefix[0]
        if 2 <= len(name) <= 3 and _LOWER.issuperset(name) and name != "cn":
            return "aws"
    return None


def _suffix_for(partition: str, dualstack: bool) -> str | None:
    for (suffix, is_dualstack), partitions in _SUFFIXES.items():
        if is_dualstack == dualstack and partition in partitions:
            return suffix
    return None


def format_host(
    registry_id: str, region: str, *, fips: bool = False, dualstack: bool = False
) -> str:
    """Return the canonical private registry host for an id, region and endpoint variant."""
    parse_registry_id(registry_id)
    partition = partition_of_region(region) if isinstance(region, str) else None
    if partition is None:
        raise RegistryError(f"{quote(region)} is not a valid AWS region such as us-east-1")
    if fips and partition not in _FIPS_PARTITIONS:
        raise RegistryError(f"FIPS registry endpoints are not available in region {quote(region)}")
    suffix = _suffix_for(partition, dualstack)
    if suffix is None:
        raise RegistryError(
            f"dual-stack registry endpoints are not available in region {quote(region)}"
        )
    service = "dkr-ecr" if dualstack else "dkr.ecr"
    return f"{registry_id}.{service}{'-fips' if fips else ''}.{region}.{suffix}"


def _private_host(host: str) -> tuple[str, bool, bool, str, str] | None:
    """(registry id, fips, dualstack, region, suffix) of a private ECR host
    ``ID.dkr.ecr[-fips].REGION.SUFFIX`` or ``ID.dkr-ecr[-fips].REGION.SUFFIX`` (dual-stack):
    ID 12 digits, REGION of [a-z0-9-], SUFFIX of [a-z0-9.-]; None for anything else."""
    registry_id, dot, rest = host[:12], host[12:13], host[13:]
    if dot != "." or not _is_digits(registry_id, 12, 12):
        return None
    service = rest[:7]
    if service not in ("dkr.ecr", "dkr-ecr"):
        return None
    rest = rest[7:]
    fips = rest.startswith("-fips.")
    if fips:
        rest = rest[5:]
    if not rest.startswith("."):
        return None
    region, dot, suffix = rest[1:].partition(".")
    if not (
        region and suffix and _LABEL_CHARS.issuperset(region) and _SUFFIX_CHARS.issuperset(suffix)
    ):
        return None
    return registry_id, fips, service == "dkr-ecr", region, suffix


def identify(value: object) -> Registry:
    """Parse an ECR host, URI or image reference; raise ValueError with a short reason."""
    hostport, host = host_port(value)
    if host in PUBLIC_HOSTS:
        return Registry(
            name=hostport,
            registry_id=None,
            region=PUBLIC_REGION,
            partition="aws",
            fips=False,
            dualstack=PUBLIC_HOSTS[host],
            public=True,
            ecr_host=host,
        )
    parsed = _private_host(host)
    if parsed is None:
        raise ValueError("")
    registry_id, fips, dualstack, region, suffix = parsed
    partitions = _SUFFIXES.get((suffix, dualstack))
    if partitions is None:
        if (suffix, not dualstack) in _SUFFIXES:
            kind = "standard" if dualstack else "dual-stack"
            raise ValueError(f"{suffix} is only used by {kind} endpoints")
        raise ValueError(f"unknown domain {suffix}")
    partition = partition_of_region(region)
    if partition is None:
        raise ValueError(f"invalid region {region}")
    if partition not in partitions:
        raise ValueError(f"region {region} does not belong to {suffix}")
    if fips and partition not in _FIPS_PARTITIONS:
        raise ValueError(f"no FIPS endpoints in partition {partition}")
    return Registry(
        name=hostport,
        registry_id=registry_id,
        region=region,
        partition=partition,
        fips=fips,
        dualstack=dualstack,
        public=False,
        ecr_host=host,
    )
