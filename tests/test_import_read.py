"""The import reader on messy files: encodings, separators, headers, names, dates, codes.

Every file is synthetic and written here; what is asserted is what the import would store
(PersonIn accepts it) and the Spanish warnings a user would read in the report.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from casework import clock
from casework.services.import_read import open_source, split_full_name
from casework.services.import_types import ImportFileError, ReadOptions, RowResult, SourceInfo
from casework.services.schemas import PersonIn

HEADER = "Nombres;Primer apellido;Segundo apellido;Fecha de nacimiento;Nacionalidad;Comuna"


@pytest.fixture(autouse=True)
def fixed_today() -> Iterator[None]:
    clock.freeze(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
    yield
    clock.freeze(None)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path, **options: Any) -> tuple[list[RowResult], SourceInfo]:
    source = open_source(path, ReadOptions(**options))
    return list(source.rows()), source.info


def messages(row: RowResult) -> list[str]:
    return [w.message("es") for w in row.warnings]


def accepted(row: RowResult) -> PersonIn:
    assert row.person is not None
    return PersonIn.model_validate(row.person)


# ----------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf_16_le"),  # no BOM: the detector finds it
        ("cp850", "cp850"),  # an old DOS export
    ],
)
def test_encodings_are_detected_and_recorded(tmp_path: Path, encoding: str, expected: str) -> None:
    text = f"{HEADER}\nMaría;Núñez;Peña;03-04-1990;Perú;Ñuñoa\n"
    rows, info = read(write(tmp_path, text, encoding))
    assert info.encoding == expected
    person = accepted(rows[0])
    assert (person.given_names, person.first_surname, person.second_surname) == (
        "María",
        "Núñez",
        "Peña",
    )
    assert person.commune == "13120"
    assert person.nationality == "PER"


def test_a_latin1_accent_far_into_a_utf8_looking_file_is_read(tmp_path: Path) -> None:
    lines = [HEADER] + [f"Ana{i};Soto;;;;" for i in range(30000)] + ["José;Muñoz;;;;Maipú"]
    rows, info = read(write(tmp_path, "\n".join(lines) + "\n", "cp1252"))
    assert info.encoding == "cp1252"
    assert rows[-1].person is not None
    assert rows[-1].person["given_names"] == "José"
    assert rows[-1].person["commune"] == "13119"
    assert info.total_rows == 30001


def test_a_non_latin_file_keeps_the_detectors_encoding(tmp_path: Path) -> None:
    text = "Nombres;Primer apellido\n" + "Иван;Петров\nОльга;Смирнова\nДмитрий;Кузнецов\n" * 20
    rows, info = read(write(tmp_path, text, "cp1251"))
    assert info.encoding == "cp1251"
    assert accepted(rows[0]).first_surname == "Петров"


def test_binary_data_named_csv_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "datos.csv"
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ImportFileError) as caught:
        open_source(path)
    assert "no es un archivo de texto CSV" in caught.value.message("es")


def test_an_xlsx_renamed_csv_says_so(tmp_path: Path) -> None:
    path = tmp_path / "planilla.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ImportFileError) as caught:
        open_source(path)
    assert "cámbiele la extensión a .xlsx" in caught.value.message("es")


# ----------------------------------------------------------------- separators, cells


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separators_are_counted_not_confused_by_quoted_commas(tmp_path: Path, sep: str) -> None:
    lines = [
        sep.join(["Nombre completo", "Dirección", "Comuna"]),
        sep.join(['"Pérez González, María José"', '"Calle 1, depto 2"', "Stgo."]),
        sep.join(['"Soto, Ana"', '"Av. Matta 300, of. 4"', "PAC"]),
    ]
    rows, info = read(write(tmp_path, "\n".join(lines) + "\n"))
    assert info.delimiter == sep
    first = accepted(rows[0])
    assert (first.given_names, first.first_surname, first.second_surname) == (
        "María José",
        "Pérez",
        "González",
    )
    assert first.address == "Calle 1, depto 2"
    assert first.commune == "13101"
    assert accepted(rows[1]).commune == "13121"


def test_a_formula_is_kept_as_text_never_evaluated(tmp_path: Path) -> None:
    text = 'Nombres,Apellidos,Dirección\nAna,Soto Rojas,"=HYPERLINK(""http://x"",""y"")"\n'
    rows, _ = read(write(tmp_path, text))
    assert rows[0].person is not None
    assert rows[0].person["address"] == '=HYPERLINK("http://x","y")'
    assert rows[0].person["first_surname"] == "Soto"
    assert rows[0].person["second_surname"] == "Rojas"


def test_a_cell_over_128_kb_is_left_out_with_a_warning(tmp_path: Path) -> None:
    huge = "x" * 200_000
    text = f"Nombres,Primer apellido,Dirección\nAna,Soto,{huge}\nLuis,Rojas,Calle 2\n"
    rows, _ = read(write(tmp_path, text))
    assert len(rows) == 2
    assert rows[0].person is not None and "address" not in rows[0].person
    assert messages(rows[0])[0].startswith("Dirección: la celda es demasiado larga")
    assert len(rows[0].original["Dirección"]) == 128 * 1024
    assert accepted(rows[1]).address == "Calle 2"


# ----------------------------------------------------------------- header


def test_title_rows_above_the_header_and_a_repeated_header_are_skipped(tmp_path: Path) -> None:
    text = (
        "Oficina de Migrantes - listado 2024\n"
        ";;\n"
        "Nombres;Primer apellido;Sexo\n"
        "Ana;Soto;F\n"
        "Nombres;Primer apellido;Sexo\n"
        "Luis;Rojas;Hombre\n"
    )
    rows, info = read(write(tmp_path, text))
    assert info.header_line == 3
    assert info.skipped_headers == [5]
    assert [r.person["sex"] for r in rows if r.person] == ["F", "M"]
    assert all(not r.warnings for r in rows)


def test_header_row_option_and_missing_name_column(tmp_path: Path) -> None:
    text = "Nombres;Primer apellido\nx;y\nNombres;Primer apellido\nAna;Soto\n"
    rows, info = read(write(tmp_path, text), header_row=3)
    assert info.header_line == 3
    assert [r.person["given_names"] for r in rows if r.person] == ["Ana"]
    with pytest.raises(ImportFileError) as caught:
        open_source(write(tmp_path, "Sexo;Comuna\nF;Renca\n", name="g.csv"))
    message = caught.value.message("es")
    assert "No se encontró una columna con el nombre" in message
    assert "«Sexo», «Comuna»" in message


def test_a_header_row_further_down_than_the_search(tmp_path: Path) -> None:
    text = "nota\n" * 40 + "Nombres;Primer apellido\nAna;Soto\n"
    rows, info = read(write(tmp_path, text), header_row=41)
    assert info.header_line == 41
    assert [r.person["given_names"] for r in rows if r.person] == ["Ana"]


def test_mapping_overrides_and_their_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "Beneficiaria;Apellidos;Notas\nAna;Soto Rojas;x\n")
    rows, info = read(path, mapping={"Beneficiaria": "given_names", "Notas": ""})
    assert accepted(rows[0]).second_surname == "Rojas"
    assert info.overridden == {"given_names"}
    with pytest.raises(ImportFileError) as caught:
        open_source(path, ReadOptions(mapping={"Beneficiaria": "nombre_raro"}))
    assert "«nombre_raro» no es un campo" in caught.value.message("es")
    assert "given_names" in caught.value.message("es")
    with pytest.raises(ImportFileError) as caught:
        open_source(path, ReadOptions(mapping={"Otra": "address"}))
    assert "La columna «Otra» no está en el encabezado" in caught.value.message("es")


def test_header_aliases_in_spanish_with_accents_and_punctuation(tmp_path: Path) -> None:
    text = (
        "N° Ficha,Nombre y apellidos,F. Nacimiento,País de origen,Comuna de residencia,"
        "RUT/DNI,E-mail,Domicilio,Celular\n"
        "A-1,Ana Soto,1990,haitiana,Qta. Normal,12.345.678-5,ana@x.cl,Calle 1,+56912345678\n"
    )
    rows, info = read(write(tmp_path, text))
    assert set(info.mapping) == {
        "ref",
        "full_name",
        "date_of_birth",
        "nationality",
        "commune",
        "document_number",
        "email",
        "address",
        "phone",
    }
    person = accepted(rows[0])
    assert rows[0].ref == "A-1"
    assert person.birth_date == dt.date(1990, 1, 1)
    assert person.precision.value == "year"
    assert person.nationality == "HTI"
    assert person.commune == "13126"
    assert person.documents[0].type == "run"
    assert person.documents[0].number == "12345678-5"
    assert person.email == "ana@x.cl"


# ----------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("María José Pérez González", ("María José", "Pérez", "González")),
        ("Juan del Río Soto", ("Juan", "del Río", "Soto")),
        ("Ana María de la Cruz Pérez", ("Ana María", "de la Cruz", "Pérez")),
        ("José San Martín López", ("José", "San Martín", "López")),
        ("Paulo da Silva Santos", ("Paulo", "da Silva", "Santos")),
        ("Ana Soto", ("Ana", "Soto", "")),
        ("Juan de la Cruz", ("Juan", "de la Cruz", "")),
        ("PÉREZ GONZÁLEZ, María José", ("María José", "PÉREZ", "GONZÁLEZ")),
        ("de la Cruz Pérez, Ana", ("Ana", "de la Cruz", "Pérez")),
        ("Ana", None),
    ],
)
def test_full_name_split_by_the_two_surname_convention(
    text: str, expected: tuple[str, str, str] | None
) -> None:
    assert split_full_name(text) == expected


def test_a_split_name_is_flagged_and_one_word_is_kept_to_complete(tmp_path: Path) -> None:
    text = "Nombre completo;Sexo\nMaría José Pérez González;F\nMadonna;F\n;F\n"
    rows, _ = read(write(tmp_path, text))
    assert rows[0].names_guessed
    assert messages(rows[0]) == [
        "Nombres y apellidos separados por convención, revíselos: «María José / Pérez / González»."
    ]
    assert rows[1].person is not None and rows[1].refused is None
    assert (rows[1].person["given_names"], rows[1].person["first_surname"]) == ("Madonna", "")
    assert messages(rows[1]) == [
        "Falta el apellido (la fila solo trae «Madonna»): la persona quedó registrada sin "
        "apellido; complételo en su ficha."
    ]
    assert rows[2].refused is not None
    assert rows[2].refused.message("es") == (
        "Sin nombre ni apellido: la fila no identifica a una persona."
    )


def test_a_row_with_half_a_name_keeps_its_person_saying_what_is_missing(tmp_path: Path) -> None:
    text = "Nombres;Primer apellido;Segundo apellido\n;Soto;Rojas\nAna;;\n"
    rows, _ = read(write(tmp_path, text))
    assert [r.refused for r in rows] == [None, None]
    assert [messages(r) for r in rows] == [
        [
            "Faltan los nombres (la fila solo trae «Soto Rojas»): la persona quedó registrada "
            "sin nombres; complételos en su ficha."
        ],
        [
            "Falta el apellido (la fila solo trae «Ana»): la persona quedó registrada sin "
            "apellido; complételo en su ficha."
        ],
    ]


def test_a_lone_nombre_column_is_the_full_name(tmp_path: Path) -> None:
    rows, info = read(write(tmp_path, "Nombre;Comuna\nAna Soto Rojas;Renca\n"))
    assert "full_name" in info.mapping
    assert accepted(rows[0]).second_surname == "Rojas"


# ----------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("45124", dt.date(2023, 7, 17)),
        ("32966", dt.date(1990, 4, 3)),
        ("03-04-1990", dt.date(1990, 4, 3)),
        ("03/04/1990", dt.date(1990, 4, 3)),
        ("03.04.1990", dt.date(1990, 4, 3)),
        ("03-04-90", dt.date(1990, 4, 3)),
        ("03/04/15", dt.date(2015, 4, 3)),
        ("1990-04-03", dt.date(1990, 4, 3)),
        ("1990/04/03", dt.date(1990, 4, 3)),
        ("1990-04-03 00:00:00", dt.date(1990, 4, 3)),
        ("19900403", dt.date(1990, 4, 3)),
    ],
)
def test_birth_dates_as_offices_type_them(tmp_path: Path, cell: str, expected: dt.date) -> None:
    rows, _ = read(write(tmp_path, f"Nombres;Primer apellido;Fecha nac.\nAna;Soto;{cell}\n"))
    assert accepted(rows[0]).birth_date == expected
    assert rows[0].warnings == []


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1990-04-03xyz", "Fecha de nacimiento ilegible y quedó vacía: «1990-04-03xyz»."),
        ("31-02-1990", "Fecha de nacimiento ilegible y quedó vacía: «31-02-1990»."),
        ("01-01-2030", "Fecha de nacimiento en el futuro y quedó vacía: «01-01-2030»."),
        ("01-01-1850", "Fecha de nacimiento anterior a 1900 y quedó vacía: «01-01-1850»."),
    ],
)
def test_unreadable_dates_keep_the_person_with_a_warning(
    tmp_path: Path, cell: str, message: str
) -> None:
    rows, _ = read(write(tmp_path, f"Nombres;Primer apellido;Fecha nac.\nAna;Soto;{cell}\n"))
    person = accepted(rows[0])
    assert person.birth_date is None
    assert messages(rows[0]) == [message]


# ----------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("Stgo Centro", "13101"),
        ("Stgo.", "13101"),
        ("Est. Central", "13106"),
        ("Estacion Central", "13106"),
        ("La Florida, RM", "13110"),
        ("Pdte. Aguirre Cerda", "13121"),
        ("PAC", "13121"),
        ("Nunoa", "13120"),
        ("Pte. Alto", "13201"),
        ("13101", "13101"),
        ("Temuco", "09101"),
    ],
)
def test_communes_by_name_code_or_desk_abbreviation(tmp_path: Path, cell: str, code: str) -> None:
    rows, _ = read(write(tmp_path, f"Nombres;Primer apellido;Comuna\nAna;Soto;{cell}\n"))
    assert accepted(rows[0]).commune == code


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("venezolana", "VEN"),
        ("Venezolano", "VEN"),
        ("VE", "VEN"),
        ("VEN", "VEN"),
        ("Haiti", "HTI"),
        ("haitian", "HTI"),
        ("peruana", "PER"),
        ("colombiana", "COL"),
        ("boliviana", "BOL"),
        ("dominicana", "DOM"),
        ("cubana", "CUB"),
        ("ecuatoriana", "ECU"),
        ("argentina", "ARG"),
        ("china", "CHN"),
        ("Chilena", "CHL"),
    ],
)
def test_nationalities_by_name_demonym_or_iso_code(tmp_path: Path, cell: str, code: str) -> None:
    rows, _ = read(write(tmp_path, f"Nombres;Primer apellido;Nacionalidad\nAna;Soto;{cell}\n"))
    assert accepted(rows[0]).nationality == code


def test_unknown_codes_are_left_empty_with_spanish_warnings(tmp_path: Path) -> None:
    text = "Nombres;Primer apellido;Comuna;Nacionalidad;Sexo\nAna;Soto;Gotham;Narnia;Q\n"
    rows, _ = read(write(tmp_path, text))
    person = accepted(rows[0])
    assert (person.commune, person.nationality, person.sex) == (None, None, None)
    assert messages(rows[0]) == [
        "Sexo no reconocido y quedó vacío: «Q» (use F, M o X).",
        "Nacionalidad no reconocida y quedó vacía: «Narnia».",
        "Comuna no reconocida y quedó vacía: «Gotham».",
    ]


@pytest.mark.parametrize(
    ("cell", "code"),
    [("Femenino", "F"), ("mujer", "F"), ("H", "M"), ("V", "M"), ("Varón", "M"), ("x", "X")],
)
def test_sex_words(tmp_path: Path, cell: str, code: str) -> None:
    rows, _ = read(write(tmp_path, f"Nombres;Primer apellido;Sexo\nAna;Soto;{cell}\n"))
    assert accepted(rows[0]).sex == code


def test_documents_run_check_digit_and_types(tmp_path: Path) -> None:
    text = (
        "Nombres;Primer apellido;Tipo de documento;Número de documento\n"
        "Ana;Soto;RUN;12345678\n"
        "Luis;Rojas;RUT;12.345.678-4\n"
        "Eva;Díaz;Pasaporte;AB123456\n"
        "Rosa;Mena;;12.345.678-5\n"
        "Juan;Vera;Carnet de biblioteca;555\n"
    )
    rows, _ = read(write(tmp_path, text))
    assert messages(rows[0]) == [
        "El RUN «12345678» no trae dígito verificador (ej.: 12.345.678-5); "
        "el documento quedó fuera."
    ]
    assert messages(rows[1]) == [
        "El dígito verificador del RUN «12.345.678-4» no corresponde; el documento quedó fuera."
    ]
    assert [(d.type, d.number) for d in accepted(rows[2]).documents] == [("passport", "AB123456")]
    assert [(d.type, d.normalised()) for d in accepted(rows[3]).documents] == [
        ("run", "12345678-5")
    ]
    assert messages(rows[4]) == [
        "Tipo de documento no reconocido: «Carnet de biblioteca»; el documento quedó fuera."
    ]
    for row in rows:
        accepted(row)


def test_phones_as_typed_two_in_one_cell_and_letters_warned(tmp_path: Path) -> None:
    text = (
        "Nombres;Primer apellido;Teléfono\n"
        "Ana;Soto;9 1234 5678 / 2 2345 6789\n"
        "Luis;Rojas;llamar a la vecina\n"
        "Eva;Díaz;2234567 / +509 3712 3456\n"
    )
    rows, _ = read(write(tmp_path, text))
    first = accepted(rows[0])
    assert (first.phone, first.phone2) == ("+56912345678", "+56223456789")
    assert accepted(rows[1]).phone is None
    assert messages(rows[1]) == ["Teléfono no válido y quedó fuera: «llamar a la vecina»."]
    third = accepted(rows[2])
    assert (third.phone, third.phone2) == ("+50937123456", None)
    assert messages(rows[2]) == ["Teléfono no válido y quedó fuera: «2234567»."]


def test_fingerprint_ignores_the_ref_and_the_visit(tmp_path: Path) -> None:
    text = (
        "Ref;Nombres;Primer apellido;Fecha;Motivo\n"
        "1;Ana;Soto;01-02-2024;Salud\n"
        "2;Ana;Soto;05-03-2024;Vivienda\n"
        "3;Ana;Soto Díaz;05-03-2024;Vivienda\n"
    )
    rows, _ = read(write(tmp_path, text), kind="visits")
    assert rows[0].fingerprint == rows[1].fingerprint != rows[2].fingerprint
    assert [r.ref for r in rows] == ["1", "2", "3"]


# ----------------------------------------------------------------- visits


def test_visits_read_date_reasons_and_texts(tmp_path: Path) -> None:
    text = (
        "Nombre completo;Fecha de atención;Motivo de consulta;Programa;Derivado a;Observaciones\n"
        "Ana Soto Rojas;03-04-24;Salud, Vivienda y trámite raro;Migrantes;CESFAM;Vino con hija\n"
        "Luis Rojas;ayer;regularization;;;\n"
    )
    rows, _ = read(write(tmp_path, text), kind="visits")
    assert rows[0].visit == {
        "date": dt.date(2024, 4, 3),
        "reasons": ["health", "housing"],
        "unknown_reasons": ["trámite raro"],
        "reasons_text": "Salud, Vivienda y trámite raro",
        "programme": "Migrantes",
        "destination": "CESFAM",
        "note": "Vino con hija",
    }
    assert "Motivo no reconocido: «trámite raro» (queda en el texto de la atención)." in messages(
        rows[0]
    )
    assert rows[1].visit is not None and rows[1].visit["date"] is None
    assert rows[1].visit["reasons"] == ["regularization"]
    assert "Fecha de atención ilegible y quedó vacía: «ayer»." in messages(rows[1])


# ----------------------------------------------------------------- XLSX


def _workbook(path: Path) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Resumen"
    first.append(["Total", 2])
    second = book.create_sheet("Personas 2024")
    second.append(["Listado de la oficina"])
    second.append(["Nombres", "Apellidos", "Fecha nac.", "RUN", "Celular", "Ficha"])
    second.append(["Ana", "Soto Rojas", dt.datetime(1990, 4, 3), "12.345.678-5", 912345678, 101])
    second.append(["Luis", "Rojas", 32966, 12345678, 987654321.0, 102])
    book.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Personas 2024", "personas 2024", "2"])
def test_xlsx_sheet_by_name_or_number_with_typed_cells(tmp_path: Path, sheet: str) -> None:
    rows, info = read(_workbook(tmp_path / "lista.xlsx"), sheet=sheet)
    assert info.sheet == "Personas 2024"
    assert info.sheets == ["Resumen", "Personas 2024"]
    assert info.header_line == 2
    ana, luis = (accepted(r) for r in rows)
    assert ana.birth_date == dt.date(1990, 4, 3)
    assert ana.phone == "+56912345678"
    assert rows[0].ref == "101"
    assert luis.birth_date == dt.date(1990, 4, 3)
    assert luis.phone == "+56987654321"
    assert rows[1].original["RUN"] == "12345678"
    assert messages(rows[1]) == [
        "El RUN «12345678» no trae dígito verificador (ej.: 12.345.678-5); "
        "el documento quedó fuera."
    ]


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "lista.xlsx")
    with pytest.raises(ImportFileError) as caught:
        open_source(path, ReadOptions(sheet="Atenciones"))
    assert caught.value.message("es") == (
        "La hoja «Atenciones» no existe en lista.xlsx. "
        "Hojas del archivo: «Resumen», «Personas 2024»."
    )


def _hand_made_xlsx(path: Path) -> Path:
    """A workbook as Excel writes it (shared strings, styles for dates), not as openpyxl
    does: the reader's own XML path must read the same values as openpyxl."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/'
            'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/styles" '
            f'Target="styles.xml"/><Relationship Id="rId3" Type="{rel}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0"?><styleSheet xmlns="{ns}"><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2">'
            '<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?><sst xmlns="{ns}" count="6" uniqueCount="6">'
            "<si><t>Nombre completo</t></si><si><t>Fecha nac.</t></si><si><t>RUN</t></si>"
            "<si><t>Nota</t></si><si><r><t>Ana </t></r><r><rPr><b/></rPr><t>Soto &amp; Cía"
            '</t></r><rPh sb="0" eb="1"><t>ソト</t></rPh></si><si><t>Luis Rojas</t></si></sst>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet xmlns="{ns}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
            '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" s="1"><v>32966</v></c>'
            '<c r="C2"><v>12345678</v></c><c r="D2" t="str"><f>"=x"&amp;1</f><v>=x1</v></c>'
            "</row>"
            '<row r="4"><c r="A4" t="s"><v>5</v></c><c r="C4"><v>1.5E+7</v></c>'
            '<c r="D4" t="inlineStr"><is><t xml:space="preserve"> a &lt;b&gt; </t></is></c>'
            '<c r="E4" t="b"><v>1</v></c><c r="F4" t="e"><v>#N/A</v></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_xlsx_as_excel_writes_it_reads_like_openpyxl(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from casework.services.import_read import _cell_text

    path = _hand_made_xlsx(tmp_path / "excel.xlsx")
    rows, info = read(path)
    assert info.columns == ["Nombre completo", "Fecha nac.", "RUN", "Nota"]
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].original == {
        "Nombre completo": "Ana Soto & Cía",
        "Fecha nac.": "1990-04-03",
        "RUN": "12345678",
        "Nota": "=x1",
    }
    assert rows[1].original["RUN"] == "15000000"
    assert rows[1].original["Nota"] == " a <b> "
    book = load_workbook(path, read_only=True, data_only=True)
    expected = [
        [_cell_text(v) for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
        if any(v is not None for v in row)
    ]
    book.close()
    got = [list(r.original.values()) for r in rows]
    assert [row[:4] for row in expected[1:]] == got


def test_every_commune_by_its_name_and_an_empty_file(tmp_path: Path) -> None:
    from casework import refdata

    for commune in refdata.communes():
        found = refdata.match_commune(commune.name.upper() + ", Chile")
        assert found is not None and found.code == commune.code, commune.name
    with pytest.raises(ImportFileError) as caught:
        open_source(write(tmp_path, "\n\n"))
    assert caught.value.message("es") == "f.csv está vacío."


def test_map_takes_the_fields_names_as_shown_and_a_formula_is_flagged(tmp_path: Path) -> None:
    """``--map "N°=Referencia"`` as the preview names the field; a cell such as
    =HYPERLINK("x") is kept as text with a warning to check it."""
    path = write(tmp_path, 'N°;Nombres;Apellido\n7;=HYPERLINK("x");Pérez\n')
    source = open_source(path, ReadOptions(mapping={"N°": "Referencia"}))
    assert source.info.mapping["ref"] == 0
    row = next(source.rows())
    assert row.ref == "7" and row.person is not None
    assert row.person["given_names"] == '=HYPERLINK("x")'
    assert [i.code for i in row.warnings] == ["formula_text"]
    assert "fórmula" in row.warnings[0].message("es")


def test_a_workbook_whose_list_is_on_another_sheet_says_so(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Resumen 2024"
    first.append(["Total", 3])
    other = book.create_sheet("Personas")
    other.append(["Nombres", "Primer apellido"])
    other.append(["Ana", "Soto"])
    path = tmp_path / "libro.xlsx"
    book.save(path)
    with pytest.raises(ImportFileError) as err:
        open_source(path, ReadOptions())
    text = err.value.message("es")
    assert "«Resumen 2024»" in text and "«Personas»" in text and "--sheet" in text
    assert "full_name" not in text
    assert open_source(path, ReadOptions(sheet="Personas")).info.sheet == "Personas"


def test_a_field_given_to_another_column_is_taken_from_the_guessed_one(tmp_path: Path) -> None:
    """``--map Comuna=Teléfono``: Comuna is read as the phone, the Teléfono column is left out
    (once the field went to the guessed column and the choice was silently dropped)."""
    path = write(tmp_path, "Nombres;Apellido;Teléfono;Comuna\nAna;Soto;x;987654321\n")
    info = open_source(path, ReadOptions(mapping={"Comuna": "Teléfono"})).info
    assert info.mapping["phone"] == 3
    assert info.unused_columns() == ["Teléfono"]
