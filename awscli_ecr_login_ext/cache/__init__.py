"""Floor 3: the token cache (its secure directory, entry format, freshness and locks).
Imports core and identity."""
