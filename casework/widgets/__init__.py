"""Reusable pieces of the desk's screens: fields, tables, pickers, dialogs, and the pure
formats they show. Widgets post messages; they never call services."""

from casework.i18n import fmt_count
from casework.widgets.bindings import TEXTUAL_DESCRIPTIONS, translate_bindings
from casework.widgets.confirm import ConfirmModal
from casework.widgets.fields import (
    DateInput,
    DocumentInput,
    FieldError,
    error_slot,
    labelled,
    labelled_row,
)
from casework.widgets.formats import (
    age_text,
    code_label,
    commune_name,
    country_name,
    destination_name,
    doc_text,
    error_text,
    field_errors,
    fmt_date,
    fmt_datetime,
    item_text,
    parse_date,
    remember_destinations,
    route_name,
)
from casework.widgets.person_picker import PersonPicker
from casework.widgets.table import (
    PAGING_BINDINGS,
    PagedTable,
    RecordTable,
    RowsPage,
)

__all__ = [
    "PAGING_BINDINGS",
    "TEXTUAL_DESCRIPTIONS",
    "ConfirmModal",
    "DateInput",
    "DocumentInput",
    "FieldError",
    "PagedTable",
    "PersonPicker",
    "RecordTable",
    "RowsPage",
    "age_text",
    "code_label",
    "commune_name",
    "country_name",
    "destination_name",
    "doc_text",
    "error_slot",
    "error_text",
    "field_errors",
    "fmt_count",
    "fmt_date",
    "fmt_datetime",
    "item_text",
    "labelled",
    "labelled_row",
    "parse_date",
    "remember_destinations",
    "route_name",
    "translate_bindings",
]
