"""Disclosure-control policy of a Panel export."""

from __future__ import annotations

from dataclasses import dataclass

from casework.disclosure.codebook import SCHEMA_VERSION

K_FLOOR = 5
"""Lowest threshold ever accepted (UNHCR's level); privacy.md §6.5."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds of an export. The defaults are the recommended policy (privacy.md §6)."""

    k: int = 10
    """Minimum number of distinct persons in a published cell."""
    rounding_base: int = 5
    """Published counts are rounded to the nearest multiple of this (1 = no rounding)."""
    min_table_factor: int = 3
    """A table whose total is below ``min_table_factor * k`` publishes only its total."""
    schema_version: str = SCHEMA_VERSION
    """Table-set version this policy produces or, when combining, accepts."""

    def __post_init__(self) -> None:
        for name in ("k", "rounding_base", "min_table_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Policy.{name} must be an int")
        if self.k < K_FLOOR:
            raise ValueError(
                f"El umbral k={self.k} es menor que el mínimo permitido ({K_FLOOR}). / "
                f"Threshold k={self.k} is below the allowed floor ({K_FLOOR})."
            )
        if self.rounding_base < 1:
            raise ValueError(
                "La base de redondeo debe ser 1 o más. / The rounding base must be 1 or more."
            )
        if self.min_table_factor < 1:
            raise ValueError(
                "El factor de tamaño mínimo de tabla debe ser 1 o más. / "
                "The minimum table factor must be 1 or more."
            )

    @property
    def min_table_total(self) -> int:
        """Tables with fewer persons than this publish only their total."""
        return self.k * self.min_table_factor

    @property
    def rounding_slack(self) -> int:
        """Largest distance between a true count and its published, rounded value."""
        return self.rounding_base // 2 if self.rounding_base > 1 else 0

    def round_count(self, value: int) -> int:
        """Deterministic rounding of a publishable count (0 or at least k).

        Nearest multiple of the base, halves up; a count of at least k is never published
        below k (with k = 7 and base 5, a 7 is published as 10).
        """
        base = self.rounding_base
        if base <= 1 or value == 0:
            return value
        rounded = (value + base // 2) // base * base
        floor = -(-self.k // base) * base
        return max(rounded, floor) if value >= self.k else rounded
