from __future__ import annotations

import re
from pathlib import Path

from casework.i18n import catalogue, detect_language, t


def test_catalogues_have_the_same_keys() -> None:
    assert set(catalogue("es")) == set(catalogue("en"))


def test_every_error_code_in_the_code_has_a_message() -> None:
    root = Path(__file__).parents[1] / "casework"
    codes: set[str] = set()
    pattern = re.compile(
        r"(?:Conflict|NotFound|NotAllowed|InvalidTransition|CaseworkError|PydanticCustomError)"
        r'\(\s*"([a-z_]+)"'
    )
    for path in root.rglob("*.py"):
        codes.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert codes, "the pattern found no error codes"
    missing = sorted(c for c in codes if f"error.{c}" not in catalogue("es"))
    assert missing == []


def test_language_from_flag_or_locale(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert detect_language("en") == "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert detect_language(None) == "en"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert detect_language(None) == "es"


def test_messages_are_formatted_in_both_languages() -> None:
    assert "12.345.678-9" in t(
        "error.rut_check_digit", lang="es", value="12.345.678-9", expected="5"
    )
    assert "should be 5" in t("error.rut_check_digit", lang="en", value="x", expected="5")


def test_catalogues_have_the_same_placeholders_per_key() -> None:
    """A message whose translation lost or renamed a {placeholder} shows it raw or
    drops the value: each key has the same placeholders in both languages."""
    placeholder = re.compile(r"\{(\w*)[^}]*\}")
    es, en = catalogue("es"), catalogue("en")
    differ = {
        key: (sorted(set(placeholder.findall(es[key]))), sorted(set(placeholder.findall(en[key]))))
        for key in es.keys() & en.keys()
        if set(placeholder.findall(es[key])) != set(placeholder.findall(en[key]))
    }
    assert differ == {}


def test_an_invalid_input_names_fields_by_their_label_never_by_their_location() -> None:
    from casework.errors import FieldError, InvalidInput

    error = InvalidInput(
        [
            FieldError("person.documents.0.number", "required"),
            FieldError("username", "required"),
            FieldError("person.internal_thing.3", "required"),
        ]
    )
    spanish = error.message("es")
    assert spanish.startswith("Número de documento: ")
    assert "; Usuario: " in spanish
    for raw in ("person.", "documents.0", "username:", "internal_thing"):
        assert raw not in spanish
    assert error.message("en").startswith("Document number: ")


def test_no_key_is_written_in_two_catalogue_files() -> None:
    """Catalogues are merged by key: a key in two files would silently win in one of them
    (an import error once came out with its raw ``{field}`` placeholder that way)."""
    import tomllib
    from importlib import resources

    from casework.i18n import _flatten

    folder = resources.files("casework.i18n")
    for lang in ("es", "en"):
        owner: dict[str, str] = {}
        twice: list[str] = []
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not (entry.name == f"{lang}.toml" or entry.name.startswith(f"{lang}-")):
                continue
            if not entry.name.endswith(".toml"):
                continue
            keys: dict[str, str] = {}
            _flatten("", tomllib.loads(entry.read_text(encoding="utf-8")), keys)
            for key in keys:
                if key in owner:
                    twice.append(f"{key}: {owner[key]} and {entry.name}")
                owner[key] = entry.name
        assert twice == []
