"""Shipped reference data: communes, countries, identifiers, code lists, referral
catalogue, regularization routes and the rights that hold regardless of status.

Everything is read from plain files in ``casework/data`` (CSV and TOML) with the
standard library only, parsed once and cached. The files are meant to be edited by
the office: rules (which route is open to whom) live in the data, not in this code.

Set the environment variable ``CASEWORK_REFDATA_DIR`` to a directory holding edited
copies of some of the files (same names, ``routes/`` included) to override the shipped
ones; call :func:`reload` after changing it at run time.

Lookups are accent-, case- and punctuation-insensitive (``"haiti"`` finds Haití).

One module per list, all built on :mod:`casework.refdata.loader` (reading, caching,
checks); a list module imports only the loader and the lists it builds on
(``destinations`` → ``codes``, ``routes`` → ``screening``). Use the names re-exported
here: ``refdata.communes`` is the function, which hides the submodule of the same name.
"""

from __future__ import annotations

from casework.refdata.codes import (
    CIVIL_STATUSES,
    CONTACT_CHANNELS,
    CONTACT_REASONS,
    GENDER_IDENTITIES,
    INDIGENOUS_PEOPLES,
    MIGRATION_STATUSES,
    REFERRAL_OUTCOMES,
    REFERRAL_STATUSES,
    RELATIONSHIPS,
    SEXES,
    Labelled,
    ServiceArea,
    code_list,
    label,
    service_area,
    service_areas,
)
from casework.refdata.communes import (
    Commune,
    Region,
    commune,
    communes,
    find_commune,
    match_commune,
    regions,
    search_communes,
)
from casework.refdata.countries import (
    Country,
    countries,
    country,
    match_country,
    search_countries,
)
from casework.refdata.destinations import Destination, destination, destinations
from casework.refdata.document_types import DocumentType, document_type, document_types
from casework.refdata.languages import Language, language, languages
from casework.refdata.loader import OVERRIDE_ENV as OVERRIDE_ENV
from casework.refdata.loader import Code, reload, reviewed_on
from casework.refdata.rights import Right, right, rights
from casework.refdata.routes import (
    APPLY_FROM,
    Route,
    RouteDeadline,
    RouteDocument,
    RouteStep,
    route,
    routes,
    screen_routes,
)
from casework.refdata.screening import ScreeningQuestion, screening_questions

__all__ = [
    "APPLY_FROM",
    "CIVIL_STATUSES",
    "CONTACT_CHANNELS",
    "CONTACT_REASONS",
    "GENDER_IDENTITIES",
    "INDIGENOUS_PEOPLES",
    "MIGRATION_STATUSES",
    "REFERRAL_OUTCOMES",
    "REFERRAL_STATUSES",
    "RELATIONSHIPS",
    "SEXES",
    "Code",
    "Commune",
    "Country",
    "Destination",
    "DocumentType",
    "Labelled",
    "Language",
    "Region",
    "Right",
    "Route",
    "RouteDeadline",
    "RouteDocument",
    "RouteStep",
    "ScreeningQuestion",
    "ServiceArea",
    "code_list",
    "commune",
    "communes",
    "countries",
    "country",
    "destination",
    "destinations",
    "document_type",
    "document_types",
    "find_commune",
    "label",
    "language",
    "languages",
    "match_commune",
    "match_country",
    "regions",
    "reload",
    "reviewed_on",
    "right",
    "rights",
    "route",
    "routes",
    "screen_routes",
    "screening_questions",
    "search_communes",
    "search_countries",
    "service_area",
    "service_areas",
]
