"""``aws ecr2 completion-index``: add ecr2 to the completion index of the AWS CLI v2 it runs in.

v2's completer (``aws_completer``, auto-prompt) reads a prebuilt SQLite index that knows no
plugins: ``~/.aws/cli/cache/<version>.index`` if that file exists, else the CLI's own
``awscli/data/ac.index`` (``awscli/autocomplete/db.py``). A v2 run as a Python script has the
generator that rebuilds the per-user index with the plugin loaded (``install --completion``
runs it, ``v2_completion_index.py``). The official installer's frozen binary ships without
the generator and its indexers, so this command writes, into the index that CLI's completer
reads, the rows the generator's ``ModelIndexer`` writes for ecr2: the same walk over the same
command objects, in the same order, through the CLI's own ``DatabaseConnection``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from ... import COMMAND_NAME
from ..adapter import CLI_MAJOR, configuration_error, display, usage_error
from .base import Ecr2BasicCommand, doc_file

# The rows of ecr2 and everything under it, in both tables.
_OURS = "(command = 'ecr2' AND parent = 'aws') OR parent = 'aws.ecr2' OR parent LIKE 'aws.ecr2.%'"
_COMMAND_ROWS = f"SELECT command, parent, full_name FROM command_table WHERE {_OURS} ORDER BY rowid"
_PARAM_ROWS = ("SELECT argname, type_name, command, parent, nargs, positional_arg, required "
               f"FROM param_table WHERE {_OURS} ORDER BY param_id")
_INSERT_COMMAND = ("INSERT INTO command_table (command, parent, full_name) "
                   "VALUES (:command, :parent, :full_name)")
_INSERT_PARAM = ("INSERT INTO param_table (argname, type_name, command, parent, nargs, "
                 "positional_arg, required) VALUES (:argname, :type_name, :command, :parent, "
                 ":nargs, :positional_arg, :required)")


def index_rows(command: Any, name: str, parent: str,
               full_name: str | None) -> list[tuple[str, dict]]:
    """The inserts ``ModelIndexer._generate_command_index`` makes for ``command`` and its
    subcommands: its row, its arguments' rows, then each subcommand's (which have no full name)."""
    rows = [(_INSERT_COMMAND, {"command": name, "parent": parent, "full_name": full_name})]
    for argname, argument in command.arg_table.items():
        rows.append((_INSERT_PARAM, {
            "argname": argname, "type_name": argument.cli_type_name, "command": name,
            "parent": parent, "nargs": argument.nargs, "positional_arg": argument.positional_arg,
            "required": 1 if argument.required else 0}))
    for subname, subcommand in command.subcommand_table.items():
        rows += index_rows(subcommand, subname, f"{parent}.{name}", None)
    return rows


def _stored(connection: Any) -> tuple[list, list]:
    return (connection.execute(_COMMAND_ROWS).fetchall(),
            connection.execute(_PARAM_ROWS).fetchall())


def _as_stored(index: sqlite3.Connection, rows: list[tuple[str, dict]]) -> tuple[list, list]:
    """``rows`` as the index stores them (its column types applied), for comparison."""
    from awscli.autocomplete.db import DatabaseConnection

    memory = DatabaseConnection(":memory:")
    try:
        for (create,) in index.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                       "AND name IN ('command_table', 'param_table')"):
            memory.execute(create)
        for statement, values in rows:
            memory.execute(statement, **values)
        return _stored(memory)
    finally:
        memory.close()


def _rewrite(index: Path, rows: list[tuple[str, dict]]) -> None:
    """Replace ecr2's rows in a copy of the index, then rename the copy over it (as the
    generator does), so a completer never reads a half-written index."""
    from awscli.autocomplete.db import DatabaseConnection

    descriptor, name = tempfile.mkstemp(prefix=f".{index.name}.", suffix=".tmp", dir=index.parent)
    os.close(descriptor)
    try:
        shutil.copyfile(index, name)
        shutil.copymode(index, name)
        connection = DatabaseConnection(name)
        try:
            connection.execute(f"DELETE FROM param_table WHERE {_OURS}")
            connection.execute(f"DELETE FROM command_table WHERE {_OURS}")
            for statement, values in rows:
                connection.execute(statement, **values)
        finally:
            connection.close()
        os.replace(name, index)
    except BaseException:
        os.unlink(name)
        raise


def write_command(session: Any, index: Path) -> str:
    """The command line that writes ``index`` as its owner (root, for an official install in
    /usr/local/aws-cli): this same ``aws``, with this same config file, which loads ecr2."""
    aws = os.path.abspath(shutil.which(sys.argv[0]) or sys.argv[0])
    config = os.path.abspath(os.path.expanduser(session.get_config_variable("config_file")))
    words = ["sudo", "env", f"AWS_CONFIG_FILE={config}", aws, "ecr2", "completion-index",
             "--index-file", str(index)]
    return " ".join(shlex.quote(word) for word in words)


class CompletionIndexCommand(Ecr2BasicCommand):
    NAME = "completion-index"
    SUMMARY = "Add ecr2 to this AWS CLI v2's shell completion index"
    DESCRIPTION = doc_file("completion-index_description.rst")
    EXAMPLES = doc_file("completion-index_examples.rst")
    ARG_TABLE: ClassVar[list[dict]] = [
        {"name": "index-file", "no_paramfile": True,
         "help_text": "<p>The index to write. Default: the one this CLI's completer reads, "
                      "<code>~/.aws/cli/cache/VERSION.index</code> if it exists, else the "
                      "CLI's own <code>awscli/data/ac.index</code>.</p>"},
        {"name": "dry-run", "action": "store_true",
         "help_text": "<p>Only report on the index; write nothing.</p>"},
    ]

    def _run_main(self, parsed_args: Any, parsed_globals: Any) -> int:
        if CLI_MAJOR < 2:
            raise usage_error("AWS CLI v1 completes ecr2 by itself: it has no completion index.")
        from awscli.autocomplete import db

        chosen = parsed_args.index_file or (
            db.INDEX_FILE if os.path.isfile(db.INDEX_FILE) else db.BUILTIN_INDEX_FILE)
        index = Path(os.path.abspath(os.path.expanduser(chosen)))
        ecr2 = self.lineage[0]
        rows = index_rows(ecr2, COMMAND_NAME, "aws", ecr2.SUMMARY)
        try:
            with sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True) as connection:
                up_to_date = _stored(connection) == _as_stored(connection, rows)
        except sqlite3.Error as error:
            raise configuration_error(
                f"Cannot read the completion index {index}: {error}") from None
        writable = os.access(index.parent, os.W_OK | os.X_OK)
        changed = not (up_to_date or parsed_args.dry_run)
        if changed:
            if not writable:
                raise configuration_error(f"Cannot write the completion index {index}; run: "
                                          f"{write_command(self._session, index)}")
            try:
                _rewrite(index, rows)
            except (OSError, sqlite3.Error) as error:
                raise configuration_error(
                    f"Cannot write the completion index {index}: {error}") from None
        display(self._session, parsed_globals, "ecr2-completion-index", {
            "IndexFile": str(index), "UpToDate": up_to_date, "Writable": writable,
            "Changed": changed,
            "WriteCommand": None if writable else write_command(self._session, index)})
        return 0
