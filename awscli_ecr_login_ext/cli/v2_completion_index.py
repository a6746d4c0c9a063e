"""Rebuild the user's AWS CLI v2 completion index with ``ecr2`` in it.

Run by ``awscli-ecr-login-ext install --completion`` as a script under AWS CLI
v2's own interpreter. v2's completer and auto-prompt read a prebuilt SQLite
index that knows no plugins; regenerating the per-user index
(``~/.aws/cli/cache/<version>.index``) with the CLI's own generator, while the
AWS config loads our plugin, adds ``ecr2``, its subcommands and options. The
indexer needs a full name for every top-level command without a service
model, hence the one entry added before generating.
"""

import sys

from awscli.autocomplete import db, generator
from awscli.autocomplete.local import indexer

FULL_NAME = "Amazon ECR registry credentials for container clients"


def main() -> int:
    indexer.ModelIndexer._HIGH_LEVEL_SERVICE_FULL_NAMES["ecr2"] = FULL_NAME
    print(generator.generate_index(db.INDEX_FILE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
