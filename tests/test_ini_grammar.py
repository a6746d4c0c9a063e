"""One INI grammar for the config file and the alias file, and it is the CLI's: botocore's
``raw_config_parse`` (configparser's RawConfigParser) reads both files."""

from __future__ import annotations

import pytest
from botocore.configloader import raw_config_parse

from awscli_ecr_login_ext.setup.aliases import merge, parse, unmerge
from awscli_ecr_login_ext.setup.config_editor import ConfigSection

FILES = [
    "[toplevel]\nwhoami = sts get-caller-identity\n",
    "[toplevel] # mine\nwhoami = sts\n",
    "  [toplevel]\nwhoami = sts\n",
    "[ toplevel ]\nwhoami = sts\n",
    "[toplevel]junk\nwhoami = sts\n",
    "[toplevel]\nwhoami: sts get-caller-identity\na:b = c\nd=e:f\n",
    "[toplevel]\n  indented = key\nnext = one\n",
    ("[toplevel]\nlogin =\n  !f() {\n# a comment inside the value\n\n    echo hi\n  }; f\n"
     "# above the next\nnext = x\n"),
    "[toplevel]\nx = 1\n    [not a header]\n; c\n[command ecr2]\npw = get-login-password\n",
    "[plugins]\r\necr2 = awscli_ecr_login_ext\r\ncli_legacy_plugin_path = /p\r\n",
]


def cli_reads(tmp_path, text: str) -> dict:
    """The sections as the CLI reads the alias file (indented values kept as text)."""
    path = tmp_path / "file"
    path.write_bytes(text.encode())
    return raw_config_parse(str(path), parse_subsections=False)


@pytest.mark.parametrize("text", FILES)
def test_the_editors_read_what_the_cli_reads(tmp_path, text):
    lines = text.splitlines(keepends=True)
    read = {section.name: {entry.key: entry.value for entry in section.entries}
            for section in parse(lines)}
    cli = cli_reads(tmp_path, text)
    assert read == {name: {key: value.strip() for key, value in values.items()}
                    for name, values in cli.items()}
    for name, values in cli.items():
        assert [key for key, _ in ConfigSection(text, name).items()] == list(values)


def test_a_header_with_a_comment_or_leading_spaces_is_the_section(tmp_path):
    for header in ("[toplevel] # mine", "  [toplevel]"):
        user = f"{header}\nwhoami = sts\n"
        merged = merge(user).text
        assert merged.count("toplevel]") == 1  # once, else the CLI refuses the file
        assert set(cli_reads(tmp_path, merged)["toplevel"]) == {
            "whoami", "ecr-login", "ecr-password"}
        assert unmerge(merged).text == user


def test_a_name_with_spaces_in_the_brackets_is_another_section(tmp_path):
    user = "[ toplevel ]\nwhoami = sts\n"
    merged = merge(user).text
    assert merged.startswith(user + "\n[toplevel]\n")
    assert set(cli_reads(tmp_path, merged)["toplevel"]) == {"ecr-login", "ecr-password"}
    section = ConfigSection("[ plugins ]\necr2 = old\n", "plugins")
    assert section.get("ecr2") is None
    section.set("ecr2", "awscli_ecr_login_ext")
    assert section.text() == "[ plugins ]\necr2 = old\n\n[plugins]\necr2 = awscli_ecr_login_ext\n"


@pytest.mark.parametrize("line", ["ecr2: old_module", "  ecr2 = old_module"])
def test_a_colon_or_an_indented_key_is_replaced_not_doubled(tmp_path, line):
    section = ConfigSection(f"[plugins]\n{line}\n", "plugins")
    assert section.get("ecr2") == "old_module"
    section.set("ecr2", "awscli_ecr_login_ext")
    assert section.text() == f"[plugins]\n{line.replace('old_module', 'awscli_ecr_login_ext')}\n"
    assert cli_reads(tmp_path, section.text())["plugins"] == {"ecr2": "awscli_ecr_login_ext"}
    assert section.remove("ecr2") and section.text() == ""


def test_a_comment_at_the_margin_does_not_end_a_nested_value(tmp_path):
    text = "[profile p]\necr2_registry_profiles =\n    a = b\n# c\n    c = d\n"
    section = ConfigSection(text, "profile p")
    assert section.set_nested("ecr2_registry_profiles", "c", "e") == "changed"
    assert section.text() == text.replace("c = d", "c = e")
    path = tmp_path / "config"
    path.write_text(section.text())
    assert raw_config_parse(str(path))["profile p"]["ecr2_registry_profiles"] == {
        "a": "b", "c": "e"}
