"""Rules that used to live in several places and disagree now have one home each (issue 20):
whoever applies them gets the same answer."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from awscli_ecr_login_ext.cache.entry import CacheKey
from awscli_ecr_login_ext.cli.adapter import _SecretFilter
from awscli_ecr_login_ext.cli.tools import MASK, mask
from awscli_ecr_login_ext.core import settings
from awscli_ecr_login_ext.core.redact import redact
from awscli_ecr_login_ext.core.selection import TokenRequest, parse_registry
from awscli_ecr_login_ext.core.variants import VARIANTS
from awscli_ecr_login_ext.helper.protocol import _scrub
from awscli_ecr_login_ext.identity.principal import Identity

TOKEN = "QVdTOmV5SndZWGxzYjJGa0lqb2lZV0pqSW4w"
LEAKS = [
    f'{{"authorizationData": [{{"authorizationToken": "{TOKEN}", "x": 1}}]}}',  # a JSON body
    f"{{'authorizationToken': '{TOKEN}', 'expiresAt': 1}}",  # a Python repr
    f"authorizationToken={TOKEN} expiresAt=1",  # key=value, as in a botocore debug line
]


def log_line(text: str) -> str:
    record = logging.LogRecord("botocore", logging.DEBUG, __file__, 1, "%s", (text,), None)
    _SecretFilter([]).filter(record)
    return record.getMessage()


@pytest.mark.parametrize("text", LEAKS, ids=["json", "repr", "key=value"])
def test_every_place_that_redacts_removes_the_token_field(text):
    """The CLI's --debug filter, the helper's error line and a tool's masked output: one rule."""
    assert TOKEN not in log_line(text)
    assert TOKEN not in _scrub(text, [])
    assert TOKEN not in mask(text, "unrelated-secret")
    assert log_line(text) == redact(text)
    assert _scrub(text, []) == " ".join(redact(text).split())
    assert mask(text, "unrelated-secret") == redact(text, mark=MASK)


def test_a_secret_holding_another_is_replaced_whole():
    assert redact("abc-abcdef", ["abc", "abcdef"]) == "<redacted>-<redacted>"


@pytest.mark.parametrize("host", [
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
    "123456789012.dkr-ecr.eu-west-1.on.aws",
    "123456789012.dkr-ecr-fips.us-east-1.on.aws",
])
def test_one_variant_encoding_for_the_registry_the_request_and_the_cache_key(host):
    registry = parse_registry(host)
    request = TokenRequest.for_registry(registry)
    key = CacheKey.for_request(request, Identity("env:x", "env"), None)
    assert registry.variant == request.variant == key.variant
    assert key.variant in VARIANTS


@pytest.mark.parametrize(("value", "expected"), [
    ("", None), ("  ", None), ("3600", 3600.0), (" 1800 ", 1800.0), ("-60", -60.0), ("0", 0.0),
])
def test_min_ttl_accepts_numbers_and_blank(value, expected):
    assert settings.min_ttl(value, "dev") == expected


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan", "NaN", "ten", "1h"])
def test_min_ttl_refuses_what_would_never_cache_in_one_line(value):
    with pytest.raises(settings.SettingError) as raised:
        settings.min_ttl(value, "dev")
    assert str(raised.value) == (f"ecr2_cache_min_ttl in profile 'dev' must be a number of "
                                 f"seconds, not {value!r}")


PACKAGE = Path(__file__).resolve().parent.parent / "awscli_ecr_login_ext"
# setup/redirect.py is copied beside the redirect and runs without the package: it keeps its
# own copy of these rules (docs/architecture.md). completion_index looks up the aws it runs in.
STANDALONE = {"setup/redirect.py"}
PATH_LOOKUPS = re.compile(r"shutil\.which\(|environ(?:\.get\()?\[?[\"']PATH[\"'][^\n]*\.split\(")


def package_sources() -> dict[str, str]:
    return {str(path.relative_to(PACKAGE)): path.read_text()
            for path in PACKAGE.rglob("*.py")}


def test_one_rule_finds_programs_on_path():
    """An empty PATH entry means the current directory to shutil.which: the package looks
    programs up through core/executables only, which never reads it so."""
    places = sorted(name for name, text in package_sources().items()
                    if PATH_LOOKUPS.search(text)
                    and name not in STANDALONE | {"cli/commands/completion_index.py"})
    assert places == []
    assert PATH_LOOKUPS.search('shutil.which("aws")')  # the check sees what it looks for


def test_one_atomic_write():
    """Files are replaced by core/atomic's write only (the completion index, a SQLite file
    edited in a copy, is renamed over the original by its own command)."""
    places = sorted(name for name, text in package_sources().items()
                    if re.search(r"os\.(?:replace|rename)\(", text))
    assert places == ["cli/commands/completion_index.py", "core/atomic.py"]
