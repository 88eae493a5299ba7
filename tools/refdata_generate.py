"""Regenerate casework/data/communes.csv and countries.csv (a maintainer's tool; not shipped).

Usage: pip download --no-deps django-chile-cities==1.0.1 && unzip the wheel somewhere, then
    python tools/refdata_generate.py PATH/TO/django_chile_cities/fixtures
(needs pycountry for the Spanish country names).
"""

import csv
import gettext
import json
import pathlib
import sys

import pycountry

FIX = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "django_chile_cities/fixtures")
OUT = pathlib.Path(__file__).resolve().parents[1] / "casework" / "data"
REVIEWED = "2026-11-23"

REGION_NAMES = {
    15: "Arica y Parinacota",
    1: "Tarapacá",
    2: "Antofagasta",
    3: "Atacama",
    4: "Coquimbo",
    5: "Valparaíso",
    13: "Metropolitana de Santiago",
    6: "Libertador General Bernardo O'Higgins",
    7: "Maule",
    16: "Ñuble",
    8: "Biobío",
    9: "La Araucanía",
    14: "Los Ríos",
    10: "Los Lagos",
    11: "Aysén del General Carlos Ibáñez del Campo",
    12: "Magallanes y de la Antártica Chilena",
}
PROVINCE_FIX = {"Bío Bío": "Biobío", "Aisén": "Aysén", "Coihaique": "Coyhaique"}
COMMUNE_FIX = {"Macúl": "Macul", "Ohiggins": "O'Higgins", "Aisén": "Aysén"}
COMMUNE_ALIASES = {
    "13101": ["Santiago Centro"],
    "13118": ["Macúl"],
    "11302": ["Ohiggins", "Villa O'Higgins"],
    "11201": ["Aisén", "Puerto Aysén", "Puerto Aisén"],
    "11101": ["Coihaique"],
    "04105": ["Paihuano"],
    "05502": ["La Calera"],
    "05703": ["Llay-Llay"],
    "13303": ["Til Til"],
    "09121": ["Chol Chol"],
    "12401": ["Puerto Natales"],
    "16207": ["Trehuaco"],
    "06204": ["Marchigüe"],
    "06110": ["San Francisco de Mostazal"],
    "05201": ["Rapa Nui", "Hanga Roa"],
    "14106": ["San José de la Mariquina"],
    "12201": ["Puerto Williams"],
    "05109": ["Viña"],
}


def communes() -> None:
    regions = {x["pk"]: x["fields"] for x in json.loads((FIX / "region.json").read_text())}
    provinces = {x["pk"]: x["fields"] for x in json.loads((FIX / "province.json").read_text())}
    cities = json.loads((FIX / "city.json").read_text())
    rows = []
    for x in cities:
        f = x["fields"]
        prov = provinces[f["province"]]
        reg = regions[prov["region"]]
        code = f"{f['code']:05d}"
        assert code[:3] == f"{prov['code']:03d}", (f, prov)
        name = COMMUNE_FIX.get(f["name"], f["name"])
        rows.append(
            [
                code,
                name,
                PROVINCE_FIX.get(prov["name"], prov["name"]),
                f"{reg['code']:02d}",
                REGION_NAMES[reg["code"]],
                "|".join(COMMUNE_ALIASES.get(code, [])),
            ]
        )
    rows.sort(key=lambda r: r[0])
    assert len(rows) == 346
    assert not set(COMMUNE_ALIASES) - {r[0] for r in rows}
    with (OUT / "communes.csv").open("w", newline="", encoding="utf-8") as fh:
        fh.write(
            "# Comunas de Chile con su Código Único Territorial (CUT, Decreto 1.115/2018 Interior).\n"
            "# source: django-chile-cities 1.0.1 (PyPI, BSD-3) fixtures, cross-checked with HL7 Chile\n"
            "#   CL Core CSCodComunasCL/CSCodRegionCL; fixes: Macúl->Macul, Ohiggins->O'Higgins,\n"
            "#   Aisén->Aysén, province Bío Bío->Biobío; region names as in CL Core CSCodRegionCL.\n"
            "# aliases: other spellings accepted by the search, separated by '|'.\n"
            f"# last_reviewed = {REVIEWED}\n"
        )
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "province", "region_code", "region", "aliases"])
        w.writerows(rows)


ES_NAME = {
    "AX": "Islas Åland",
    "BF": "Burkina Faso",
    "BD": "Bangladés",
    "BM": "Bermudas",
    "BO": "Bolivia",
    "BN": "Brunéi",
    "CI": "Costa de Marfil",
    "CD": "República Democrática del Congo",
    "KM": "Comoras",
    "DZ": "Argelia",
    "FK": "Islas Malvinas",
    "FM": "Micronesia",
    "IR": "Irán",
    "KR": "Corea del Sur",
    "KP": "Corea del Norte",
    "LA": "Laos",
    "MD": "Moldavia",
    "MV": "Maldivas",
    "MM": "Myanmar (Birmania)",
    "NE": "Níger",
    "PS": "Palestina",
    "RU": "Rusia",
    "SA": "Arabia Saudita",
    "SR": "Surinam",
    "SY": "Siria",
    "TW": "Taiwán",
    "TZ": "Tanzania",
    "TN": "Túnez",
    "VE": "Venezuela",
    "VA": "Ciudad del Vaticano",
    "VG": "Islas Vírgenes Británicas",
    "VI": "Islas Vírgenes de los Estados Unidos",
    "BQ": "Bonaire, San Eustaquio y Saba",
    "SX": "San Martín (Países Bajos)",
    "MF": "San Martín (Francia)",
}
EN_NAME = {
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "VA": "Holy See (Vatican City)",
    "RU": "Russia",
    "BN": "Brunei",
    "FK": "Falkland Islands (Malvinas)",
}
EXTRA_ALIASES = {
    "VE": ["Venezuela (República Bolivariana de)", "venezolano", "venezolana"],
    "BO": [
        "Bolivia (Estado Plurinacional de)",
        "Estado Plurinacional de Bolivia",
        "boliviano",
        "boliviana",
    ],
    "PE": ["peruano", "peruana", "República del Perú"],
    "HT": ["haitiano", "haitiana", "Ayiti", "República de Haití"],
    "CO": ["colombiano", "colombiana"],
    "AR": ["argentino", "argentina"],
    "EC": ["ecuatoriano", "ecuatoriana"],
    "DO": ["Rep. Dominicana", "dominicano", "dominicana"],
    "CU": ["cubano", "cubana"],
    "CL": ["chileno", "chilena"],
    "BR": ["brasileño", "brasileña", "Brazil"],
    "PY": ["paraguayo", "paraguaya"],
    "UY": ["uruguayo", "uruguaya"],
    "MX": ["mexicano", "mexicana", "Méjico"],
    "CN": ["chino", "china", "República Popular China"],
    "US": ["EE.UU.", "EEUU", "EE. UU.", "Estados Unidos de América", "estadounidense"],
    "GB": ["Gran Bretaña", "Inglaterra", "británico", "británica"],
    "ES": ["español", "española"],
    "NL": ["Holanda"],
    "CZ": ["República Checa", "Czech Republic"],
    "CI": ["Costa de Marfíl", "Ivory Coast"],
    "CG": ["República del Congo", "Congo-Brazzaville"],
    "CD": ["RD del Congo", "Congo-Kinshasa"],
    "CV": ["Cape Verde"],
    "SZ": ["Suazilandia", "Swaziland"],
    "MM": ["Birmania", "Burma", "Myanmar"],
    "TR": ["Turkey", "Turquia"],
    "SA": ["Arabia Saudí"],
    "KR": ["Corea"],
    "FK": ["Islas Falkland"],
    "MK": ["Macedonia"],
    "VA": ["Vaticano", "Santa Sede"],
    "SN": ["senegalés", "senegalesa"],
    "RU": ["ruso", "rusa"],
    "UA": ["ucraniano", "ucraniana"],
}


def countries() -> None:
    es = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    rows = []
    for c in pycountry.countries:
        a2 = c.alpha_2
        es_formal = es.gettext(c.name)
        name_es = ES_NAME.get(a2, es_formal)
        name_en = EN_NAME.get(a2, getattr(c, "common_name", c.name))
        aliases: list[str] = []
        for a in [es_formal, c.name, getattr(c, "official_name", None), *EXTRA_ALIASES.get(a2, [])]:
            if a and a not in (name_es, name_en) and a not in aliases:
                aliases.append(a)
        rows.append([a2, c.alpha_3, c.numeric, name_es, name_en, "|".join(aliases)])
    rows.sort(key=lambda r: r[0])
    with (OUT / "countries.csv").open("w", newline="", encoding="utf-8") as fh:
        fh.write(
            "# Países y territorios ISO 3166-1 (alfa-2, alfa-3, numérico; CL Core CodPais usa el numérico).\n"
            f"# source: ISO 3166-1 via pycountry {pycountry.__version__ if hasattr(pycountry, '__version__') else ''}"
            " (LGPL-2.1) and its Spanish iso-codes catalogue;\n"
            "#   name_es adjusted to usual Chilean Spanish (Venezuela, Bolivia, Rusia, Corea del Sur...).\n"
            "# aliases: formal names, English names and demonyms accepted by the search, separated by '|'.\n"
            f"# last_reviewed = {REVIEWED}\n"
        )
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["alpha2", "alpha3", "numeric", "name_es", "name_en", "aliases"])
        w.writerows(rows)
    print(len(rows), file=sys.stderr)


communes()
countries()
