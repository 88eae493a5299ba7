from __future__ import annotations

import pytest

from casework import rut

VALID = [
    "12678579-8",
    "15509661-6",
    "12345678-5",
    "30686957-4",
    "41261533-6",
    "76086428-5",
    "12531909-2",
    "11111111-1",
    "6-K",
    "1-9",
    "100000000-7",
]


@pytest.mark.parametrize("number", VALID)
def test_known_check_digits(number: str) -> None:
    assert rut.is_valid(number)
    assert rut.canonical(number) == number


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("12.345.678-5", "12345678-5"),
        ("123456785", "12345678-5"),
        (" 6-k ", "6-K"),
        ("CL12345678-5", "12345678-5"),
        ("012.345.678-5", "12345678-5"),
    ],
)
def test_typed_forms(typed: str, canonical: str) -> None:
    assert rut.canonical(typed) == canonical


@pytest.mark.parametrize("bad", ["12.345.678-9", "abc", "", "1", "12345678-X", "1234567890-1"])
def test_invalid(bad: str) -> None:
    assert not rut.is_valid(bad)
    with pytest.raises(ValueError):
        rut.canonical(bad)


def test_display() -> None:
    assert rut.display("12345678-5") == "12.345.678-5"
    assert rut.display("6-K") == "6-K"
