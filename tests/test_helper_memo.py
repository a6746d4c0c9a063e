"""docker-credential-ecr2's memo of what a warm ``get`` resolves (helper/hit.py): a hit skips
parsing the AWS files, yet sees every change of them and of the environment on the next get,
and never serves a token to a principal other than the one its inputs name now.

Each case runs the helper as docker does, beside every CLI of the suite (a miss runs that
CLI), against a fake ECR that issues ``token-for-<principal>`` to whoever's keys signed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLIS, REPO, beside, require
from tests.servers.fake_ecr import FakeEcr
from tests.test_registry_profiles_cli import KEYS, PRINCIPALS, REGION

HELPER = REPO / ".venv" / "bin" / "docker-credential-ecr2"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
MEMO = Path(".aws", "ecr2", "cache", "docker-credential-ecr2.memo")
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token"


def secret_of(user: str) -> str:
    return f"secret-of-{user}".ljust(24, "x")  # one length for every user: same-size rewrites


def credentials(**profiles: str) -> str:
    """A credentials file: {profile: user whose keys it holds}."""
    return "".join(f"[{name}]\naws_access_key_id = {KEYS[user]}\n"
                   f"aws_secret_access_key = {secret_of(user)}\n\n"
                   for name, user in profiles.items())


class Helper:
    """The helper in one throwaway HOME, beside one CLI, against one fake ECR."""

    def __init__(self, aws_home, cli, ecr: FakeEcr) -> None:
        self.home, self.ecr = aws_home, ecr
        self.env = beside(cli, {**aws_home.env, **ecr.proxy_env()})
        if cli.configured_endpoints:  # v2.9 reaches ECR's real host, through the proxy
            self.env["AWS_ENDPOINT_URL_ECR"] = ecr.url
        aws_home.write_config(f"[default]\nregion = {REGION}\n")
        aws_home.credentials_file.write_text(
            credentials(default="tools-user", tools="tools-user", prod="prod-user"))

    def run(self, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(HELPER), "get"], input=REGISTRY, capture_output=True,
                                text=True, env={**self.env, **env}, timeout=180, check=False)
        assert "Traceback" not in result.stderr
        return result

    def get(self, **env: str) -> tuple[str, int]:
        """(the principal whose token came back, ECR requests it made)."""
        before = len(self.ecr.requests)
        result = self.run(**env)
        assert result.returncode == 0, result.stdout + result.stderr
        secret = json.loads(result.stdout)["Secret"]
        assert secret.startswith("token-for-"), secret
        return secret.removeprefix("token-for-"), len(self.ecr.requests) - before

    @property
    def memo(self) -> Path:
        return self.home.root / MEMO


@pytest.fixture
def helper(aws_home, cli, tmp_path):
    require(HELPER.exists(), f"{HELPER} not installed (pip install -e .)")
    require(cli.executable.exists(), f"AWS CLI {cli} not found at {cli.executable}")
    ecr = FakeEcr(principals=PRINCIPALS)
    ecr.enable_proxy(tmp_path / "ca")
    with ecr:
        yield Helper(aws_home, cli, ecr)


def rewrite_in_place(path: Path, text: str) -> None:
    """Replace ``path``'s content through the same inode and put its times back, as tools
    that restore mtimes (and file systems with coarse timestamps) leave it."""
    before = path.stat()
    with open(path, "r+b") as f:
        f.write(text.encode())
        f.truncate()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_warm_get_is_served_from_the_memo(helper):
    assert helper.get() == ("tools-user", 1)
    assert helper.get() == ("tools-user", 0)
    assert helper.memo.is_file()


def test_keys_rewritten_in_place_same_size_mtime_put_back_are_seen(helper):
    assert helper.get() == ("tools-user", 1)
    assert helper.get() == ("tools-user", 0)
    path = helper.home.credentials_file
    size = path.stat().st_size
    rewrite_in_place(path, credentials(default="prod-user", tools="tools-user", prod="prod-user"))
    assert path.stat().st_size == size
    assert helper.get() == ("prod-user", 1)
    assert helper.get() == ("prod-user", 0)


def test_a_config_edit_in_the_same_second_is_seen(helper):
    assert helper.get() == ("tools-user", 1)
    assert helper.get() == ("tools-user", 0)
    # The registry now signed by another profile; the mtime is the earlier write's.
    rewrite_in_place(helper.home.config_file,
                     f"[default]\nregion = {REGION}\n"
                     f"ecr2_registry_profiles =\n    {REGISTRY} = prod\n\n"
                     + helper.home.plugin_config)
    assert helper.get() == ("prod-user", 1)
    assert helper.get() == ("prod-user", 0)


def other_files(helper: Helper, tmp_path: Path) -> dict[str, dict[str, str]]:
    config = tmp_path / "other-config"
    config.write_text(f"[default]\nregion = {REGION}\n"
                      f"ecr2_registry_profiles =\n    {REGISTRY} = prod\n\n"
                      + helper.home.plugin_config)
    keys = tmp_path / "other-credentials"
    keys.write_text(credentials(default="prod-user"))
    return {
        "AWS_PROFILE": {"AWS_PROFILE": "prod"},
        "AWS_DEFAULT_PROFILE": {"AWS_DEFAULT_PROFILE": "prod"},
        "AWS_CONFIG_FILE": {"AWS_CONFIG_FILE": str(config)},
        "AWS_SHARED_CREDENTIALS_FILE": {"AWS_SHARED_CREDENTIALS_FILE": str(keys)},
        "env keys": {"AWS_ACCESS_KEY_ID": KEYS["prod-user"],
                     "AWS_SECRET_ACCESS_KEY": secret_of("prod-user"),
                     "AWS_SESSION_TOKEN": SESSION_TOKEN},
    }


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                                      "AWS_SHARED_CREDENTIALS_FILE", "env keys"])
def test_each_environment_input_counts_on_every_get(helper, tmp_path, variable):
    changed = other_files(helper, tmp_path)[variable]
    assert helper.get() == ("tools-user", 1)
    assert helper.get() == ("tools-user", 0)
    assert helper.get(**changed) == ("prod-user", 1)
    assert helper.get(**changed) == ("prod-user", 0)
    assert helper.get() == ("tools-user", 0)  # back: the first principal's entry, no call


def test_environment_keys_replaced_between_gets_are_never_served_the_old_token(helper):
    tools = {"AWS_ACCESS_KEY_ID": KEYS["tools-user"], "AWS_SECRET_ACCESS_KEY": "s" * 24}
    prod = {"AWS_ACCESS_KEY_ID": KEYS["prod-user"], "AWS_SECRET_ACCESS_KEY": "s" * 24}
    assert helper.get(**tools) == ("tools-user", 1)
    assert helper.get(**tools) == ("tools-user", 0)
    assert helper.get(**prod) == ("prod-user", 1)
    assert helper.get(**tools) == ("tools-user", 0)


def test_the_credential_helper_switching_profile_variables_never_crosses(helper):
    """AWS_PROFILE set, then AWS_DEFAULT_PROFILE alone, then neither, in one HOME."""
    assert helper.get(AWS_PROFILE="prod") == ("prod-user", 1)
    assert helper.get(AWS_DEFAULT_PROFILE="prod") == ("prod-user", 0)
    assert helper.get(AWS_PROFILE="tools") == ("tools-user", 1)
    assert helper.get() == ("tools-user", 0)
    assert helper.get(AWS_PROFILE="prod") == ("prod-user", 0)


# -- the memo file itself (one CLI: what is tested is the file, not the CLI) ----------------

V1 = [CLIS[0]]


@pytest.mark.parametrize("cli", V1, ids=str)
def test_the_memo_is_private_and_holds_no_secret(helper):
    env_keys = {"AWS_ACCESS_KEY_ID": KEYS["prod-user"],
                "AWS_SECRET_ACCESS_KEY": secret_of("prod-user"),
                "AWS_SESSION_TOKEN": SESSION_TOKEN}
    assert helper.get() == ("tools-user", 1)
    assert helper.get(**env_keys) == ("prod-user", 1)
    st = helper.memo.lstat()
    assert stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(helper.memo.parent.stat().st_mode) == 0o700
    text = helper.memo.read_text()
    tokens = [json.loads(entry.read_text())["token"]
              for entry in helper.memo.parent.glob("*.json")]
    assert len(tokens) == 2
    for secret in (secret_of("tools-user"), secret_of("prod-user"), SESSION_TOKEN,
                   KEYS["tools-user"], KEYS["prod-user"], "token-for-", *tokens):
        assert secret not in text
    assert len(json.loads(text)["entries"]) == 2


@pytest.mark.parametrize("cli", V1, ids=str)
@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'{"version": 1}',
                                     b'{"version": 1, "salt": "' + b"0" * 32 + b'", "entries": '
                                     b'[{"server": 1}]}', b"\xff" * 100])
def test_a_malformed_memo_is_rebuilt_not_trusted(helper, content):
    assert helper.get() == ("tools-user", 1)
    helper.memo.write_bytes(content)
    assert helper.get() == ("tools-user", 0)
    assert json.loads(helper.memo.read_text())["entries"]  # written anew
    assert helper.get() == ("tools-user", 0)


@pytest.mark.parametrize("cli", V1, ids=str)
def test_a_memo_from_another_environment_does_not_match(helper, tmp_path):
    """The memo written for AWS_PROFILE=prod, then the credentials file replaced: the old
    entry's digest no longer matches and the new principal's token is fetched."""
    assert helper.get(AWS_PROFILE="prod") == ("prod-user", 1)
    helper.home.credentials_file.write_text(credentials(prod="tools-user"))
    assert helper.get(AWS_PROFILE="prod") == ("tools-user", 1)


@pytest.mark.parametrize("cli", V1, ids=str)
def test_a_symlinked_memo_is_refused_and_replaced(helper, tmp_path):
    assert helper.get() == ("tools-user", 1)
    elsewhere = tmp_path / "planted-memo"
    elsewhere.write_bytes(helper.memo.read_bytes())
    elsewhere.chmod(0o600)
    helper.memo.unlink()
    helper.memo.symlink_to(elsewhere)
    planted = elsewhere.read_bytes()
    assert helper.get() == ("tools-user", 0)
    assert not helper.memo.is_symlink() and helper.memo.is_file()
    assert elsewhere.read_bytes() == planted  # written beside, never through the link


@pytest.mark.parametrize("cli", V1, ids=str)
def test_a_memo_open_to_others_is_refused_and_replaced(helper):
    assert helper.get() == ("tools-user", 1)
    helper.memo.chmod(0o644)
    assert helper.get() == ("tools-user", 0)
    assert stat.S_IMODE(helper.memo.stat().st_mode) == 0o600


@pytest.mark.parametrize("cli", V1, ids=str)
def test_an_unsafe_cache_directory_is_one_line_and_no_matter_without_the_cache(helper):
    assert helper.get() == ("tools-user", 1)
    helper.memo.parent.chmod(0o777)
    result = helper.run()
    assert result.returncode == 1
    assert result.stdout == result.stderr and result.stderr.count("\n") == 1
    assert "Refusing to use the token cache directory" in result.stderr
    assert helper.get(AWS_ECR2_NO_CACHE="1") == ("tools-user", 1)


PROBE = """
import sys
from awscli_ecr_login_ext.helper.protocol import main
code = main(["get"])
sys.stderr.write("\\nMODULES" + repr(sorted(sys.modules)))
sys.exit(code)
"""
PARSING = ("awscli_ecr_login_ext.helper.settings", "awscli_ecr_login_ext.identity.chain",
           "awscli_ecr_login_ext.core.selection", "awscli_ecr_login_ext.core.atomic", "json",
           "re")


@pytest.mark.parametrize("cli", V1, ids=str)
def test_a_memo_hit_neither_parses_the_files_nor_writes(helper):
    import ast

    assert helper.get() == ("tools-user", 1)
    result = subprocess.run([sys.executable, "-S", "-c", PROBE], input=REGISTRY.encode(),
                            capture_output=True, env={**helper.env, "PYTHONPATH": str(REPO)},
                            check=False)
    assert result.returncode == 0, result.stderr
    modules = ast.literal_eval(result.stderr.decode().split("MODULES", 1)[1])
    assert [m for m in PARSING if m in modules] == []


# -- the files besides the shared two (in process: the digest, not the chain) ---------------


def test_a_web_identity_token_file_named_by_the_config_is_an_input(tmp_path):
    from awscli_ecr_login_ext.helper.hit import Inputs

    token = tmp_path / "token"
    token.write_text("one")
    config = tmp_path / "config"
    config.write_text(f"[profile web]\nrole_arn = arn:aws:iam::1:role/r\n"
                      f"web_identity_token_file = {token}\n")
    env = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(config),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_ECR2_CACHE_DIR": str(tmp_path / "cache"), "BOTO_CONFIG": str(tmp_path / "b")}
    first = Inputs(env)
    side = first.side_files()
    assert side == sorted([str(token), str(tmp_path / "b")])

    def digest() -> str:
        inputs = Inputs(env)
        inputs.salt = first.salt
        return inputs.digest(["AWS_PROFILE"], side)

    before = digest()
    assert digest() == before
    token.write_text("two")  # same size
    assert digest() != before
