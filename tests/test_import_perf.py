"""The import's faster paths store exactly what the desk's own would: Chilean phones read
without phonenumbers, names' keys remembered per name, rows written as driver values."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from casework.db import Database
from casework.errors import InvalidInput
from casework.models import IdentityDocument, ImportRef, Person, PersonKey
from casework.services import keys
from casework.services.context import Context, validate
from casework.services.import_read import open_source
from casework.services.importing import chilean_phone, import_persons
from casework.services.schemas import PersonIn, WorkerOut
from casework.synthetic.documents import run_text
from casework.synthetic.population import NATIONALITY_WEIGHTS, demo_person, weighted


def _phones(rng: random.Random) -> list[str]:
    """Phones as desks type them, the commonest and the odd ones."""
    out = ["+56912345678", "912345678", "9 1234 5678", "+56 9 1234 5678", "22 234 5678"]
    out += ["+56 2 2345 6789", "56912345678", "+569-1234-5678", "(+56) 9 1234 5678"]
    out += ["12345678", "1 2345 6789", "0912345678", "+1 202 555 0143", "+51 987 654 321"]
    out += ["+56 1 2345 6789", "+56 0 2345 6789", "9123 45678", " 912345678", "9  1234 5678"]
    for _ in range(300):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.choice((8, 9, 9, 9, 10))))
        spaced = " ".join(digits[i : i + rng.choice((1, 3, 4))] for i in range(0, len(digits), 4))
        out.append(rng.choice(("", "+56", "+56 ", "56", "+")) + rng.choice((digits, spaced)))
    return out


def _desk_phone(text: str) -> str | None:
    """What PersonIn stores for a phone (None: it refuses it)."""
    try:
        return validate(PersonIn, {"given_names": "A", "first_surname": "B", "phone": text}).phone
    except InvalidInput:
        return None


def test_chilean_phones_read_as_personin_reads_them() -> None:
    phones = _phones(random.Random(7))
    fast = {text: chilean_phone(text) for text in phones}
    assert {t: e for t, e in fast.items() if e is not None} == {
        t: _desk_phone(t) for t, e in fast.items() if e is not None
    }
    # The common forms take the fast path, the others are left to PersonIn.
    assert fast["9 1234 5678"] == fast["+56 9 1234 5678"] == "+56912345678"
    assert fast["22 234 5678"] == "+56222345678"
    for text in ("56912345678", "+1 202 555 0143", "12345678", "0912345678", "+569-1234-5678"):
        assert fast[text] is None
    assert sum(e is not None for e in fast.values()) > 50


def _csv(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    pick = weighted(rng, NATIONALITY_WEIGHTS)
    phones = _phones(rng)
    lines = [
        "ref;nombres;primer_apellido;segundo_apellido;sexo;fecha_nacimiento;nacionalidad;"
        "tipo_documento;numero_documento;telefono;comuna"
    ]
    for i in range(n):
        p = demo_person(rng, pick, dt.date(2026, 11, 23), lambda: "x")
        born = p["birth_date"]
        date = "" if born is None else born.strftime(rng.choice(("%Y-%m-%d", "%d/%m/%Y")))
        doc = rng.random()
        doc_type, number = (
            ("RUN", run_text(21_000_000 + i))
            if doc < 0.4
            else ("pasaporte", f"P{seed}X{i:05d}")
            if doc < 0.7
            else ("", "")
        )
        phone = rng.choice(phones) if rng.random() < 0.8 else ""
        if rng.random() < 0.2:
            phone += " / " + rng.choice(phones)
        cells = [
            f"P-{i}",
            p["given_names"],
            p["first_surname"],
            p["second_surname"] or "",
            p["sex"],
            date,
            p["nationality"],
            doc_type,
            number,
            phone,
            p["commune"],
        ]
        lines.append(";".join(c.replace(";", " ") for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PERSON_FIELDS = (
    "given_names",
    "first_surname",
    "second_surname",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "phone2",
    "commune",
)


def test_an_import_stores_what_personin_and_keys_refresh_would(
    database: Database, supervisor: WorkerOut, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "varios.csv", 160, seed=3)
    report = import_persons(Context(database, supervisor.id), path, batch_size=128)
    assert report.created > 130
    # What the desk's path makes of each row the reader gave, by reference.
    expected: dict[str, PersonIn] = {}
    for row in open_source(path).rows():
        try:
            expected[row.ref or ""] = validate(PersonIn, row.person or {})
        except InvalidInput:
            continue  # a field the import leaves empty with a warning: not compared here
    assert len(expected) > 100
    with database.write() as session:
        by_ref = {r.ref: r.person_id for r in session.scalars(sa.select(ImportRef))}
        compared = 0
        for ref, want in expected.items():
            person = session.get(Person, by_ref[ref])
            assert person is not None
            stored: dict[str, Any] = {
                f: getattr(person, f) for f in PERSON_FIELDS if f != "commune"
            }
            stored["commune"] = person.commune_code
            wanted = {f: getattr(want, f) for f in PERSON_FIELDS}
            wanted["sex"] = want.sex.value if want.sex else None
            assert stored == wanted, ref
            docs = session.execute(
                sa.select(
                    IdentityDocument.type_key, IdentityDocument.number, IdentityDocument.number_norm
                ).where(IdentityDocument.person_id == person.id)
            ).all()
            assert sorted(docs) == sorted(
                (d.type, d.number, d.normalised()) for d in want.documents
            )
            # The keys the import wrote are the ones the desk's refresh writes.
            of_person = sa.select(PersonKey.kind, PersonKey.key).where(
                PersonKey.person_id == person.id
            )
            imported = sorted(session.execute(of_person).all())
            keys.refresh(session, person)
            assert imported == sorted(session.execute(of_person).all()), ref
            compared += 1
        assert compared == len(expected)
        session.rollback()
