"""`awscli-ecr-login-ext install|uninstall|status` on real config files, checked with the real
CLIs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.setup.command import PATH_KEY, PLUGINS, apply_install, apply_uninstall
from awscli_ecr_login_ext.setup.config_editor import ConfigSection, read_config
from tests.conftest import (
    CLIS,
    MOTO_PASSWORD,
    REPO,
    AwsHome,
    Cli,
    clean_environment,
    require,
)


def redirect_directory(home: Path) -> Path:
    """What install names in cli_legacy_plugin_path: the redirect's directory in that HOME."""
    return home / ".local" / "share" / "awscli-ecr-login-ext" / "plugin"


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
    plugin_dir = str(redirect_directory(aws_home.root))
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
        check=False, capture_output=True, text=True, cwd=REPO,
        env={**aws_home.env, "PATH": str(tmp_path)})
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
    """The user's own plugin (a module on PYTHONPATH) and profiles still load next to ecr2.
    The frozen CLI ignores PYTHONPATH: its users' own plugins are found only through
    cli_legacy_plugin_path, so there the user's directory goes on that line too."""
    plugins = tmp_path / "user-plugins"
    plugins.mkdir()
    (plugins / "my_plugin.py").write_text(USER_PLUGIN)
    aws_home.config_file.write_bytes(original)
    assert setup_command(aws_home, "install", "--cli", "both").returncode == 0
    section = ConfigSection(read_config(aws_home.config_file), PLUGINS)
    section.set(PATH_KEY, f"{section.get(PATH_KEY)}{os.pathsep}{plugins}")
    frozen_config = tmp_path / "config-with-the-users-plugin-path"
    frozen_config.write_bytes(section.text().encode())
    for cli in CLIS:
        require(cli.executable.exists(), f"AWS CLI {cli.label} not found")
        env = ({"PYTHONPATH": str(plugins)} if cli.python is not None
               else {"AWS_CONFIG_FILE": str(frozen_config)})
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
    assert f"+ cli_legacy_plugin_path = {redirect_directory(aws_home.root)}" in installed.stdout

    status = setup_on_path(aws_home, path, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"AWS CLI 2.36.7 at {V2_36.executable}: aws ecr2 loads;" in status.stdout
    assert "AWS CLI 2.9" not in status.stdout  # only what is on PATH

    password = aws_home.run(V2_36, "ecr2", "get-login-password", "--endpoint-url", moto_endpoint,
                            env={"PATH": path})
    assert (password.returncode, password.stdout) == (0, MOTO_PASSWORD + "\n"), password.stderr


def completer_of(cli) -> str:
    """Debian's v2 keeps its completer in /usr/libexec; pip-built CLIs and the official
    installer put it beside ``aws``."""
    if cli.executable == Path("/usr/bin/aws"):
        return "/usr/libexec/aws_completer"
    return str(cli.executable.with_name("aws_completer"))


def frozen_copy(cli: Cli, root: Path) -> Cli:
    """The frozen CLI laid out again under ``root`` as its installer lays it out (``bin/aws``
    and ``bin/aws_completer`` linked into ``lib/aws-cli``), hard links but for its own copy of
    the completion index: a test may write that index, never the build's."""
    require(cli.executable.exists(), f"AWS CLI {cli.label} not found at {cli.executable}")
    built = cli.executable.parent.parent
    root.mkdir(exist_ok=True)
    linked = subprocess.run(["cp", "-al", str(built / "lib"), str(root / "lib")],
                            capture_output=True, check=False)
    if linked.returncode != 0:  # on another filesystem than the build: copy it all (240 MB)
        shutil.rmtree(root / "lib", ignore_errors=True)
        subprocess.run(["cp", "-a", str(built / "lib"), str(root / "lib")], check=True)
    index = root / FROZEN_INDEX
    index.unlink()
    shutil.copy2(built / FROZEN_INDEX, index)
    (root / "bin").mkdir()
    for name in ("aws", "aws_completer"):
        (root / "bin" / name).symlink_to(Path("..") / "lib" / "aws-cli" / name)
    return replace(cli, executable=root / "bin" / "aws")


FROZEN_INDEX = Path("lib") / "aws-cli" / "awscli" / "data" / "ac.index"
V2_36_EXE = next(cli for cli in CLIS if cli.label == "v2.36-exe")


def complete(cli: Cli, env: dict[str, str], line: str) -> list[str]:
    """What the CLI's own completer offers for ``line``, as a shell's <TAB> asks it."""
    env = {**env, "COMP_LINE": line, "COMP_POINT": str(len(line))}
    done = subprocess.run([completer_of(cli)], capture_output=True, text=True, env=env,
                          check=False)
    return done.stdout.split()


def test_completion_lists_ecr2(aws_home, cli, tmp_path):
    """v1 completes plugins by itself; a v2 after `install --completion` rebuilt its index (a
    Python-run v2 with the CLI's generator, the frozen one through the plugin inside it),
    which `status` then reports. Only this CLI is on PATH, so only its index is rebuilt."""
    if cli.python is None:
        cli = frozen_copy(cli, tmp_path / "aws-cli")
    path = str(cli.executable.parent)
    if cli.major >= 2:
        before = setup_on_path(aws_home, path, "status")
        assert "the completion index does not include ecr2" in before.stdout
        installed = setup_on_path(aws_home, path, "install", "--cli", "both", "--completion")
        assert installed.returncode == 0, installed.stderr
        version = cli_version(cli)
        index = (tmp_path / "aws-cli" / FROZEN_INDEX if cli.python is None else
                 aws_home.root / ".aws" / "cli" / "cache" / f"{version}.index")
        assert f"Completion index written: {index}" in installed.stdout
        after = setup_on_path(aws_home, path, "status")
        assert (f"AWS CLI {version} at {cli.executable}: aws ecr2 loads; "
                "the completion index includes ecr2") in after.stdout
    else:
        assert setup_on_path(aws_home, path, "install", "--cli", "both").returncode == 0

    env = {**aws_home.env, "PATH": path}
    # v1 takes a complete word as the command and lists its subcommands: ask for "ec".
    assert "ecr2" in complete(cli, env, "aws ecr" if cli.major >= 2 else "aws ec")
    assert {"get-login-password", "get-login"} <= set(complete(cli, env, "aws ecr2 "))
    assert {"--registry", "--registry-ids", "--public"} <= set(
        complete(cli, env, "aws ecr2 get-login --"))


def cli_version(cli) -> str:
    shown = subprocess.run([str(cli.executable), "--version"], capture_output=True, text=True,
                           check=True, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    return (shown.stdout + shown.stderr).split()[0].split("/")[1]


def test_the_index_generator_runs_on_the_python_of_the_aws_script(tmp_path):
    from awscli_ecr_login_ext.setup.clis import AwsCli
    from awscli_ecr_login_ext.setup.completion import interpreter_of

    script = tmp_path / "aws"
    script.write_text("#!/usr/bin/env python3\nimport awscli.clidriver\n")
    assert interpreter_of(AwsCli(str(script), "2.36.7")) == ["/usr/bin/env", "python3"]
    script.write_text(f"#!{V2_36.python}\n")
    assert interpreter_of(AwsCli(str(script), "2.36.7")) == [str(V2_36.python)]
    script.write_bytes(b"\x7fELF\x02\x01\x01")  # the official installer's frozen binary
    assert interpreter_of(AwsCli(str(script), "2.36.7")) is None


# -- completion on the official installer's frozen v2 -------------------------------------------

ECR2_ROWS = {
    "commands": "SELECT command, parent, full_name FROM command_table WHERE (command = 'ecr2' "
                "AND parent = 'aws') OR parent LIKE 'aws.ecr2%' ORDER BY rowid",
    "params": "SELECT argname, type_name, command, parent, nargs, positional_arg, required "
              "FROM param_table WHERE (command = 'ecr2' AND parent = 'aws') "
              "OR parent LIKE 'aws.ecr2%' ORDER BY param_id",
}


def ecr2_rows(index: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True) as connection:
        return {table: connection.execute(query).fetchall() for table, query in ECR2_ROWS.items()}


def test_the_frozen_v2_writes_the_rows_the_generator_of_v2_36_writes(aws_home, tmp_path):
    """The frozen build has no generator: what the plugin writes in its stead is, row for row
    and in order, what the pip-built 2.36's own generator writes for ecr2."""
    require(V2_36.executable.exists(), f"AWS CLI {V2_36.label} not found")
    frozen = frozen_copy(V2_36_EXE, tmp_path / "aws-cli")
    generated = setup_on_path(aws_home, str(V2_36.executable.parent), "install", "--cli", "v2",
                              "--completion")
    assert generated.returncode == 0, generated.stderr
    # Another user: the same version's per-user index would be the one to write.
    other = AwsHome(tmp_path / "other-home", aws_home.plugin_config)
    written = setup_on_path(other, str(frozen.executable.parent), "install", "--completion")
    assert written.returncode == 0, written.stderr

    by_generator = ecr2_rows(aws_home.root / ".aws" / "cli" / "cache" / "2.36.7.index")
    by_plugin = ecr2_rows(tmp_path / "aws-cli" / FROZEN_INDEX)
    assert by_plugin == by_generator
    assert by_plugin["commands"][0] == ("ecr2", "aws",
                                        "Amazon ECR registry credentials for container clients")
    assert ("registry", "string", "get-login", "aws.ecr2", "+", "0", 0) in by_plugin["params"]
    assert ("list", "aws.ecr2.cache", None) in by_plugin["commands"]
    assert ecr2_rows(V2_36_EXE.executable.parent.parent / FROZEN_INDEX) == {
        "commands": [], "params": []}  # the build's own index: never written by a test


def test_the_frozen_v2_writes_the_per_user_index_that_shadows_its_own(aws_home, tmp_path):
    """With ~/.aws/cli/cache/<version>.index present, v2's completer reads only that one."""
    frozen = frozen_copy(V2_36_EXE, tmp_path / "aws-cli")
    own = tmp_path / "aws-cli" / FROZEN_INDEX
    per_user = aws_home.root / ".aws" / "cli" / "cache" / "2.36.7.index"
    per_user.parent.mkdir(parents=True)
    shutil.copy(own, per_user)
    path = str(frozen.executable.parent)
    installed = setup_on_path(aws_home, path, "install", "--completion")
    assert installed.returncode == 0, installed.stderr
    assert f"Completion index written: {per_user}" in installed.stdout
    assert ecr2_rows(own) == {"commands": [], "params": []}
    env = {**aws_home.env, "PATH": path}
    assert {"get-login-password", "configure-docker"} <= set(complete(frozen, env, "aws ecr2 "))

    again = setup_on_path(aws_home, path, "install", "--completion")
    assert again.returncode == 0, again.stderr
    assert f"AWS CLI 2.36.7 already includes ecr2: {per_user}" in again.stdout


def advice(status: subprocess.CompletedProcess, cli: Cli) -> str:
    """The command status advises for this CLI's completion index."""
    [line] = [line for line in status.stdout.splitlines()
              if line.startswith(f"AWS CLI 2.36.7 at {cli.executable}: ")]
    assert "aws ecr2 loads; the completion index does not include ecr2 (run: " in line, line
    return line.split("(run: ", 1)[1].removesuffix(")")


def test_status_advises_for_the_frozen_v2_a_command_that_works(aws_home, tmp_path):
    """Issue 14, finding 5: status told the frozen v2's user to run `install --completion`,
    which then failed. Run what it advises, on a PATH with nothing but that CLI and our tool."""
    frozen = frozen_copy(V2_36_EXE, tmp_path / "aws-cli")
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "awscli-ecr-login-ext").symlink_to(REPO / ".venv" / "bin" / "awscli-ecr-login-ext")
    path = os.pathsep.join([str(frozen.executable.parent), str(tools)])
    assert setup_on_path(aws_home, path, "install").returncode == 0

    advised = advice(setup_on_path(aws_home, path, "status"), frozen)
    assert advised == "awscli-ecr-login-ext install --completion"
    ran = subprocess.run(advised, shell=True, capture_output=True, text=True, check=False,
                         env={**aws_home.env, "PATH": path})
    assert ran.returncode == 0, ran.stderr
    assert "includes ecr2" in setup_on_path(aws_home, path, "status").stdout
    assert "get-login" in complete(frozen, {**aws_home.env, "PATH": path}, "aws ecr2 ")


NOBODY = 65534


def as_nobody(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}",
                           "--clear-groups", *argv], capture_output=True, text=True, env=env,
                          check=False,
                          timeout=300)


def test_a_root_owned_frozen_index_gets_one_line_saying_what_to_run():
    """The official installer in a root-owned /usr/local/aws-cli, set up by a user who is not
    root: install --completion writes nothing and prints one line; status advises the same
    command; that command, run as root (what its sudo does), puts ecr2 in the index."""
    require(os.geteuid() == 0, "playing a root-owned install and its user needs root")
    require(shutil.which("setpriv") and Path("/usr/bin/python3").exists(),
            "setpriv and /usr/bin/python3 are needed to run the installer as another user")
    with tempfile.TemporaryDirectory() as scratch:  # pytest's tmp_path is closed to others
        root = Path(scratch)
        root.chmod(0o755)
        frozen = frozen_copy(V2_36_EXE, root / "aws-cli")
        index = root / "aws-cli" / FROZEN_INDEX
        home = root / "home"
        home.mkdir()
        os.chown(home, NOBODY, NOBODY)
        config = home / ".aws" / "config"
        env = {**clean_environment(home), "PATH": str(frozen.executable.parent),
               "PYTHONPATH": str(REPO), "AWS_CONFIG_FILE": str(config)}
        setup = ["/usr/bin/python3", "-m", "awscli_ecr_login_ext"]
        before = index.read_bytes()

        installed = as_nobody([*setup, "install", "--completion"], env)
        assert installed.returncode == 1
        write = (f"sudo env AWS_CONFIG_FILE={config} {frozen.executable} ecr2 completion-index "
                 f"--index-file {index}")
        assert installed.stderr.splitlines() == [
            (f"awscli-ecr-login-ext: Cannot write the completion index of AWS CLI 2.36.7 "
             f"({index}); run: {write}")]
        assert index.read_bytes() == before
        assert not [p for p in index.parent.iterdir() if p.name.endswith(".tmp")]

        status = as_nobody([*setup, "status"], env)
        assert advice(status, frozen) == write
        by_hand = as_nobody([str(frozen.executable), "ecr2", "completion-index"], env)
        assert by_hand.returncode == 253
        assert f"run: {write}" in by_hand.stderr
        assert index.read_bytes() == before

        as_root = subprocess.run(shlex.split(write.removeprefix("sudo ")), capture_output=True,
                                 text=True, check=False,
                                 env=clean_environment(Path("/nonexistent")))
        assert as_root.returncode == 0, as_root.stderr
        assert json.loads(as_root.stdout)["Changed"] is True
        assert "the completion index includes ecr2" in as_nobody([*setup, "status"], env).stdout
        assert "completion-index" in complete(frozen, env, "aws ecr2 ")
