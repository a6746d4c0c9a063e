"""The core of ecr2_registry_profiles: parsing the mapping and finding a registry's profile."""

from __future__ import annotations

import subprocess
import sys

import pytest

from awscli_ecr_login_ext.core.registry import RegistryError
from awscli_ecr_login_ext.core.registry_profiles import parse_registry_profiles, profile_for
from awscli_ecr_login_ext.core.selection import aliases_from_config, parse_registry
from tests.conftest import REPO

TOOLS = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
PROD = "222222222222.dkr.ecr.us-east-1.amazonaws.com"
PROFILES = {"default", "tools", "prod"}


def test_text_and_the_nested_dict_give_the_same_mapping() -> None:
    text = f"\n{TOOLS} = tools\n\n  {PROD.upper()}=prod  \npublic.ecr.aws = tools\n"
    expected = {TOOLS: "tools", PROD: "prod", "public.ecr.aws": "tools"}
    assert parse_registry_profiles(text, PROFILES) == expected
    nested = {TOOLS: "tools", PROD.upper(): "prod", "public.ecr.aws": "tools"}
    assert parse_registry_profiles(nested, PROFILES) == expected


@pytest.mark.parametrize("empty", [None, "", "\n  \n", {}])
def test_no_mapping(empty: object) -> None:
    assert parse_registry_profiles(empty, PROFILES) == {}


def test_hosts_are_read_with_the_registry_grammar() -> None:
    text = f"https://{TOOLS}/repo:tag = tools\n{PROD}:443 = prod\n"
    assert parse_registry_profiles(text, PROFILES) == {TOOLS: "tools", PROD: "prod"}


@pytest.mark.parametrize(("line", "reason"), [
    (f"{TOOLS} tools", "no '='"),
    (" = tools", "no registry before '='"),
    (f"{TOOLS} =", "no profile after '='"),
    (f"{TOOLS} = tools = prod", "more than one '='"),
    ("registry.example.com = tools", "'registry.example.com' is not an Amazon ECR registry"),
    ("111111111111.dkr.ecr.xx-nowhere-1.amazonaws.com = tools", "not an Amazon ECR registry"),
])
def test_a_malformed_line_is_one_error_line_naming_it(line: str, reason: str) -> None:
    with pytest.raises(RegistryError) as raised:
        parse_registry_profiles(f"{PROD} = prod\n{line}\n", PROFILES)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{line.strip()!r} in ecr2_registry_profiles is not a valid "
                              "registry mapping (")
    assert reason in message
    assert "expected ECRHOST = PROFILE" in message


@pytest.mark.parametrize("line", [" = tools", f"{TOOLS} =", f"{TOOLS} = tools = prod"])
def test_botocores_dict_gets_the_texts_message(line: str) -> None:
    """The CLI gets botocore's dict of the same lines; the message quotes the same line."""
    key, _, value = line.partition("=")
    messages = []
    for form in (f"{line}\n", {key.strip(): value.strip()}):
        with pytest.raises(RegistryError) as raised:
            parse_registry_profiles(form, PROFILES)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"{line.strip()!r} in ecr2_registry_profiles")


def test_a_host_mapped_twice_is_an_error() -> None:
    with pytest.raises(RegistryError, match=f"{TOOLS} is already mapped"):
        parse_registry_profiles(f"{TOOLS} = tools\n{TOOLS.upper()} = prod\n", PROFILES)


def test_a_missing_profile_is_an_error_naming_the_line_and_the_profile() -> None:
    with pytest.raises(RegistryError) as raised:
        parse_registry_profiles(f"{TOOLS} = tools\n{PROD} = nope\n", PROFILES)
    assert str(raised.value) == (
        f"'{PROD} = nope' in ecr2_registry_profiles names profile 'nope', which does not "
        "exist in the AWS config or credentials file")


def test_a_non_text_value_is_an_error() -> None:
    with pytest.raises(RegistryError, match="must hold lines of the form ECRHOST = PROFILE"):
        parse_registry_profiles(["x"], PROFILES)


def test_profile_for_resolves_aliases_first() -> None:
    mapping = parse_registry_profiles(f"{TOOLS} = tools\npublic.ecr.aws = prod\n", PROFILES)
    aliases = aliases_from_config(f"127.0.0.1:5000 = {TOOLS}\n")
    assert profile_for(parse_registry(TOOLS), mapping) == "tools"
    assert profile_for(f"https://{TOOLS}/repo", mapping) == "tools"
    assert profile_for("127.0.0.1:5000", mapping, aliases) == "tools"
    assert profile_for(f"127.0.0.1:5001={TOOLS}", mapping) == "tools"
    assert profile_for("public.ecr.aws/org/image", mapping) == "prod"
    # unmapped: the active profile signs
    assert profile_for(PROD, mapping) is None
    assert profile_for("ecr-public.aws.com", mapping) is None
    assert profile_for(TOOLS, {}) is None
    with pytest.raises(RegistryError):
        profile_for("127.0.0.1:5000", mapping)  # no such alias


def test_parsing_imports_nothing_heavy() -> None:
    code = ("import sys; from awscli_ecr_login_ext.core.registry_profiles import "
            "parse_registry_profiles, profile_for; "
            f"m = parse_registry_profiles('{TOOLS} = tools', {{'tools'}}); "
            f"profile_for('{TOOLS}', m); "
            "print(sorted(n for n in ('re', 'json', 'typing', 'ipaddress', 'dataclasses', "
            "'awscli', 'botocore') if n in sys.modules))")
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO)}, check=True)
    assert result.stdout.strip() == "[]"


# -- the config line editor configure-docker --profile uses -------------------------------------


def edited(text: str, section: str, *entries: tuple[str, str]) -> tuple[str, list]:
    from awscli_ecr_login_ext.setup.config_editor import ConfigSection

    config = ConfigSection(text, section)
    changes = [config.set_nested("ecr2_registry_profiles", name, value,
                                 same_name=lambda existing, name=name: existing.lower() == name)
               for name, value in entries]
    return config.text(), changes


def test_set_nested_adds_changes_and_keeps_every_other_byte() -> None:
    text = ("[default]\r\nregion = eu-west-1\r\necr2_registry_profiles =\r\n"
            f"  # shared tools\r\n  {TOOLS.upper()}  =  tools\r\n\r\n  {PROD} = dev\r\n"
            "output = json\r\n\r\n# the plugins\r\n[plugins]\r\nx = y")
    result, changes = edited(text, "default", (PROD, "prod"), (TOOLS, "tools"),
                             ("public.ecr.aws", "prod"))
    assert changes == ["changed", None, "added"]
    assert result == text.replace(f"  {PROD} = dev\r\n",
                                  f"  {PROD} = prod\r\n  public.ecr.aws = prod\r\n")


def test_set_nested_creates_the_setting_and_the_section() -> None:
    result, changes = edited("[default]\nregion = eu-west-1\n\n# plugins\n[plugins]\nx = y",
                             "profile ci", (TOOLS, "tools"))
    assert changes == ["added"]
    assert result == ("[default]\nregion = eu-west-1\n\n# plugins\n[plugins]\nx = y\n\n"
                      f"[profile ci]\necr2_registry_profiles =\n    {TOOLS} = tools")
    result, _ = edited("[default]\nregion = eu-west-1\n\n# plugins\n[plugins]\nx = y\n",
                       "default", (TOOLS, "tools"))
    assert result == (f"[default]\nregion = eu-west-1\necr2_registry_profiles =\n"
                      f"    {TOOLS} = tools\n\n# plugins\n[plugins]\nx = y\n")


def test_set_nested_turns_a_one_line_value_into_nested_lines() -> None:
    result, changes = edited(f"[default]\necr2_registry_profiles = {TOOLS} = tools",
                             "default", (PROD, "prod"))
    assert changes == ["added"]
    assert result == (f"[default]\necr2_registry_profiles =\n    {TOOLS} = tools\n"
                      f"    {PROD} = prod")
    assert parse_registry_profiles(result.split("=", 1)[1], PROFILES) == {
        TOOLS: "tools", PROD: "prod"}
