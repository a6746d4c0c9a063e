"""The one redaction rule: what never reaches a log line, an error message or a tool's output.

``redact(text, secrets)`` replaces every known secret (longest first, so a secret that holds
another is replaced whole) and the value of any ``authorizationToken`` field, whatever quotes
or separator surround it (JSON, a Python repr, ``key=value``), with ``mark``. The pattern is
compiled on first use: the credential helper's hit never redacts, and ``re`` costs it
milliseconds.
"""

from __future__ import annotations

REDACTED = "<redacted>"
_TOKEN_FIELD = None


def redact(text: str, secrets: list[str] | tuple[str, ...] = (), mark: str = REDACTED) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, mark)
    if "uthorizationToken" in text:
        global _TOKEN_FIELD
        if _TOKEN_FIELD is None:
            import re

            _TOKEN_FIELD = re.compile(r"""(authorizationToken["']?\s*[:=]\s*["']?)[^"',}\s]*""")
        text = _TOKEN_FIELD.sub(lambda match: match.group(1) + mark, text)
    return text
