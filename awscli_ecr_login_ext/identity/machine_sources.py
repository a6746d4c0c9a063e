"""The sources of botocore's credential chain that no profile selects: an EC2 credentials
file, a boto config, a container's role, the instance's role (see ``chain``)."""

from __future__ import annotations

import os

from .aws_files import expand_user, read_ini
from .principal import Resolution, hash_text, make_identity, read_file_hash

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol

    class Chain(Protocol):
        """What these sources read of ``chain.Chain``, which imports them (not the reverse)."""

        environ: Mapping[str, str]

        def profile(self, name: str) -> Mapping[str, str]: ...

_CONTAINER_HOST = "http://169.254.170.2"


class Ec2CredentialsFile:
    """botocore OriginalEC2Provider: AWSAccessKeyId in the file AWS_CREDENTIAL_FILE names."""

    method = "ec2-credentials-file"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        path = chain.environ.get("AWS_CREDENTIAL_FILE")
        if path is None:
            return None
        access_key_id = None
        try:
            with open(expand_user(path, chain.environ), encoding="utf-8",
                      errors="surrogateescape") as f:
                for line in f:
                    key, sep, value = line.partition("=")
                    if sep and key.strip() == "AWSAccessKeyId":
                        access_key_id = value.strip()
        except (OSError, ValueError):
            return None
        if access_key_id is None:
            return None
        digest = hash_text(access_key_id)
        return Resolution(make_identity(cls.method, {"access_key_id": digest},
                                        "ec2-credentials-file:" + digest[:8]), cls.method)


class BotoConfig:
    """botocore BotoProvider: [Credentials] aws_access_key_id in BOTO_CONFIG, else
    /etc/boto.cfg, else ~/.boto."""

    method = "boto-config"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        if "BOTO_CONFIG" in chain.environ:
            paths = [chain.environ["BOTO_CONFIG"]]
        else:
            paths = ["/etc/boto.cfg", "~/.boto"]
        for path in paths:
            path = expand_user(path, chain.environ)
            if not os.path.isfile(path):
                continue
            credentials = read_ini(path).get("Credentials", {})
            if "aws_access_key_id" in credentials:
                digest = hash_text(credentials["aws_access_key_id"])
                return Resolution(make_identity(cls.method, {"access_key_id": digest},
                                                "boto-config:" + digest[:8]), cls.method)
        return None


class Container:
    """botocore ContainerProvider: the relative URI (on 169.254.170.2), else the full URI, and
    the authorization token (file content first). On EKS pod identity every pod has the same
    URI and only the token tells them apart, so the token's hash is part of the key."""

    method = "container-role"

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        environ = chain.environ
        if "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" in environ:
            uri = _CONTAINER_HOST + environ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
        elif "AWS_CONTAINER_CREDENTIALS_FULL_URI" in environ:
            uri = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        else:
            return None
        token = None
        if "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" in environ:
            token = read_file_hash(environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], environ)
        elif "AWS_CONTAINER_AUTHORIZATION_TOKEN" in environ:
            token = hash_text(environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
        return Resolution(make_identity("container", {"uri": uri, "token_sha256": token},
                                        "container"), cls.method)


class InstanceMetadata:
    """botocore InstanceMetadataProvider: the IMDS endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT /
    ec2_metadata_service_endpoint, else the mode's default), unless AWS_EC2_METADATA_DISABLED
    is true."""

    method = "iam-role"
    _SETTINGS = (("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint"),
                 ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode"),
                 ("AWS_IMDS_USE_IPV6", "imds_use_ipv6"))

    @classmethod
    def find(cls, chain: Chain, profile_name: str) -> Resolution | None:
        environ = chain.environ
        if environ.get("AWS_EC2_METADATA_DISABLED", "false").lower() == "true":
            return None
        profile = chain.profile(profile_name)
        selectors = {option: environ.get(variable, profile.get(option))
                     for variable, option in cls._SETTINGS}
        return Resolution(make_identity("instance-metadata", selectors, "instance-metadata"),
                          cls.method)


# In botocore's order, after the profile providers.
MACHINE_SOURCES = (Ec2CredentialsFile, BotoConfig, Container, InstanceMetadata)
