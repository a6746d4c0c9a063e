"""The root of our exceptions: every failure a user sees is an ``Ecr2Error``.

Its subclasses live beside what raises them: ``RegistryError`` (core/registry),
``MissingRegionError`` (core/selection), ``SettingError`` (core/settings),
``MalformedTokenError`` and ``MalformedResponseError`` (core/authtoken), ``CacheError``
(cache/secure_dir), ``HelperError``, ``CliNotFound`` and ``FactsUnknown`` (helper),
``DockerConfigError`` (setup/docker_config), ``ToolError`` (cli/tools). Each message is one
clear line that never holds a secret. Where the AWS CLI has an exception for a case (usage,
configuration and service errors) the cli/ floor raises the CLI's own, which the CLI prints
as it prints any failure. docker-credential-ecr2 and awscli-ecr-login-ext print any other
``OSError`` as one line naming the file (the plugin's commands leave it to the CLI's own
error handler). A few private
exceptions (``identity.chain.Rejected``...) are control flow that never reaches a user.
"""


class Ecr2Error(Exception):
    """A failure with a one-line, user-facing message that never holds a secret."""
