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

from awscli_ecr_login_ext.identity import (
    Identity,
    _parse_plain_ini,
    _read_ini,
    canonical_json,
    expand_user,
    identity_from_environment,
    sha256,
)
from tests.conftest import REPO

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
    assert ident == Identity(key="env:" + digest, label="env:" + digest[:8])
    assert AKID not in ident.key and AKID not in ident.label


def test_env_keys_beat_aws_profile_but_not_explicit_profile(tmp_path):
    environ = _home(tmp_path, config="[profile dev]\nregion = eu-west-1\n")
    environ.update(AWS_ACCESS_KEY_ID=AKID, AWS_PROFILE="dev")
    assert identity_from_environment(environ).key.startswith("env:")
    explicit = identity_from_environment(environ, profile="dev")
    assert explicit.label == "profile:dev"
    assert explicit.key.startswith("profile:")
    assert AKID not in explicit.key


def test_empty_access_key_is_not_env(tmp_path):
    environ = _home(tmp_path)
    environ["AWS_ACCESS_KEY_ID"] = ""
    assert identity_from_environment(environ).label == "profile:default"


def test_profile_selection_order(tmp_path):
    environ = _home(tmp_path, config="[default]\n[profile a]\n[profile b]\n")
    assert identity_from_environment(environ).label == "profile:default"
    a = identity_from_environment({**environ, "AWS_PROFILE": "a"})
    b = identity_from_environment({**environ, "AWS_PROFILE": "b"})
    assert (a.label, b.label) == ("profile:a", "profile:b")
    assert a.key != b.key
    assert identity_from_environment({**environ, "AWS_DEFAULT_PROFILE": "b"}) == b
    assert (
        identity_from_environment({**environ, "AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}) == a
    )
    assert identity_from_environment(environ, profile="b") == b


def test_profiles_with_identical_settings_differ(tmp_path):
    body = "role_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n"
    environ = _home(tmp_path, config=f"[profile a]\n{body}[profile b]\n{body}")
    assert (
        identity_from_environment(environ, "a").key != identity_from_environment(environ, "b").key
    )


def test_secrets_excluded_from_key(tmp_path):
    def creds(secret: str, token: str) -> str:
        return (
            f"[dev]\naws_access_key_id = {AKID}\naws_secret_access_key = {secret}\n"
            f"aws_session_token = {token}\naws_security_token = {token}\n"
        )

    one = identity_from_environment(_home(tmp_path, credentials=creds("s1", "t1")), "dev")
    two = identity_from_environment(_home(tmp_path, credentials=creds("s2", "t2")), "dev")
    assert one == two


def test_access_key_id_in_credentials_file_counts(tmp_path):
    one = identity_from_environment(
        _home(tmp_path, credentials=f"[dev]\naws_access_key_id = {AKID}\n"), "dev"
    )
    two = identity_from_environment(
        _home(tmp_path, credentials="[dev]\naws_access_key_id = AKIAOTHEREXAMPLE\n"), "dev"
    )
    assert one.key != two.key
    assert AKID not in one.key


def test_role_arn_change_gives_new_identity(tmp_path):
    def cfg(arn: str) -> str:
        return f"[profile dev]\nrole_arn = {arn}\nsource_profile = default\n"

    one = identity_from_environment(_home(tmp_path, config=cfg("arn:aws:iam::1:role/a")), "dev")
    same = identity_from_environment(_home(tmp_path, config=cfg("arn:aws:iam::1:role/a")), "dev")
    two = identity_from_environment(_home(tmp_path, config=cfg("arn:aws:iam::1:role/b")), "dev")
    assert one == same
    assert one.key != two.key


def test_only_the_profiles_own_sections_count(tmp_path):
    base = "[profile dev]\nregion = eu-west-1\n"
    ref = identity_from_environment(_home(tmp_path, config=base), "dev")
    # Other profiles, and a bare [dev] section (not a profile in the config file), don't count.
    noise = base + "[profile other]\nregion = x\n[dev]\nregion = y\n"
    assert identity_from_environment(_home(tmp_path, config=noise), "dev") == ref
    # botocore accepts extra blanks in the section name.
    spaced = "[profile   dev]\nregion = eu-west-1\n"
    assert identity_from_environment(_home(tmp_path, config=spaced), "dev") != (
        identity_from_environment(_home(tmp_path, config=""), "dev")
    )


def test_default_profile_reads_default_section(tmp_path):
    one = identity_from_environment(_home(tmp_path, config="[default]\nregion = a\n"))
    two = identity_from_environment(_home(tmp_path, config="[default]\nregion = b\n"))
    assert one.key != two.key


def test_sso_session_section_counts(tmp_path):
    def cfg(url: str) -> str:
        return (
            "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
            f"[sso-session corp]\nsso_start_url = {url}\nsso_region = us-east-1\n"
        )

    one = identity_from_environment(_home(tmp_path, config=cfg("https://a/start")), "dev")
    two = identity_from_environment(_home(tmp_path, config=cfg("https://b/start")), "dev")
    assert one.key != two.key


def test_file_locations_count(tmp_path):
    (tmp_path / "c1").write_text("[profile dev]\n")
    (tmp_path / "c2").write_text("[profile dev]\n")
    env = {"HOME": str(tmp_path)}
    one = identity_from_environment({**env, "AWS_CONFIG_FILE": str(tmp_path / "c1")}, "dev")
    two = identity_from_environment({**env, "AWS_CONFIG_FILE": str(tmp_path / "c2")}, "dev")
    tilde = identity_from_environment({**env, "AWS_CONFIG_FILE": "~/c1"}, "dev")
    assert one.key != two.key
    assert tilde == one
    creds = identity_from_environment(
        {**env, "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c1")}, "dev"
    )
    assert creds.key != identity_from_environment(env, "dev").key


def test_home_comes_from_given_environ(tmp_path):
    (tmp_path / "h1").mkdir()
    (tmp_path / "h2").mkdir()
    one = identity_from_environment(_home(tmp_path / "h1", config="[default]\nregion = a\n"))
    two = identity_from_environment(_home(tmp_path / "h2", config="[default]\nregion = a\n"))
    assert one.key != two.key
    assert expand_user("~/x", {"HOME": "/home/u/"}) == "/home/u/x"
    assert expand_user("/abs/~", {"HOME": "/home/u"}) == "/abs/~"


def test_missing_unreadable_and_malformed_files_are_empty(tmp_path):
    empty = identity_from_environment(_home(tmp_path, config="", credentials=""), "dev")
    missing_home = tmp_path / "nothing"
    missing_home.mkdir()
    assert identity_from_environment({"HOME": str(missing_home)}, "dev").label == "profile:dev"
    malformed = "no section header\n[profile dev\n= =\n"
    assert identity_from_environment(_home(tmp_path, config=malformed), "dev") == empty
    (tmp_path / ".aws" / "config").unlink()
    (tmp_path / ".aws" / "config").mkdir()  # a directory where the file should be
    assert identity_from_environment({"HOME": str(tmp_path)}, "dev") == empty


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
        assert ident.key.startswith("profile:")
        assert ident.label == "profile:" + (profile or "default")


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
                "HOME",
            ]
        ),
        # any code point, lone surrogates included (os.environ can carry them on POSIX)
        st.text(st.characters(exclude_categories=()), max_size=30),
    )
)
def test_arbitrary_environment_never_raises(environ):
    ident = identity_from_environment(environ)
    assert ident.key.startswith(("env:", "profile:"))


def test_lone_surrogates_do_not_raise(tmp_path):
    assert identity_from_environment({"AWS_ACCESS_KEY_ID": "\ud800"}).key.startswith("env:")
    environ = {**_home(tmp_path), "AWS_PROFILE": "\ud800"}
    (tmp_path / ".aws" / "config").write_bytes(b"[profile \xff]\nregion = \xfe\n")
    assert identity_from_environment(environ).label == "profile:\ud800"
    assert identity_from_environment(environ, profile="\udcff").key.startswith("profile:")


# -- what the credential helper's start-up avoids, checked against what it replaces -------------


def test_keys_are_those_of_earlier_versions(tmp_path):
    """Pinned: tokens cached by earlier versions (and by `aws ecr2 --cache`) keep being found."""
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(
        "[profile dev]\nregion = eu-west-1\nsso_session = corp\n"
        "role_arn = arn:aws:iam::123456789012:role/R\ns3 =\n  max_concurrent_requests = 10\n\n"
        "  x = y\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "[default]\nregion = us-east-1\n")
    (tmp_path / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
        "[default]\naws_access_key_id = AKIDEF\n")
    home = tmp_path.resolve()
    document = {
        "version": 1,
        "config_file": str(home / ".aws" / "config"),
        "credentials_file": str(home / ".aws" / "credentials"),
        "profile": "dev",
        "config": {
            "profile dev": sorted([
                ["region", "eu-west-1"], ["sso_session", "corp"],
                ["role_arn", "arn:aws:iam::123456789012:role/R"],
                ["s3", "\nmax_concurrent_requests = 10\n\nx = y"]]),
            "sso-session corp": [["sso_start_url", "https://example.awsapps.com/start"]],
        },
        "credentials": [["aws_access_key_id",
                         "sha256:" + hashlib.sha256(b"AKIAEXAMPLE").hexdigest()]],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    expected = "profile:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert identity_from_environment({"HOME": str(tmp_path)}, "dev").key == expected
    env_key = identity_from_environment({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE\ud800\u00e9"}).key
    assert env_key == "env:fd0451907e9b10dc99bfa1adbb9d95f430d38182a992d3e4ca54506269feacfa"


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
    fast = _parse_plain_ini(text)
    if fast is not None:  # None: configparser reads it
        assert fast == _configparser_read(text)


def test_plain_ini_reader_leaves_the_unusual_to_configparser():
    for text in ("k = v\n[default]\n", "[DEFAULT]\nk = v\n[default]\n", "[default]\nnovalue\n",
                 "[default]\n= v\n", "[a]b]\n", "[a] x\n", "\ufeff[default]\n"):
        assert _parse_plain_ini(text) is None


def test_read_ini_imports_configparser_only_for_unusual_files(tmp_path):
    plain, unusual = tmp_path / "plain", tmp_path / "unusual"
    plain.write_text("[default]\nregion = eu-west-1\ns3 =\n  x = 1\n")
    unusual.write_text("[DEFAULT]\nregion = eu-west-1\n[profile dev]\n")
    assert _read_ini(str(unusual)) == {"profile dev": {"region": "eu-west-1"}}
    code = (f"import sys; from awscli_ecr_login_ext.identity import _read_ini; "
            f"print(_read_ini({str(plain)!r})); "
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
