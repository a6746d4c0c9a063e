from __future__ import annotations

import hashlib
import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from awscli_ecr_login_ext.identity import Identity, expand_user, identity_from_environment

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
