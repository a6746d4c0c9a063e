"""Editing one section of the AWS config file, keeping every other byte as it was.

The CLI's own ``ConfigFileWriter`` can neither remove a key nor place one
before another (the v1 guard must precede ``cli_legacy_plugin_path``), and it
is not importable where only a packaged AWS CLI v2 is installed; so the
installer edits the ``[plugins]`` section with this small line editor.

Every edit can be undone byte for byte, so that ``uninstall`` gives back the
file ``install`` was given:

* Lines keep their own endings; a new line takes the file's (that of its first
  line: ``\\r\\n`` or ``\\n``), and the file's last line keeps its ending (or
  its lack of one) whatever is added after it or removed again.
* A value is replaced in place: the spacing around it stays.
* A new section goes at the end of the file, after one blank line when the
  file has anything in it. Removing a section's last key removes its header
  and that one blank line, when nothing else (no comment) is left in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

# The grammar of both files the CLI reads with configparser's RawConfigParser (botocore's
# raw_config_parse): the config file and the alias file. Its SECTCRE, matched on the stripped
# line (what follows the last "]" is ignored, the name is not stripped), and its OPTCRE with the
# delimiters "=" and ":" (the key ends at the first of them), matched here on the whole line so
# that a value can be replaced in place.
_HEADER = re.compile(r"\[(?P<name>.+)\]")
_KEY = re.compile(r"^\s*(?P<key>[^=:\s][^=:]*?)\s*[=:]\s*(?P<value>.*?)\s*$")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

Kind = str
"""What a line is to configparser: "header", "key", "continuation" (of the value of the key
above: deeper indented than that key's line), "comment" (a whole line starting with "#" or ";"
once stripped; it never ends a value), "blank" (part of a value, never ending it) or "other"."""


def classify(lines: list[str]) -> list[tuple[Kind, re.Match[str] | None]]:
    """Each line's kind, as configparser reads it, with the match of a header (group "name")
    or a key line (groups "key" and "value")."""
    kinds: list[tuple[Kind, re.Match[str] | None]] = []
    in_value = False
    indent = 0  # of the last line that was neither blank, comment nor continuation
    for line in lines:
        stripped = line.strip()
        level = len(line) - len(line.lstrip())
        if not stripped or stripped[0] in "#;":
            kinds.append(("comment" if stripped else "blank", None))
        elif in_value and level > indent:
            kinds.append(("continuation", None))
        else:
            indent = level
            header = _HEADER.match(stripped)
            key = None if header else _KEY.match(line)
            in_value = (in_value or key is not None) and header is None
            kinds.append(("header", header) if header else ("key", key) if key else ("other", None))
    return kinds


def read_config(path: Path) -> str:
    """The file's text exactly as stored (no newline translation); "" when it does not exist."""
    return path.read_bytes().decode("utf-8") if path.exists() else ""


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


class ConfigSection:
    """The lines of a config file, with edits confined to one section."""

    def __init__(self, text: str, section: str) -> None:
        self.lines = _LINE.findall(text)
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"
        self.section = section

    def text(self) -> str:
        return "".join(self.lines)

    def _insert(self, index: int, contents: list[str]) -> None:
        new = [content + self.newline for content in contents]
        if index == len(self.lines) and self.lines:
            # Appended lines take over the old last line's ending (or lack of one).
            last = self.lines[-1]
            self.lines[-1] = last.rstrip("\r\n") + self.newline
            new[-1] = contents[-1] + _ending(last)
        self.lines[index:index] = new

    def _delete(self, start: int, stop: int) -> None:
        if stop == len(self.lines) and start > 0:
            # The new last line gets the removed last line's ending back.
            self.lines[start - 1] = self.lines[start - 1].rstrip("\r\n") + _ending(self.lines[-1])
        del self.lines[start:stop]

    def _bounds(self) -> tuple[int, int] | None:
        """The section's header index and the index after its last non-blank line."""
        start = None
        end = len(self.lines)
        for index, (kind, match) in enumerate(classify(self.lines)):
            if kind == "header" and start is not None:
                end = index
                break
            if kind == "header" and match.group("name") == self.section:
                start = index
        if start is None:
            return None
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        return start, end

    def _keys(self) -> list[tuple[int, re.Match[str]]]:
        """The section's key lines (not their continuation lines): index and match."""
        bounds = self._bounds()
        if bounds is None:
            return []
        kinds = classify(self.lines)
        return [(index, kinds[index][1]) for index in range(bounds[0] + 1, bounds[1])
                if kinds[index][0] == "key"]

    def items(self) -> list[tuple[str, str]]:
        """Top-level keys of the section in file order (nested, indented values skipped)."""
        return [(match.group("key").lower(), match.group("value")) for _, match in self._keys()]

    def get(self, key: str) -> str | None:
        return dict(self.items()).get(key)

    def _index_of(self, key: str) -> int | None:
        for index, match in self._keys():
            if match.group("key").lower() == key:
                return index
        return None

    def set(self, key: str, value: str, *, before: str | None = None) -> None:
        """Set ``key``; a new key goes before the key ``before`` if present, else at the end."""
        index = self._index_of(key)
        if index is not None:
            line = self.lines[index]
            match = _KEY.match(line)
            self.lines[index] = line[:match.start("value")] + value + line[match.end("value"):]
            return
        bounds = self._bounds()
        if bounds is None:
            separator = [""] if self.lines else []
            self._insert(len(self.lines), [*separator, f"[{self.section}]", f"{key} = {value}"])
            return
        anchor = self._index_of(before) if before else None
        self._insert(anchor if anchor is not None else bounds[1], [f"{key} = {value}"])

    def set_nested(self, key: str, name: str, value: str, *,
                   same_name: Callable[[str], bool] | None = None) -> str | None:
        """Set ``name = value`` inside the nested value ``key`` (``key =`` followed by indented
        ``NAME = VALUE`` lines, as ``ecr2_registry_aliases``); ``same_name`` tells whether an
        existing line's NAME is ``name`` (default: equal). Returns what changed ("added",
        "changed") or None when the line was already there. A one-line value of ``key`` becomes
        its first nested line; other nested lines, comments and blank lines stay as they are.
        """
        same_name = same_name or (lambda existing: existing == name)
        index = self._index_of(key)
        if index is None:
            bounds = self._bounds()
            if bounds is None:
                separator = [""] if self.lines else []
                self._insert(len(self.lines), [*separator, f"[{self.section}]", f"{key} =",
                                               f"    {name} = {value}"])
            else:
                # After the section's last setting: a comment before the next header is that
                # header's.
                end = bounds[1]
                while end > bounds[0] + 1 and self.lines[end - 1].strip()[:1] in ("", "#", ";"):
                    end -= 1
                self._insert(end, [f"{key} =", f"    {name} = {value}"])
            return "added"
        match = _KEY.match(self.lines[index])
        inline = match.group("value")
        if inline:  # "key = NAME = VALUE" on one line: make it nested first
            line = self.lines[index]
            self.lines[index] = line[:match.start("value")].rstrip(" \t") + _ending(line)
            self._insert(index + 1, [f"    {inline}"])
        end = self._bounds()[1]
        kinds = classify(self.lines)
        last = index  # the last nested line
        indent = "    "
        for position in range(index + 1, end):
            line = self.lines[position]
            kind = kinds[position][0]
            if kind == "blank" or (kind == "comment" and line[0] not in " \t"):
                continue  # neither ends the value (configparser)
            if kind not in ("continuation", "comment"):
                break
            last = position
            entry = line.strip()
            if entry[0] in "#;" or "=" not in entry:
                continue
            indent = line[:len(line) - len(line.lstrip())]
            existing, _, current = (part.strip() for part in entry.partition("="))
            if same_name(existing):
                if current == value:
                    return None
                self.lines[position] = f"{indent}{existing} = {value}" + _ending(line)
                return "changed"
        self._insert(last + 1, [f"{indent}{name} = {value}"])
        return "added"

    def remove(self, key: str) -> bool:
        index = self._index_of(key)
        if index is None:
            return False
        self._delete(index, index + 1)
        start, end = self._bounds()
        if not any(line.strip() for line in self.lines[start + 1:end]):
            separator = start > 0 and not self.lines[start - 1].strip("\r\n")
            self._delete(start - separator, end)
        return True
