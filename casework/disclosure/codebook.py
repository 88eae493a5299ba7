"""Codebook of the Panel export: the fixed table set, its categories and the mappings.

Everything the export can ever write as a category comes from here, from an ISO 3166-1
alpha-3 nationality code or from a 5-digit CUT commune code (both validated), so the
output can be checked against an allowlist. Bump :data:`SCHEMA_VERSION` whenever a table,
a dimension, a category or a mapping changes: the Panel refuses to combine files of
different versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SCHEMA_VERSION: Final = "panel-v1"
"""Version of the table set, the categories and the mappings below."""

STATUS_MAP_VERSION: Final = "situacion-v1"
"""Version of :data:`STATUS_MAP` (recorded in the metadata of every export)."""

TOTAL: Final = "total"
"""Dimension value of the total row of a table."""
NO_INFORMA: Final = "no_informa"
"""Value missing in the case file."""
OTHER_NATIONALITY: Final = "otras"
"""Nationalities with fewer than k persons in the calendar year."""
OTHER_COMMUNE_REGION: Final = "otra_comuna_region"
"""Communes of the municipality's own region with fewer than k persons in the year."""
OTHER_REGION: Final = "otra_region"
"""Communes of other regions with fewer than k persons in the year."""

SEX_MAP: Final[dict[str | None, str]] = {
    "F": "mujer",
    "M": "hombre",
    "X": "otra_no_informa",
    None: "otra_no_informa",
}
"""Sex or gender in the case file → export category (non-binary merged with missing)."""
SEX_CATEGORIES: Final = ("mujer", "hombre", "otra_no_informa")

AGE_BANDS: Final[tuple[tuple[str, int, int], ...]] = (
    ("0-13", 0, 13),
    ("14-17", 14, 17),
    ("18-29", 18, 29),
    ("30-44", 30, 44),
    ("45-59", 45, 59),
    ("60+", 60, 130),
)
"""Age bands (whole years at the end of the period); <14 and 14–17 follow Ley 21.719."""
AGE_CATEGORIES: Final = (*(band[0] for band in AGE_BANDS), NO_INFORMA)
MAX_AGE: Final = 130

STATUS_MAP: Final[dict[str, str]] = {
    "no_permit": "irregular",
    "transit_expired": "irregular",
    "temporary_expired": "irregular",
    "transit_valid": "regular",
    "chilean": "regular",
    "temporary_in_process": "en_tramite",
    "permanent_in_process": "en_tramite",
    "temporary": "regular",
    "permanent": "regular",
    "nationalised": "regular",
    "refugee_applicant": "refugio",
    "refugee": "refugio",
    "stateless": "refugio",
    "unknown": NO_INFORMA,
}
"""Migration status in the case file → one of the export categories (version
:data:`STATUS_MAP_VERSION`). ``en_tramite`` is any residence application still pending
(temporary or permanent); ``refugio`` is international protection: refugee, applicant or
stateless; a nationalised person, a Chilean by birth or filiation and a visitor whose
transit permit is still valid are ``regular``; an expired permit is ``irregular``;
``unknown`` and a missing status are ``no_informa``, kept as its own category (never merged
into a status)."""
STATUS_CATEGORIES: Final = ("regular", "irregular", "en_tramite", "refugio", NO_INFORMA)

AREA_MAP: Final[dict[str, str]] = {
    "health": "salud",
    "housing": "vivienda",
    "legal": "juridica",
    "education": "educacion",
    "employment": "empleo",
    "social_protection": "proteccion_social",
    "violence_protection": "proteccion_violencia",
    "regularization": "regularizacion",
    "other": "otra",
}
"""Service area of a referral → export category."""
AREA_CATEGORIES: Final = tuple(AREA_MAP.values())

OUTCOME_MAP: Final[dict[str, str]] = {
    "completed": "completada",
    "pending": "pendiente",
    "not_completed": "no_completada",
}
"""Outcome group of a referral → export category."""
OUTCOME_CATEGORIES: Final = ("completada", "pendiente", "no_completada")
OUTCOME_PRIORITY: Final[dict[str, int]] = {"completada": 3, "pendiente": 2, "no_completada": 1}
"""A person referred several times to one area is counted once in that area, with the
best outcome among those referrals: completed, else pending, else not completed. So the
outcome cells of an area add up to the persons referred to that area."""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table of the fixed set."""

    table_id: str
    dimensions: tuple[str, ...]
    title_es: str
    zeros_suppressed: bool = False
    """Zeros are suppressed too, so a suppressed cell never proves that someone is there."""
    has_total: bool = False
    """The table carries a ``total`` row: the persons served in the period."""


T1: Final = TableSpec(
    "t1_nacionalidad", ("nacionalidad",), "Personas atendidas según nacionalidad", has_total=True
)
T2: Final = TableSpec("t2_sexo", ("sexo",), "Personas atendidas según sexo", has_total=True)
T3: Final = TableSpec(
    "t3_tramo_edad", ("tramo_edad",), "Personas atendidas según tramo de edad", has_total=True
)
T4: Final = TableSpec(
    "t4_situacion_migratoria",
    ("situacion_migratoria",),
    "Personas atendidas según situación migratoria",
    zeros_suppressed=True,
    has_total=True,
)
T5: Final = TableSpec(
    "t5_comuna", ("comuna",), "Personas atendidas según comuna de residencia", has_total=True
)
T6: Final = TableSpec("t6_derivados_area", ("area",), "Personas derivadas según área de servicio")
T7: Final = TableSpec(
    "t7_resultado_area",
    ("area", "resultado"),
    "Personas derivadas según área de servicio y resultado de la derivación",
)
TABLES: Final = (T1, T2, T3, T4, T5, T6, T7)
"""The fixed table set, in export order."""
TABLES_BY_ID: Final = {spec.table_id: spec for spec in TABLES}
PERSON_TABLES: Final = (T1, T2, T3, T4, T5)
"""Tables that partition the persons served; they share the ``total`` row."""

LABELS_ES: Final[dict[str, dict[str, str]]] = {
    "nacionalidad": {
        "*": "código ISO 3166-1 alfa-3 de las nacionalidades con al menos k personas en el año",
        OTHER_NATIONALITY: "otras nacionalidades (menos de k personas en el año)",
        NO_INFORMA: "no informa",
    },
    "sexo": {"mujer": "mujer", "hombre": "hombre", "otra_no_informa": "otra o no informa"},
    "tramo_edad": {
        "0-13": "0 a 13 años",
        "14-17": "14 a 17 años",
        "18-29": "18 a 29 años",
        "30-44": "30 a 44 años",
        "45-59": "45 a 59 años",
        "60+": "60 años o más",
        NO_INFORMA: "no informa",
    },
    "situacion_migratoria": {
        "regular": "residencia vigente o nacionalizada",
        "irregular": "sin permiso o con permiso vencido",
        "en_tramite": "solicitud de residencia en trámite",
        "refugio": "refugio, solicitud de refugio o apatridia",
        NO_INFORMA: "no informa",
    },
    "comuna": {
        "*": "código CUT de las comunas con al menos k personas en el año",
        OTHER_COMMUNE_REGION: "otra comuna de la región del municipio",
        OTHER_REGION: "comuna de otra región",
        NO_INFORMA: "no informa",
    },
    "area": {
        "salud": "salud",
        "vivienda": "vivienda",
        "juridica": "orientación jurídica",
        "educacion": "educación",
        "empleo": "empleo",
        "proteccion_social": "protección social",
        "proteccion_violencia": "protección frente a la violencia",
        "regularizacion": "regularización migratoria",
        "otra": "otra",
    },
    "resultado": {
        "completada": "completada (alguna derivación del área se completó)",
        "pendiente": "pendiente",
        "no_completada": "no completada",
    },
}
"""Spanish labels of the categories, written into the metadata of every export."""

FLAG_PUBLISHED: Final = "rounded"
"""Published count, rounded to the rounding base (every published count carries it)."""
FLAG_EXACT: Final = ""
"""Published count without rounding (only when the rounding base is 1)."""
FLAG_SUPPRESSED: Final = "suppressed"
"""Count withheld; primary and secondary suppressions are not told apart."""
FLAGS: Final = (FLAG_PUBLISHED, FLAG_EXACT, FLAG_SUPPRESSED)


def reading_note_es(k: int, rounding_base: int, min_table_total: int) -> str:
    """Spanish note on how to read the export (no figure about suppressed groups)."""
    rounding = (
        f"Las cifras publicadas están redondeadas al múltiplo de {rounding_base} más cercano "
        "(nunca por debajo del umbral), por lo que una tabla puede no sumar su total y los "
        "totales de distintas tablas o periodos pueden no calzar entre sí. "
        if rounding_base > 1
        else "Las cifras publicadas no están redondeadas. "
    )
    return (
        "Cómo leer estas tablas. Cada cifra cuenta personas distintas atendidas en el "
        "periodo (un trimestre o un año calendario), no atenciones ni derivaciones: una "
        "persona cuenta una sola vez en cada tabla, y en las tablas de derivaciones una vez "
        "por área, con el mejor resultado obtenido en esa área. "
        f"{rounding}"
        f"Una celda con la marca «suppressed» y sin cifra fue suprimida: o bien tiene menos "
        f"de {k} personas, o bien se ocultó para que ninguna cifra pequeña pueda calcularse "
        "por diferencia con los totales, con otras tablas o con otros periodos ya "
        "publicados; no se indica cuál de las dos razones aplica. En la tabla de situación "
        "migratoria también se suprimen los ceros, de modo que una celda suprimida no "
        "indica que haya personas en ella, y se suprime la tabla completa cuando casi "
        "todas las personas comparten una misma situación. "
        f"Si el periodo tiene menos de {min_table_total} personas atendidas, las tablas de "
        "personas publican sólo su total; si tiene menos de "
        f"{min_table_total} personas derivadas, las tablas de derivaciones se suprimen. "
        f"Las nacionalidades y comunas con menos de {k} personas en el año se agrupan en "
        "«otras», con la misma agrupación en los cuatro trimestres y el año. Las edades se "
        "publican sólo por tramos y las fechas sólo como el periodo. Las personas que "
        "pidieron quedar fuera de las estadísticas no se cuentan. Una publicación marcada "
        "como revisión reemplaza a una anterior del mismo periodo."
    )


RULES_ES: Final[dict[str, str]] = {
    "unidad": "personas distintas; nunca atenciones ni derivaciones",
    "generalizacion": (
        "edad en tramos; fechas sólo como periodo; nacionalidades y comunas con menos de k "
        "personas en el año agrupadas, igual para los cuatro trimestres y el año"
    ),
    "supresion_primaria": (
        "cifras entre 1 y k-1; también los ceros en la tabla de situación migratoria; "
        "tabla con total menor que el mínimo: sólo el total"
    ),
    "divulgacion_de_grupo": (
        "si el total menos la situación migratoria más frecuente es menor que k, se suprime "
        "la tabla de situación migratoria"
    ),
    "supresion_secundaria": (
        "ninguna celda suprimida puede deducirse de las cifras publicadas, los totales, las "
        "demás tablas ni los trimestres y el año ya publicados (suponiendo que el año es la "
        "suma de sus trimestres); en cada fila con celdas suprimidas, éstas suman al menos k"
    ),
    "redondeo": "determinista al múltiplo de la base más cercano, nunca por debajo de k",
    "revisiones": (
        "una nueva publicación de un periodo ya publicado mantiene suprimido lo que estaba "
        "suprimido y suprime las cifras cuyo cambio visible podría ser menor que k"
    ),
}
"""Spanish summary of the rules applied (written into the metadata)."""
