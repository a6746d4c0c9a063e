"""The least work any Python credential helper can do for a cache hit: the floor of row 4.

Run as ``python -S bench/minimal_hit.py ENTRY`` through the same /bin/sh hop as our launcher,
with the server URL on stdin. What every correct hit must do, and nothing more: read the AWS
config file named by AWS_CONFIG_FILE and hash it with the server URL into a cache key
(SHA-256), read the cache entry ENTRY and parse it (json.loads' own C scanner), check that it
has not expired, base64-decode its token and write the protocol's JSON answer. It imports only
``os``, ``time`` and the C modules a hit needs; it checks nothing else (no key match against
the entry, no file modes, no profile selection or aliases, no credentials file), so every real
hit does more than this.
"""

import os
import sys
import time
from _json import encode_basestring_ascii as encode
from _json import make_scanner
from binascii import a2b_base64

try:
    from _sha256 import sha256  # CPython <= 3.11
except ImportError:
    from _sha2 import sha256  # CPython >= 3.12


class JsonDefaults:
    """The attributes json's C scanner reads from a JSONDecoder, at json.loads' defaults."""

    strict = True
    object_hook = object_pairs_hook = parse_constant = None
    parse_float = float
    parse_int = int


def main() -> int:
    server_url = sys.stdin.read().strip()
    with open(os.environ["AWS_CONFIG_FILE"], "rb") as config:
        sha256(server_url.encode() + config.read()).hexdigest()
    with open(sys.argv[1], "rb") as file:
        entry, _ = make_scanner(JsonDefaults())(file.read().decode(), 0)
    if entry["expires_at"] <= time.time():
        return 1
    username, _, password = a2b_base64(entry["token"]).decode().partition(":")
    sys.stdout.write(f'{{"ServerURL": {encode(server_url)}, "Username": {encode(username)}, '
                     f'"Secret": {encode(password)}}}\n')
    return 0


sys.exit(main())
