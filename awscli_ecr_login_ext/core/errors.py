"""The one exception type of ours.

Where the AWS CLI has an exception for a case (usage errors, configuration
errors, service errors) the adapters raise the CLI's own; everything else is an
``Ecr2Error`` whose message is one clear line, printed by the CLI's own error
handler exactly as it prints any failure.
"""


class Ecr2Error(Exception):
    """A failure with a one-line, user-facing message that never holds a secret."""
