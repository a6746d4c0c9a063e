"""Floor 4: ``docker-credential-ecr2``: protocol, service, settings and the child ``aws`` a miss
runs. Imports core, identity and cache; never awscli or botocore.

This module holds the helper's vocabulary, shared by those four (here, not in a module of its
own: the package is imported anyway, and every module costs a cache hit time)."""

from __future__ import annotations

from ..core.errors import Ecr2Error

PROGRAM = "docker-credential-ecr2"
NOT_FOUND = "credentials not found in native keychain"
USERNAME_FALLBACK = "AWS"
# A server URL is a host name plus a little; anything longer is not one.
MAX_SERVER_URL = 4096
# Where a cache miss waits for another process fetching the same key.
LOCK_WAIT_SECONDS = 30.0
TRUE = ("1", "true", "yes", "on")
# Set to one of TRUE: after a miss, one line on stderr when the AWS CLI stored its token under
# another cache key than the one this helper predicts (so that every pull runs it).
DEBUG_VARIABLE = "AWS_ECR2_DEBUG"


class HelperError(Ecr2Error):
    """A failure reported as one line on stderr; the message never holds a secret."""
