from __future__ import annotations

import configparser
import copy
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.identity.aws_files import expand_user, parse_plain_ini, read_ini
from awscli_ecr_login_ext.identity.principal import Identity, canonical_json, sha256
from tests.conftest import REPO, identity_from_environment

AKID = "AKIAIOSFODNN7EXAMPLE"


def _home(tmp_path, config: str | None = None, credentials: str | None = None) -> dict:
    aws = tmp_path / ".aws"
    aws.mkdir(exist_ok=True)
    if config is not None:
        (aws / "config").write_text(config)
    if credentials is not None:
        (aws / "credentials").write_text(credentials)
    return {"HOME": str(tmp_path)}


def test_env_access_key_is_hashed():
    ident = identity_from_environment({"AWS_ACCESS_KEY_ID": AKID, "HOME": "/nonexistent"})
    digest = hashlib.sha256(AKID.encode()).hexdigest()
    assert ident.label == "env:" + digest[:8]
    assert ident.key.startswith("env:")
    assert AKID not in ident.key and AKID not in ident.label


def test_env_keys_beat_aws_profile_but_not_explicit_profile(tmp_path):
    environ = _home(tmp_path, config=f"[profile dev]\naws_access_key_id = {AKID}\n")
    environ.update(AWS_ACCESS_KEY_ID="AKIAOTHEREXAMPLE", AWS_PROFILE="dev")
    assert identity_from_environment(environ).key.startswith("env:")
    explicit = identity_from_environment(environ, profile="dev")
    assert explicit.label == "profile:dev"
    assert explicit.key.startswith("config-file:")
    assert AKID not in explicit.key


def test_empty_access_key_is_not_env(tmp_path):
    environ = _home(tmp_path, credentials=f"[default]\naws_access_key_id = {AKID}\n")
    environ["AWS_ACCESS_KEY_ID"] = ""
    assert identity_from_environment(environ).label == "profile:default"


def test_profiles_are_read_from_the_files_the_environment_names(tmp_path):
    (tmp_path / "c1").write_text(f"[profile dev]\naws_access_key_id = {AKID}\n")
    env = {"HOME": str(tmp_path)}
    tilde = identity_from_environment({**env, "AWS_CONFIG_FILE": "~/c1"}, "dev")
    assert tilde == identity_from_environment({**env, "AWS_CONFIG_FILE": str(tmp_path / "c1")},
                                              "dev")
    assert tilde.key.startswith("config-file:")
    creds = identity_from_environment(
        {**env, "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c1")}, "profile dev")
    assert creds.key.startswith("shared-credentials-file:")


def test_home_comes_from_given_environ(tmp_path):
    for name, akid in (("h1", AKID), ("h2", "AKIAOTHEREXAMPLE")):
        (tmp_path / name).mkdir()
        _home(tmp_path / name, credentials=f"[default]\naws_access_key_id = {akid}\n")
    one = identity_from_environment({"HOME": str(tmp_path / "h1")})
    two = identity_from_environment({"HOME": str(tmp_path / "h2")})
    assert one.key != two.key
    assert expand_user("~/x", {"HOME": "/home/u/"}) == "/home/u/x"
    assert expand_user("/abs/~", {"HOME": "/home/u"}) == "/abs/~"


def test_missing_unreadable_and_malformed_files_are_empty(tmp_path):
    environ = {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    empty = identity_from_environment({**environ, **_home(tmp_path, config="", credentials="")},
                                      "dev")
    assert empty.label == "no credentials"
    malformed = "no section header\n[profile dev\n= =\n"
    _home(tmp_path, config=malformed)
    assert identity_from_environment(environ, "dev") == empty
    (tmp_path / ".aws" / "config").unlink()
    (tmp_path / ".aws" / "config").mkdir()  # a directory where the file should be
    assert identity_from_environment(environ, "dev") == empty


_INI_LINES = st.one_of(
    st.sampled_from(
        [
            "[default]",
            "[DEFAULT]",
            "[profile dev]",
            "[profile  'dev']",
            "[dev]",
            "[sso-session corp]",
            "sso_session = corp",
            "role_arn = arn:aws:iam::1:role/x",
            "aws_access_key_id = AKIA",
            "aws_session_token = %(x)s",
            "s3 =",
            "  max_concurrent_requests = 10",
            "=",
            "[",
            "]",
            "",
        ]
    ),
    st.text(max_size=40),
)
_INI_FILES = st.one_of(
    st.lists(_INI_LINES, max_size=15).map("\n".join).map(lambda s: s.encode("utf-8", "replace")),
    st.binary(max_size=300),
)


@settings(max_examples=300, deadline=None)
@given(config=_INI_FILES, credentials=_INI_FILES, profile=st.sampled_from([None, "dev", "x y"]))
def test_arbitrary_ini_contents_never_raise(config, credentials, profile):
    with tempfile.TemporaryDirectory() as home:
        os.mkdir(os.path.join(home, ".aws"))
        with open(os.path.join(home, ".aws", "config"), "wb") as f:
            f.write(config)
        with open(os.path.join(home, ".aws", "credentials"), "wb") as f:
            f.write(credentials)
        ident = identity_from_environment({"HOME": home}, profile)
        assert ident.key and ident.label


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_CONFIG_FILE",
                "AWS_SHARED_CREDENTIALS_FILE",
                "AWS_ACCESS_KEY_ID",
                "AWS_ROLE_ARN",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "HOME",
            ]
        ),
        # any code point, lone surrogates included (os.environ can carry them on POSIX)
        st.text(st.characters(exclude_categories=()), max_size=30),
    )
)
def test_arbitrary_environment_never_raises(environ):
    ident = identity_from_environment(environ, major=2)
    assert ident.key and ident.label


def test_lone_surrogates_do_not_raise(tmp_path):
    assert identity_from_environment({"AWS_ACCESS_KEY_ID": "\ud800"}).key.startswith("env:")
    environ = {**_home(tmp_path), "AWS_PROFILE": "\ud800"}
    (tmp_path / ".aws" / "config").write_bytes(b"[profile \xff]\nrole_arn = \xfe\n")
    assert identity_from_environment(environ).key
    assert identity_from_environment(environ, profile="\udcff").key


# -- what the credential helper's start-up avoids, checked against what it replaces -------------


def test_keys_are_pinned():
    """Changing how a key is computed orphans every cached token, and a CLI and a helper of
    different versions would stop sharing entries: do it only on purpose (KEY_VERSION)."""
    from awscli_ecr_login_ext.identity.chain import Chain

    env = Chain({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE\ud800\u00e9"}, {}).resolve("default")
    assert env.identity.key == (
        "env:10d30fa1c8c232537adec01d55220eeefd4d9f8894d2892604617d9b415f450f")
    profiles = {"dev": {"role_arn": "arn:aws:iam::123456789012:role/R", "source_profile": "base"},
                "base": {"aws_access_key_id": "AKIAEXAMPLE"}}
    role = Chain({}, profiles, explicit=True).resolve("dev")
    assert role.identity.key == (
        "assume-role:73fd077c73c9b41ef5cf5c4d026f90664c73c8d40c8aa30f8dc7b33277ddc139")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=())),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(exclude_categories=()), max_size=5), children,
                      max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(st.one_of(JSONISH, st.floats(), st.tuples(st.integers(), st.text())))
def test_canonical_json_is_json_dumps(value):
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def test_canonical_json_leaves_other_values_to_json_dumps():
    def dumps(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    for value in ({1: "int key"}, [1.5, float("nan")], {"a": (1, "x")}):
        assert canonical_json(value) == dumps(value)
    for value in ({1: "int key", "a": None}, {"x": {1, 2}}, object()):
        with pytest.raises(TypeError):
            dumps(value)
        with pytest.raises(TypeError):
            canonical_json(value)


@given(st.binary(max_size=300))
def test_sha256_is_hashlibs(data):
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


# Lines of the files AWS tools write and read, and of what trips INI readers up: indentation
# and blanks of every kind (Unicode whitespace included), comments, both delimiters, repeated
# sections and options, text before the first section, headers with text after "]".
_PLAIN_LINES = st.sampled_from([
    "[default]", "[profile dev]", "[ profile x ]", "[a[b]", "[a]b]", "[a] x", "[]", "[",
    "[DEFAULT]", "[sso-session corp]", "k = v", "k: v", "k : v = w", "K=V", "a =", "a:", "= x",
    ": x", "x", "# c", "; c", "x = y:z", "aws_access_key_id = AKIA", "\u00c9T\u00c9 = \u00e9",
    "key\u2028 = v", "a = b\r", "\udcff = \udcfe", "k = # not a comment", "region = eu-west-1",
    "ecr2_registry_aliases =", "127.0.0.1:5000 = 123456789012.dkr.ecr.us-east-1.amazonaws.com",
])
_BLANKS = st.sampled_from([" ", "\t", "  ", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
                           "\u2003", "\u3000", "\u200b", "\ufeff", "\r", ""])
_PLAIN_FILES = st.lists(
    st.tuples(st.lists(_BLANKS, max_size=3).map("".join), _PLAIN_LINES | _BLANKS | st.text(),
              _BLANKS).map("".join),
    max_size=14,
).map("\n".join)


def _configparser_read(text):
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {section: dict(parser.items(section)) for section in parser.sections()}


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_PLAIN_FILES, _PLAIN_FILES.map(lambda text: "[default]\n" + text)))
@example("[default]\ns3 =\n  max = 10\n\n  # comment\n  x = y\n\n\nregion = a\n")
@example("[default]\na = 1\n[default]\na = 2\nb = 3\n")
def test_plain_ini_reader_is_configparser(text):
    fast = parse_plain_ini(text)
    if fast is not None:  # None: configparser reads it
        assert fast == _configparser_read(text)


def test_plain_ini_reader_leaves_the_unusual_to_configparser():
    for text in ("k = v\n[default]\n", "[DEFAULT]\nk = v\n[default]\n", "[default]\nnovalue\n",
                 "[default]\n= v\n", "[a]b]\n", "[a] x\n", "\ufeff[default]\n"):
        assert parse_plain_ini(text) is None


def testread_ini_imports_configparser_only_for_unusual_files(tmp_path):
    plain, unusual = tmp_path / "plain", tmp_path / "unusual"
    plain.write_text("[default]\nregion = eu-west-1\ns3 =\n  x = 1\n")
    unusual.write_text("[DEFAULT]\nregion = eu-west-1\n[profile dev]\n")
    assert read_ini(str(unusual)) == {"profile dev": {"region": "eu-west-1"}}
    code = (f"import sys; from awscli_ecr_login_ext.identity.aws_files import read_ini; "
            f"print(read_ini({str(plain)!r})); "
            "print(sorted(m for m in ('re', 'configparser', 'json', 'hashlib', 'dataclasses') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO)}, check=True)
    assert result.stdout.splitlines() == [
        "{'default': {'region': 'eu-west-1', 's3': '\\nx = 1'}}", "[]"]


def test_identity_is_an_immutable_value():
    one, same = Identity("profile:k", "profile:dev"), Identity(key="profile:k", label="profile:dev")
    assert one == same and hash(one) == hash(same) and one != Identity("profile:k", "profile:x")
    assert one != ("profile:k", "profile:dev")
    assert repr(one) == "Identity(key='profile:k', label='profile:dev')"
    assert pickle.loads(pickle.dumps(one)) == one == copy.deepcopy(one)
    with pytest.raises(AttributeError):
        one.key = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del one.label
