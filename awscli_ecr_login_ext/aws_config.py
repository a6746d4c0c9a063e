"""Editing one section of the AWS config file, keeping every other line as it was.

The CLI's own ``ConfigFileWriter`` can neither remove a key nor place one
before another (the v1 guard must precede ``cli_legacy_plugin_path``), and it
is not importable where only a packaged AWS CLI v2 is installed; so the
installer edits the ``[plugins]`` section with this small line editor.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Re-exported: the installer (setup_cli) imports the writer from here.

_SECTION = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^([^\s=#;\[][^=]*?)\s*=\s*(.*?)\s*$")


def config_path(explicit: str | None = None) -> Path:
    """The file the CLI reads: ``--config-file``, else AWS_CONFIG_FILE, else ~/.aws/config."""
    return Path(os.path.expanduser(explicit or os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"))


class ConfigSection:
    """The lines of a config file, with edits confined to one section."""

    def __init__(self, text: str, section: str) -> None:
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.section = section

    def text(self) -> str:
        return "".join(self.lines)

    def _bounds(self) -> tuple[int, int] | None:
        start = None
        for index, line in enumerate(self.lines):
            match = _SECTION.match(line)
            if match and start is not None:
                end = index
                while end > start + 1 and not self.lines[end - 1].strip():
                    end -= 1
                return start, end
            if match and match.group(1) == self.section:
                start = index
        return None if start is None else (start, len(self.lines))

    def items(self) -> list[tuple[str, str]]:
        """Top-level keys of the section in file order (nested, indented values skipped)."""
        bounds = self._bounds()
        if bounds is None:
            return []
        found = []
        for line in self.lines[bounds[0] + 1:bounds[1]]:
            match = _KEY.match(line)
            if match:
                found.append((match.group(1).strip().lower(), match.group(2)))
        return found

    def get(self, key: str) -> str | None:
        return dict(self.items()).get(key)

    def _index_of(self, key: str) -> int | None:
        bounds = self._bounds()
        if bounds is None:
            return None
        for index in range(bounds[0] + 1, bounds[1]):
            match = _KEY.match(self.lines[index])
            if match and match.group(1).strip().lower() == key:
                return index
        return None

    def set(self, key: str, value: str, *, before: str | None = None) -> None:
        """Set ``key``; a new key goes before the key ``before`` if present, else at the end."""
        line = f"{key} = {value}\n"
        index = self._index_of(key)
        if index is not None:
            self.lines[index] = line
            return
        bounds = self._bounds()
        if bounds is None:
            if self.lines and self.lines[-1].strip():
                self.lines.append("\n")
            self.lines += [f"[{self.section}]\n", line]
            return
        anchor = self._index_of(before) if before else None
        self.lines.insert(anchor if anchor is not None else bounds[1], line)

    def remove(self, key: str) -> bool:
        index = self._index_of(key)
        if index is None:
            return False
        del self.lines[index]
        bounds = self._bounds()
        if bounds and not any(line.strip() for line in self.lines[bounds[0] + 1:bounds[1]]):
            del self.lines[bounds[0]:bounds[1]]
        return True

