"""`awscli-ecr-login-ext install|uninstall|status` on real config files, checked with the real CLIs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.aws_config import ConfigSection
from awscli_ecr_login_ext.setup_cli import PLUGINS, apply_install, apply_uninstall
from tests.conftest import CLIS, MOTO_PASSWORD, REPO, require

ORIGINAL = """# my settings, keep this comment
[default]
region = eu-west-1   ; and this one
output = json

[plugins]
# other plugins live here
cli_legacy_plugin_path = /opt/other-plugins

[profile build]
role_arn = arn:aws:iam::123456789012:role/build
source_profile = default
"""


def setup_command(aws_home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", *args,
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env=aws_home.env)


def test_install_keeps_every_line_is_idempotent_and_uninstall_restores(aws_home):
    aws_home.config_file.write_text(ORIGINAL)
    os.chmod(aws_home.config_file, 0o640)

    dry = setup_command(aws_home, "install", "--cli", "both", "--dry-run")
    assert dry.returncode == 0 and "Would change" in dry.stdout
    assert aws_home.config_file.read_text() == ORIGINAL

    first = setup_command(aws_home, "install", "--cli", "both")
    assert first.returncode == 0, first.stderr
    text = aws_home.config_file.read_text()
    assert "+ ecr2 = awscli_ecr_login_ext" in first.stdout
    plugin_dir = str(REPO)
    expected_path = f"cli_legacy_plugin_path = /opt/other-plugins{os.pathsep}{plugin_dir}"
    assert expected_path in text
    for line in ORIGINAL.splitlines():
        if not line.startswith("cli_legacy_plugin_path"):
            assert line in text.splitlines()
    lines = text.splitlines()
    assert lines.index("ecr2_v1_guard = awscli_ecr_login_ext.v1_path_guard") < lines.index(
        expected_path)
    assert stat.S_IMODE(aws_home.config_file.stat().st_mode) == 0o640

    again = setup_command(aws_home, "install", "--cli", "both")
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert aws_home.config_file.read_text() == text

    removed = setup_command(aws_home, "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert aws_home.config_file.read_text() == ORIGINAL
    assert not [p for p in aws_home.aws_dir.iterdir() if p.name.endswith(".tmp")]


def test_one_installed_config_serves_every_cli_major(aws_home, moto_endpoint):
    aws_home.config_file.write_text("[default]\nregion = eu-west-1\n")
    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    ran = 0
    for cli in CLIS:
        require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
        password = aws_home.run(cli, "ecr2", "get-login-password", "--endpoint-url", moto_endpoint)
        assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), password.stderr
        identity = aws_home.run(cli, "sts", "get-caller-identity", "--endpoint-url", moto_endpoint)
        assert identity.returncode == 0, identity.stderr
        assert '"Account"' in identity.stdout
        ran += 1
    assert ran == len(CLIS)


def test_status_reports_clis_and_the_v1_trap(aws_home):
    aws_home.config_file.write_text(f"[plugins]\ncli_legacy_plugin_path = {REPO}\n"
                                    "ecr2 = awscli_ecr_login_ext\n")
    v1 = CLIS[0]
    require(v1.executable.exists(), "AWS CLI v1 not found")
    path = os.pathsep.join([str(v1.executable.parent), "/usr/bin", "/bin"])
    trapped = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "status",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": path})
    assert trapped.returncode == 1
    assert "makes every AWS CLI v1 command crash" in trapped.stdout
    assert "does NOT load" in trapped.stdout

    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    healthy = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "status",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": path})
    assert healthy.returncode == 0, healthy.stdout
    assert "crash" not in healthy.stdout
    assert healthy.stdout.count("aws ecr2 loads") >= 1
    assert "AWS CLI 1." in healthy.stdout


def test_auto_with_no_cli_on_path_is_a_clear_error(aws_home, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", "install",
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO, env={**aws_home.env, "PATH": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip() == ("awscli-ecr-login-ext: No AWS CLI found on PATH; name the "
                                     "one to configure with --cli v1, v2 or both.")


# -- install then uninstall gives back the file, byte for byte ----------------------------------

USER_PLUGIN = "def awscli_initialize(cli):\n    pass\n"
ROUND_TRIPS = {
    "no trailing newline": b"[default]\nregion = eu-west-1",
    "crlf": b"[default]\r\nregion = eu-west-1\r\n\r\n[profile build]\r\nregion = us-west-2\r\n",
    "crlf, no trailing newline": b"[default]\r\nregion = eu-west-1",
    "own plugins section with a comment": (
        b"[default]\nregion = eu-west-1\n\n[plugins]\n# my own plugins\n"
        b"my_plugin = my_plugin\n"),
    "own plugins section mid-file, profiles after it": (
        b"# keep me\n[default]\nregion = eu-west-1\n\n[plugins]\nmy_plugin = my_plugin\n\n"
        b"[profile build]\nregion = us-west-2\n"),
    "own plugin path, spaced, no trailing newline": (
        b"[plugins]\ncli_legacy_plugin_path=/opt/other-plugins   \n\n[profile build]\n"
        b"region = us-west-2"),
    "ends with blank lines": b"[default]\nregion = eu-west-1\n\n\n",
    "comment only": b"# nothing here yet",
    "empty": b"",
    "does not exist": None,
}


PIECES = ["[default]", "region = eu-west-1", "", "   ", "# a comment", "; another", "[plugins]",
          "my_plugin = my_plugin", "cli_legacy_plugin_path = /opt/other", "  nested = 1",
          "[profile build]", "cli_legacy_plugin_path=/a:/b  ", "s3 =", "[plugins] ; mine"]


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.sampled_from(PIECES), max_size=8),
       newline=st.sampled_from(["\n", "\r\n"]), ending=st.sampled_from(["", "eol", "blank"]),
       majors=st.sampled_from([{1}, {2}, {1, 2}]))
def test_the_line_editor_undoes_what_it_did(lines, newline, ending, majors):
    """apply_uninstall after apply_install gives back any config the CLI accepts, except an
    empty [plugins] section of the user's own (documented: it goes too)."""
    text = newline.join(lines) + {"": "", "eol": newline, "blank": newline * 2}[ending]
    section = ConfigSection(text, PLUGINS)
    keys = [key for key, _ in section.items()]
    bounds = section._bounds()
    assume(len([line for line in lines if line.startswith("[plugins]")]) <= 1)
    assume(len(keys) == len(set(keys)))  # the CLI refuses duplicate keys
    assume(bounds is None or any(line.strip() for line in section.lines[bounds[0] + 1:bounds[1]]))
    apply_install(section, majors, "/site-packages")
    assert "ecr2" in dict(section.items())
    installed = ConfigSection(section.text(), PLUGINS)
    apply_uninstall(installed, "/site-packages")
    assert installed.text() == text


def install_then_uninstall(aws_home, original: bytes | None) -> tuple[bytes, bytes | None]:
    """The bytes install wrote, and what uninstall left (None: no file)."""
    if original is None:
        aws_home.config_file.unlink()
    else:
        aws_home.config_file.write_bytes(original)
    installed = setup_command(aws_home, "install", "--cli", "both")
    assert installed.returncode == 0, installed.stderr
    after_install = aws_home.config_file.read_bytes()
    removed = setup_command(aws_home, "uninstall")
    assert removed.returncode == 0, removed.stderr
    after = aws_home.config_file.read_bytes() if aws_home.config_file.exists() else None
    return after_install, after


@pytest.mark.parametrize("original", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_uninstall_gives_back_the_file_install_was_given(aws_home, original):
    installed, after = install_then_uninstall(aws_home, original)
    assert b"ecr2 = awscli_ecr_login_ext" in installed
    assert after == original
    assert not [p for p in aws_home.aws_dir.iterdir() if p.name != "credentials"
                and p.name != "config"]


def test_a_created_file_says_so_and_survives_what_the_user_added(aws_home):
    aws_home.config_file.unlink()
    assert setup_command(aws_home, "install", "--cli", "v1").returncode == 0
    created = aws_home.config_file.read_text()
    assert created == ("# Created by awscli-ecr-login-ext install; its uninstall deletes this "
                       "file while nothing else is in it.\n\n[plugins]\n"
                       "ecr2 = awscli_ecr_login_ext\n")
    with aws_home.config_file.open("a") as config:
        config.write("\n[profile build]\nregion = us-west-2\n")
    removed = setup_command(aws_home, "uninstall")
    assert removed.returncode == 0 and "Deleted" not in removed.stdout
    assert aws_home.config_file.read_text() == (
        "# Created by awscli-ecr-login-ext install; its uninstall deletes this file while "
        "nothing else is in it.\n\n[profile build]\nregion = us-west-2\n")


def test_uninstall_dry_run_of_a_created_file_deletes_nothing(aws_home):
    aws_home.config_file.unlink()
    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    installed = aws_home.config_file.read_bytes()
    dry = setup_command(aws_home, "uninstall", "--dry-run")
    assert dry.returncode == 0
    assert f"Would delete {aws_home.config_file}: install created it" in dry.stdout
    assert aws_home.config_file.read_bytes() == installed


@pytest.mark.parametrize("original", [v for v in ROUND_TRIPS.values() if v],
                         ids=[k for k, v in ROUND_TRIPS.items() if v])
def test_what_install_writes_loads_on_every_cli(aws_home, moto_endpoint, tmp_path, original):
    """The user's own plugin (a module on PYTHONPATH) and profiles still load next to ecr2."""
    plugins = tmp_path / "user-plugins"
    plugins.mkdir()
    (plugins / "my_plugin.py").write_text(USER_PLUGIN)
    aws_home.config_file.write_bytes(original)
    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    env = {"PYTHONPATH": str(plugins)}
    for cli in CLIS:
        require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
        password = aws_home.run(cli, "ecr2", "get-login-password", "--region", "eu-west-1",
                                "--endpoint-url", moto_endpoint, env=env)
        assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), (
            cli.label, password.stderr)
        if b"[profile build]" in original:
            region = aws_home.run(cli, "configure", "get", "region", "--profile", "build", env=env)
            assert region.stdout == "us-west-2\n", (cli.label, region.stderr)


# -- a v2 with a Python of its own (pip-built, or the official installer) ------------------------

V2_36 = next(cli for cli in CLIS if cli.label == "v2.36")


def setup_on_path(aws_home, path: str, *args: str) -> subprocess.CompletedProcess:
    """awscli-ecr-login-ext run by this package's Python with only ``path`` as PATH."""
    return subprocess.run(
        [sys.executable, "-m", "awscli_ecr_login_ext", *args,
         "--config-file", str(aws_home.config_file)],
        check=False, capture_output=True, text=True, cwd=REPO,
        env={**aws_home.env, "PATH": path}, timeout=600)


def test_install_v2_points_a_pip_built_v2_at_the_package(aws_home, moto_endpoint):
    require(V2_36.executable.exists(), f"AWS CLI {V2_36.label} not found")
    aws_home.config_file.write_text("[default]\nregion = eu-west-1\n")
    path = str(V2_36.executable.parent)
    installed = setup_on_path(aws_home, path, "install", "--cli", "v2")
    assert installed.returncode == 0, installed.stderr
    assert f"+ cli_legacy_plugin_path = {REPO}" in installed.stdout

    status = setup_on_path(aws_home, path, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"AWS CLI 2.36.7 at {V2_36.executable}: aws ecr2 loads;" in status.stdout
    assert "AWS CLI 2.9" not in status.stdout  # only what is on PATH

    password = aws_home.run(V2_36, "ecr2", "get-login-password", "--endpoint-url", moto_endpoint,
                            env={"PATH": path})
    assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), password.stderr


def completer_of(cli) -> str:
    """Debian's v2 keeps its completer in /usr/libexec; pip-built CLIs put it beside ``aws``."""
    if cli.executable == Path("/usr/bin/aws"):
        return "/usr/libexec/aws_completer"
    return str(cli.executable.with_name("aws_completer"))


def test_completion_lists_ecr2(aws_home, cli):
    """v1 completes plugins by itself; a v2 after `install --completion` rebuilt its index,
    which `status` then reports. Only this CLI is on PATH, so only its index is rebuilt."""
    path = str(cli.executable.parent)
    if cli.major >= 2:
        before = setup_on_path(aws_home, path, "status")
        assert "the completion index does not include ecr2" in before.stdout
        installed = setup_on_path(aws_home, path, "install", "--cli", "both", "--completion")
        assert installed.returncode == 0, installed.stderr
        version = cli_version(cli)
        index = aws_home.root / ".aws" / "cli" / "cache" / f"{version}.index"
        assert f"Completion index written: {index}" in installed.stdout
        after = setup_on_path(aws_home, path, "status")
        assert (f"AWS CLI {version} at {cli.executable}: aws ecr2 loads; "
                "the completion index includes ecr2") in after.stdout

    def complete(line: str) -> list[str]:
        env = {**aws_home.env, "PATH": path, "COMP_LINE": line, "COMP_POINT": str(len(line))}
        done = subprocess.run([completer_of(cli)], capture_output=True, text=True, env=env,
                              check=False)
        return done.stdout.split()

    # v1 takes a complete word as the command and lists its subcommands: ask for "ec".
    assert "ecr2" in complete("aws ecr" if cli.major >= 2 else "aws ec")
    assert {"get-login-password", "get-login"} <= set(complete("aws ecr2 "))
    assert {"--registry", "--registry-ids", "--public"} <= set(complete("aws ecr2 get-login --"))


def cli_version(cli) -> str:
    shown = subprocess.run([str(cli.executable), "--version"], capture_output=True, text=True,
                           check=True, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    return (shown.stdout + shown.stderr).split()[0].split("/")[1]


def test_the_index_generator_runs_on_the_python_of_the_aws_script(tmp_path):
    from awscli_ecr_login_ext.clis import AwsCli
    from awscli_ecr_login_ext.errors import Ecr2Error
    from awscli_ecr_login_ext.setup_cli import interpreter_of

    script = tmp_path / "aws"
    script.write_text("#!/usr/bin/env python3\nimport awscli.clidriver\n")
    assert interpreter_of(AwsCli(str(script), "2.36.7")) == ["/usr/bin/env", "python3"]
    script.write_text(f"#!{V2_36.python}\n")
    assert interpreter_of(AwsCli(str(script), "2.36.7")) == [str(V2_36.python)]
    script.write_bytes(b"\x7fELF\x02\x01\x01")  # the official installer's frozen binary
    with pytest.raises(Ecr2Error, match="is not a Python script"):
        interpreter_of(AwsCli(str(script), "2.36.7"))
