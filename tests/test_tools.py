"""Tests for the login tool table: command lines, lookup, masking, and running a fake tool."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.cli import tools
from awscli_ecr_login_ext.cli.tools import (
    DEFAULT_TOOL_ORDER,
    TOOLS,
    LoginTool,
    ToolError,
    find_tool,
    format_command,
    mask,
    run_login,
)
from awscli_ecr_login_ext.core.errors import Ecr2Error
from tests.conftest import require, shebang_python

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "eyJwYXlsb2FkIjoiczNjcmV0LXRva2VuIn0="  # shaped like an ECR password

EXPECTED_ARGV = {
    "docker": ["docker", "login", "--username", "AWS", "--password-stdin", HOST],
    "podman": ["podman", "login", "--username", "AWS", "--password-stdin", HOST],
    "buildah": ["buildah", "login", "--username", "AWS", "--password-stdin", HOST],
    "skopeo": ["skopeo", "login", "--username", "AWS", "--password-stdin", HOST],
    "nerdctl": ["nerdctl", "login", "--username", "AWS", "--password-stdin", HOST],
    "finch": ["finch", "login", "--username", "AWS", "--password-stdin", HOST],
    "helm": ["helm", "registry", "login", "--username", "AWS", "--password-stdin", HOST],
    "oras": ["oras", "login", "--username", "AWS", "--password-stdin", HOST],
    "crane": ["crane", "auth", "login", HOST, "--username", "AWS", "--password-stdin"],
}


# -- the table ------------------------------------------------------------------


def test_table_order_and_names() -> None:
    assert list(TOOLS) == list(EXPECTED_ARGV)
    for name, tool in TOOLS.items():
        assert tool.name == name
        assert tool.executable == name
    assert DEFAULT_TOOL_ORDER == ("docker", "podman", "nerdctl", "finch")
    assert all(name in TOOLS for name in DEFAULT_TOOL_ORDER)


@pytest.mark.parametrize("name", list(EXPECTED_ARGV))
def test_argv_shape(name: str) -> None:
    assert TOOLS[name].argv(HOST) == EXPECTED_ARGV[name]
    assert TOOLS[name].argv(HOST, username="AWS") == EXPECTED_ARGV[name]


@pytest.mark.parametrize("name", list(EXPECTED_ARGV))
def test_argv_reads_the_password_from_stdin_only(name: str) -> None:
    argv = TOOLS[name].argv(HOST, "someone")
    assert argv.count("--password-stdin") == 1
    assert not any(arg in ("-p", "--password") or arg.startswith("--password=") for arg in argv)
    assert argv[argv.index("--username") + 1] == "someone"
    assert argv.count(HOST) == 1


def test_argv_is_a_fresh_list() -> None:
    first = TOOLS["docker"].argv(HOST)
    first.append("--oops")
    assert TOOLS["docker"].argv(HOST) == EXPECTED_ARGV["docker"]


def test_argv_substitutes_whole_arguments_only() -> None:
    tool = LoginTool("x", "x", ("login", "{registry}", "pre{registry}", "{username}"))
    assert tool.argv("{username}", "{registry}") == [
        "x",
        "login",
        "{username}",
        "pre{registry}",
        "{registry}",
    ]


@pytest.mark.parametrize(
    "registry", ["", "-h", "--password=x", "host name", "host\nname", "host\tname", "a\x00b"]
)
def test_argv_rejects_registries_that_are_not_hosts(registry: str) -> None:
    with pytest.raises(ToolError):
        TOOLS["docker"].argv(registry)


@pytest.mark.parametrize("username", ["", "-u", "A WS", "AWS\n"])
def test_argv_rejects_bad_usernames(username: str) -> None:
    with pytest.raises(ToolError):
        TOOLS["crane"].argv(HOST, username)


def test_argv_accepts_registry_urls_and_ports() -> None:
    assert TOOLS["docker"].argv("127.0.0.1:5000")[-1] == "127.0.0.1:5000"
    assert TOOLS["helm"].argv(f"https://{HOST}")[-1] == f"https://{HOST}"


def test_tool_error_is_one_line_and_ours() -> None:
    error = ToolError("first line\nsecond   line\n")
    assert str(error) == "first line second line"
    assert isinstance(error, Ecr2Error)


# -- format_command (dry run) ---------------------------------------------------


def test_format_command_dry_run() -> None:
    assert (
        format_command(TOOLS["docker"].argv(HOST))
        == f"docker login --username AWS --password-stdin {HOST}"
    )
    assert (
        format_command(TOOLS["crane"].argv(HOST))
        == f"crane auth login {HOST} --username AWS --password-stdin"
    )


def test_format_command_quotes_for_the_shell() -> None:
    argv = ["/opt/my tools/docker", "login", "--username", "it's", "--password-stdin", HOST]
    assert format_command(argv) == (
        "'/opt/my tools/docker' login --username 'it'\"'\"'s' --password-stdin " + HOST
    )
    assert format_command(tuple(argv)) == format_command(argv)


# -- find_tool --------------------------------------------------------------------


def make_executable(directory: Path, name: str, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(body, encoding="utf-8")
    path.chmod(0o755)
    return path


def test_find_tool_default_order(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    for name in ("finch", "nerdctl", "podman"):
        make_executable(bin_dir, name)
    tool, exe = find_tool(None, path=str(bin_dir))
    assert tool is TOOLS["podman"]
    assert exe == str(bin_dir / "podman")

    make_executable(bin_dir, "docker")
    tool, exe = find_tool(None, path=str(bin_dir))
    assert (tool.name, exe) == ("docker", str(bin_dir / "docker"))


def test_find_tool_default_order_across_path_entries(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    make_executable(first, "finch")
    make_executable(second, "nerdctl")
    # Tool preference wins over PATH order.
    tool, exe = find_tool(None, path=os.pathsep.join([str(first), str(second)]))
    assert (tool.name, exe) == ("nerdctl", str(second / "nerdctl"))


def test_find_tool_default_ignores_non_default_tools(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    for name in ("skopeo", "buildah", "helm", "oras", "crane"):
        make_executable(bin_dir, name)
    with pytest.raises(ToolError) as info:
        find_tool(None, path=str(bin_dir))
    message = str(info.value)
    assert "docker, podman, nerdctl, finch" in message
    assert "--tool" in message
    assert "\n" not in message


def test_find_tool_named(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_executable(bin_dir, "docker")
    make_executable(bin_dir, "crane")
    assert find_tool("crane", path=str(bin_dir)) == (TOOLS["crane"], str(bin_dir / "crane"))
    assert find_tool(" Docker ", path=str(bin_dir))[0] is TOOLS["docker"]


def test_find_tool_named_but_missing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_executable(bin_dir, "docker")
    with pytest.raises(ToolError) as info:
        find_tool("podman", path=str(bin_dir))
    assert str(info.value) == "podman was not found on PATH; install it or choose another --tool"


def test_find_tool_skips_files_that_are_not_executable(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text("not executable", encoding="utf-8")
    make_executable(bin_dir, "finch")
    assert find_tool(None, path=str(bin_dir))[0] is TOOLS["finch"]
    with pytest.raises(ToolError, match="^docker was not found on PATH"):
        find_tool("docker", path=str(bin_dir))


def test_find_tool_unknown_name_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ToolError) as info:
        find_tool("dockr", path=str(tmp_path))
    message = str(info.value)
    assert "'dockr'" in message
    assert message.endswith(", ".join(TOOLS))


def test_find_tool_uses_PATH_by_default_and_returns_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_executable(tmp_path / "rel", "oras")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "rel")
    tool, exe = find_tool("oras")
    assert tool is TOOLS["oras"]
    assert exe == str(tmp_path / "rel" / "oras")
    assert os.path.isabs(exe)


def test_find_tool_empty_path(tmp_path: Path) -> None:
    with pytest.raises(ToolError):
        find_tool(None, path="")


# -- mask -----------------------------------------------------------------------------


def test_mask_replaces_every_occurrence() -> None:
    assert mask(f"a {PASSWORD} b {PASSWORD}", PASSWORD) == "a **** b ****"


def test_mask_base64_forms() -> None:
    auth = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    plain = base64.b64encode(PASSWORD.encode()).decode()
    urlsafe = base64.urlsafe_b64encode(f"AWS:{PASSWORD}".encode()).decode().rstrip("=")
    text = f'{{"auth": "{auth}"}} {plain} {urlsafe}'
    assert mask(text, PASSWORD) == '{"auth": "****"} **** ****'


def test_mask_url_encoded_form() -> None:
    secret = "a+b/c=d"
    assert mask("token=a%2Bb%2Fc%3Dd&x=1", secret) == "token=****&x=1"


def test_mask_empty_secret_or_text() -> None:
    assert mask("nothing to hide", "") == "nothing to hide"
    assert mask("", PASSWORD) == ""


def test_mask_secret_made_of_stars_does_not_hang() -> None:
    assert mask("a ** b", "**") == "a ** b"
    assert mask("xa**", "a*") == "x*****"  # "a*" -> "****", the last "*" stays


@given(text=st.text(), secret=st.text(min_size=1))
def test_mask_never_leaves_the_secret(text: str, secret: str) -> None:
    embedded = f"{text}{secret}{text}{secret}"
    masked = mask(embedded, secret)
    if secret.strip("*"):
        assert secret not in masked
    assert mask(masked, secret) == masked


@given(
    text=st.text(alphabet=" :!\n"),
    secret=st.text(alphabet="abcXYZ019", min_size=1),
)
def test_mask_leaves_unrelated_text_alone(text: str, secret: str) -> None:
    assert mask(text, secret) == text


# -- run_login with a fake tool ------------------------------------------------------

FAKE_TOOL = """\
#!{python}
import json, os, sys
record = {record!r}
os.makedirs(record, exist_ok=True)
data = sys.stdin.buffer.read()
with open(os.path.join(record, "stdin.bin"), "wb") as f:
    f.write(data)
with open(os.path.join(record, "argv.json"), "w") as f:
    json.dump(sys.argv, f)
with open(os.path.join(record, "env.json"), "w") as f:
    json.dump(dict(os.environ), f)
mode = {mode!r}
password = data.decode().rstrip("\\n")
if mode == "ok":
    print("Login Succeeded")
    sys.exit(0)
if mode == "echo":
    import base64
    auth = base64.b64encode(("AWS:" + password).encode()).decode()
    print("trying with " + password, flush=True)
    sys.stderr.write("Error: invalid password " + password + " (auth " + auth + ")\\n")
    sys.exit(3)
if mode == "sleep":
    import time
    time.sleep(30)
"""


class FakeTool:
    def __init__(self, root: Path, name: str, mode: str = "ok") -> None:
        self.bin_dir = root / "bin"
        self.record = root / "record"
        python = shebang_python()
        self.path = make_executable(
            self.bin_dir, name, FAKE_TOOL.format(python=python, record=str(self.record), mode=mode)
        )

    @property
    def stdin(self) -> bytes:
        return (self.record / "stdin.bin").read_bytes()

    @property
    def argv(self) -> list[str]:
        return json.loads((self.record / "argv.json").read_text(encoding="utf-8"))

    @property
    def env(self) -> dict[str, str]:
        return json.loads((self.record / "env.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(EXPECTED_ARGV))
def test_run_login_passes_the_password_on_stdin_only(name: str, tmp_path: Path) -> None:
    fake = FakeTool(tmp_path, name)
    tool, exe = find_tool(name, path=str(fake.bin_dir))
    env = {"PATH": str(fake.bin_dir), "KEEP_ME": "1"}

    result = run_login(tool, exe, HOST, PASSWORD, env=env)

    assert result.ok is True
    assert result.returncode == 0
    assert result.output == "Login Succeeded\n"
    assert fake.stdin == (PASSWORD + "\n").encode()
    assert fake.argv == [str(fake.path)] + EXPECTED_ARGV[name][1:]
    assert list(result.argv) == fake.argv
    assert not any(PASSWORD in arg for arg in fake.argv)
    assert fake.env.get("KEEP_ME") == "1"
    assert not any(PASSWORD in key or PASSWORD in value for key, value in fake.env.items())


def test_run_login_custom_username(tmp_path: Path) -> None:
    fake = FakeTool(tmp_path, "docker")
    result = run_login(TOOLS["docker"], str(fake.path), "127.0.0.1:5000", "pw", username="bob")
    assert result.ok
    assert fake.argv[1:] == ["login", "--username", "bob", "--password-stdin", "127.0.0.1:5000"]
    assert fake.stdin == b"pw\n"


def test_run_login_drops_environment_variables_holding_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTool(tmp_path, "podman")
    monkeypatch.setenv("ECR_PASSWORD", PASSWORD)
    monkeypatch.setenv("INHERITED_MARKER", "yes")

    result = run_login(TOOLS["podman"], str(fake.path), HOST, PASSWORD)  # env=None: inherit

    assert result.ok
    assert fake.env.get("INHERITED_MARKER") == "yes"
    assert "ECR_PASSWORD" not in fake.env
    assert not any(PASSWORD in value for value in fake.env.values())
    assert os.environ["ECR_PASSWORD"] == PASSWORD  # the caller's environment is untouched


def test_run_login_failure_output_is_masked(tmp_path: Path) -> None:
    fake = FakeTool(tmp_path, "docker", mode="echo")

    result = run_login(TOOLS["docker"], str(fake.path), HOST, PASSWORD, env={})

    assert result.ok is False
    assert result.returncode == 3
    assert "trying with ****" in result.output  # stdout
    assert "Error: invalid password **** (auth ****)" in result.output  # stderr
    assert PASSWORD not in result.output
    assert base64.b64encode(f"AWS:{PASSWORD}".encode()).decode() not in result.output
    assert fake.stdin == (PASSWORD + "\n").encode()


def test_run_login_missing_executable(tmp_path: Path) -> None:
    # The path itself holds the password, so the message must come back masked.
    missing = tmp_path / PASSWORD / "docker"
    result = run_login(TOOLS["docker"], str(missing), HOST, PASSWORD, env={})
    assert result.ok is False
    assert result.returncode == 127
    assert result.output.startswith("could not run docker login (")
    assert "No such file or directory" in result.output
    assert PASSWORD not in result.output
    assert "****" in result.output
    assert "\n" not in result.output


def test_run_login_not_executable(tmp_path: Path) -> None:
    path = tmp_path / "podman"
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    require(not os.access(path, os.X_OK), "cannot make a file non-executable here")
    result = run_login(TOOLS["podman"], str(path), HOST, PASSWORD, env={})
    assert (result.ok, result.returncode) == (False, 126)
    assert "could not run podman login" in result.output


def test_run_login_bad_executable_format(tmp_path: Path) -> None:
    path = tmp_path / "docker"
    path.write_bytes(b"\x7fELF garbage")
    path.chmod(0o755)
    result = run_login(TOOLS["docker"], str(path), HOST, PASSWORD, env={})
    assert (result.ok, result.returncode) == (False, 126)
    assert "could not run docker login" in result.output


def test_run_login_timeout(tmp_path: Path) -> None:
    # tests/test_helm.py stops the real helm the same way.
    fake = FakeTool(tmp_path, "crane", mode="sleep")
    result = run_login(TOOLS["crane"], str(fake.path), HOST, PASSWORD, env={}, timeout=0.5)
    assert (result.ok, result.returncode) == (False, 124)
    assert "crane login did not finish within 0.5 seconds" in result.output


@pytest.mark.parametrize("password", ["", "two\nlines", "cr\r"])
def test_run_login_rejects_unusable_passwords(password: str, tmp_path: Path) -> None:
    fake = FakeTool(tmp_path, "docker")
    with pytest.raises(ToolError):
        run_login(TOOLS["docker"], str(fake.path), HOST, password, env={})
    assert not fake.record.exists()  # the tool never ran


def test_run_login_rejects_bad_registry_before_running(tmp_path: Path) -> None:
    fake = FakeTool(tmp_path, "docker")
    with pytest.raises(ToolError):
        run_login(TOOLS["docker"], str(fake.path), "--password=x", PASSWORD, env={})
    assert not fake.record.exists()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    password=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        min_size=1,
        max_size=300,
    )
)
def test_run_login_stdin_is_exactly_password_and_newline(tmp_path: Path, password: str) -> None:
    fake = FakeTool(tmp_path, "docker")
    result = run_login(TOOLS["docker"], str(fake.path), HOST, password, env={})
    assert result.ok
    assert fake.stdin == password.encode("utf-8") + b"\n"


def test_module_imports_nothing_from_the_aws_cli() -> None:
    code = (
        "import sys, awscli_ecr_login_ext.cli.tools; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('awscli', 'botocore', 'boto3', 'dateutil')))"
    )
    root = str(Path(tools.__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
