"""Why a pair scored as it did: reason codes and their Spanish / English text."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["REASON_TEXT", "Reason", "describe"]


@dataclass(frozen=True)
class Reason:
    """One piece of evidence. `params` always holds "weight" (signed log2 Bayes factor of this
    field, formatted "+6.2"); some codes add "type" (document type), "value" (the agreeing
    normalised value), "frequency" ("common" / "usual" / "rare" for term-frequency-adjusted
    names), "records" (how many records carry a shared phone or document number) or "field"
    (an extra field's key)."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def weight(self) -> float:
        try:
            return float(self.params.get("weight", "0"))
        except ValueError:
            return 0.0


# code -> (Spanish, English). "{type}", "{field}" are filled from params.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "same_document": ("mismo {type}", "same {type}"),
    "similar_document": ("{type} casi igual (¿error de tipeo?)", "{type} nearly equal (typo?)"),
    "different_document": ("distinto {type}", "different {type}"),
    "same_given_names": ("mismos nombres", "same given names"),
    "phonetic_given_name": ("nombre que suena igual", "given name sounds the same"),
    "given_name_shortened": ("nombre compuesto abreviado", "compound given name shortened"),
    "similar_given_names": ("nombres parecidos", "similar given names"),
    "given_names_partly_different": ("nombres en parte distintos", "given names partly differ"),
    "given_name_other_gender": (
        "nombre en masculino / femenino",
        "masculine / feminine form of the name",
    ),
    "different_given_names": ("nombres distintos", "different given names"),
    "same_first_surname": ("mismo primer apellido", "same first surname"),
    "same_second_surname": ("mismo segundo apellido", "same second surname"),
    "surnames_swapped": ("apellidos invertidos", "surnames swapped"),
    "surname_in_other_position": (
        "apellido en la otra posición",
        "surname in the other position",
    ),
    "second_surname_missing": ("falta el segundo apellido", "second surname missing"),
    "phonetic_surname": ("apellido que suena igual", "surname sounds the same"),
    "similar_surname": ("apellido parecido", "similar surname"),
    "different_surname": ("apellido distinto", "different surname"),
    "different_second_surname": ("segundo apellido distinto", "different second surname"),
    "surnames_in_one_field": (
        "ambos apellidos en un solo campo",
        "both surnames typed in one field",
    ),
    "given_surname_swapped": (
        "nombre y apellido intercambiados",
        "given name and surname swapped",
    ),
    "same_birth_date": ("misma fecha de nacimiento", "same date of birth"),
    "same_placeholder_birth_date": (
        "misma fecha de nacimiento (1 de enero / 1 de julio, poco informativa)",
        "same date of birth (1 January / 1 July, little information)",
    ),
    "dob_day_month_swapped": (
        "día y mes de nacimiento invertidos",
        "day and month of birth swapped",
    ),
    "dob_year_off_by_one": ("año de nacimiento difiere en uno", "birth year off by one"),
    "dob_placeholder_same_year": (
        "mismo año de nacimiento; una fecha es 1 de enero (edad estimada)",
        "same birth year; one date is 1 January (estimated age)",
    ),
    "dob_one_digit": ("fecha de nacimiento con un dígito distinto", "date of birth one digit off"),
    "dob_two_digits": (
        "fecha de nacimiento con dos dígitos distintos",
        "date of birth two digits off",
    ),
    "dob_close": ("fechas de nacimiento cercanas (menos de un año)", "birth dates within a year"),
    "different_birth_date": ("fecha de nacimiento distinta", "different date of birth"),
    "same_phone": ("mismo teléfono", "same phone"),
    "different_phone": ("teléfonos distintos", "different phones"),
    "same_sex": ("mismo sexo", "same sex"),
    "different_sex": ("sexo distinto", "different sex"),
    "same_nationality": ("misma nacionalidad", "same nationality"),
    "different_nationality": ("nacionalidad distinta", "different nationality"),
    "same_extra": ("mismo dato: {field}", "same {field}"),
    "similar_extra": ("dato parecido: {field}", "similar {field}"),
    "different_extra": ("dato distinto: {field}", "different {field}"),
    "possible_namesake": (
        "parece otra persona con el mismo nombre (fecha u otros datos no calzan)",
        "looks like another person with the same name (date or other data disagree)",
    ),
    "possible_sibling": (
        "parece un hermano o hermana (apellidos compartidos, otro nombre o fecha)",
        "looks like a sibling (shared surnames, another name or date)",
    ),
    "possible_relative": (
        "parece un familiar (apellidos, teléfono o fecha compartidos)",
        "looks like a relative (shared surnames, phone or birth date)",
    ),
}

_DOC_TYPE_TEXT: dict[str, tuple[str, str]] = {
    "run": ("RUN", "RUN"),
    "rut": ("RUT", "RUT"),
    "run_provisorio": ("RUN provisorio", "provisional RUN"),
    "passport": ("pasaporte", "passport"),
    "national_id": ("documento de identidad", "national ID"),
    "ipe": ("IPE", "IPE"),
    "ipa": ("IPA", "IPA"),
    "other": ("documento", "document"),
}


def describe(reason: Reason, lang: str = "es") -> str:
    """Human text for a reason, in Spanish ("es", default) or English ("en").

    >>> describe(Reason("same_document", {"type": "passport"}))
    'mismo pasaporte'
    >>> describe(Reason("surnames_swapped"), "en")
    'surnames swapped'
    """
    idx = 1 if lang.lower().startswith("en") else 0
    template = REASON_TEXT.get(reason.code)
    if template is None:
        return reason.code.replace("_", " ")
    doc = reason.params.get("type", "other")
    doc_text = _DOC_TYPE_TEXT.get(doc, (doc, doc))[idx]
    return template[idx].format(type=doc_text, field=reason.params.get("field", ""))
