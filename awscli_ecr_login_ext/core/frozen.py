"""A base for small immutable value classes (core: imports nothing at all).

``@dataclass(frozen=True)`` would do, but importing ``dataclasses`` costs the credential helper's
cache-hit path about 10 ms and 3 MiB. A subclass declares its fields as ``__slots__`` (a tuple,
in ``__init__`` argument order) and sets them in its own typed ``__init__`` with ``self._set``,
the values in that order; this base then compares, hashes, prints, pickles and copies it by
those fields, like a frozen dataclass. Fields named in ``_repr_hidden`` are left out of the repr.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing (the credential helper's hit path does without).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing_extensions import Self


class Frozen:
    """Immutable; equal (to an instance of exactly the same class), hashed and printed by the
    fields in ``__slots__``, in slot order."""

    __slots__ = ()
    _repr_hidden: tuple[str, ...] = ()

    def _astuple(self) -> tuple:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._astuple() == other._astuple()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._astuple())

    def __repr__(self) -> str:
        hidden = self._repr_hidden
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__
                           if name not in hidden)
        return f"{self.__class__.__qualname__}({fields})"

    def _set(self, *values: object) -> None:
        """Set every field, the values in ``__slots__`` order (for a subclass's ``__init__``)."""
        slots = self.__slots__
        if len(values) != len(slots):
            raise TypeError(f"{self.__class__.__name__} has {len(slots)} fields, "
                            f"not {len(values)}")
        for name, value in zip(slots, values):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"cannot assign to field {name!r}: {self.__class__.__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"cannot delete field {name!r}: {self.__class__.__name__} is immutable")

    def __reduce__(self) -> tuple:
        return (self.__class__, self._astuple())

    def _replace(self, **changes: object) -> Self:
        """A copy with some fields changed (like ``namedtuple._replace``)."""
        fields = dict(zip(self.__slots__, self._astuple()))
        unknown = changes.keys() - fields.keys()
        if unknown:
            raise TypeError(f"{self.__class__.__name__} has no field {min(unknown)!r}")
        fields.update(changes)
        return self.__class__(**fields)
