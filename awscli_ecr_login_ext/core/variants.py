"""The one encoding of an endpoint variant (FIPS, dual-stack), shared by the registry grammar
and the cache entries: a module of its own, so that the credential helper's hit, which reads
entries, does not load the whole registry grammar."""

from __future__ import annotations

# The endpoint variants, as cache entries name them (their "variant" field, byte for byte).
VARIANTS = ("standard", "fips", "dualstack", "fips-dualstack")


def variant_of(fips: bool, dualstack: bool) -> str:
    """The one encoding of an endpoint variant: one of VARIANTS."""
    return VARIANTS[bool(fips) + 2 * bool(dualstack)]


def flags_of(variant: str) -> tuple[bool, bool]:
    """(fips, dualstack) of one of VARIANTS: variant_of, read backwards."""
    index = VARIANTS.index(variant)
    return bool(index & 1), bool(index & 2)
