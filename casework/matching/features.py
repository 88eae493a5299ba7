"""Per-record features and the graded field comparisons (dedupe.md §4.3, §4.4, §5).

`prepare` turns a `PersonRecord` into the normalised pieces every comparison needs (cached, so
a record is normalised once however often it is compared). `compare_levels` returns one level
per comparison: the Fellegi–Sunter "comparison vector". Weights live elsewhere (`params.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from .normalise import (
    RUT_LIKE_TYPES,
    name_tokens,
    normalise_document,
    normalise_phone,
    particle_joined,
    phon_form,
    rut_dv,
    strip_accents,
)
from .record import PersonRecord

__all__ = [
    "COMPARISONS",
    "EXTRA_LEVELS",
    "Comparison",
    "Prepared",
    "Unit",
    "compare_levels",
    "prepare",
]

_jw = JaroWinkler.similarity
_osa = OSA.distance

# ---------------------------------------------------------------------------------------------
# Comparison levels. Order is the order of evaluation; the last level is always "null" (a field
# missing on either side), which carries no evidence (weight 0 in every class).

COMPARISONS: dict[str, tuple[str, ...]] = {
    "given": (
        "exact",
        "phonetic",
        "shortened",
        "high",
        "mid",
        "partial",
        "other_gender",
        "weak",
        "different",
        "null",
    ),
    "surname1": ("exact", "crossed", "phonetic", "high", "mid", "weak", "different", "null"),
    "surname2": ("exact", "phonetic", "high", "mid", "different", "one_missing", "null"),
    "birth_date": (
        "exact",
        "exact_placeholder",
        "day_month_swapped",
        "year_off_one",
        "placeholder_year",
        "one_edit",
        "two_edits",
        "within_year",
        "different",
        "null",
    ),
    "document": ("same", "similar", "different_strong", "different_weak", "null"),
    "phone": ("same", "different", "null"),
    "sex": ("same", "different", "null"),
    "nationality": ("same", "different", "null"),
}
EXTRA_LEVELS: tuple[str, ...] = ("exact", "high", "mid", "different", "null")
CORE: tuple[str, ...] = tuple(COMPARISONS)

# Level indices used below (kept in step with COMPARISONS by the assertions at the end).
G_EXACT, G_PHON, G_SHORT, G_HIGH, G_MID, G_PARTIAL, G_GENDER, G_WEAK, G_DIFF, G_NULL = range(10)
S1_EXACT, S1_CROSSED, S1_PHON, S1_HIGH, S1_MID, S1_WEAK, S1_DIFF, S1_NULL = range(8)
S2_EXACT, S2_PHON, S2_HIGH, S2_MID, S2_DIFF, S2_ONE_MISSING, S2_NULL = range(7)
D_EXACT, D_PLACEHOLDER, D_SWAP, D_YEAR1, D_PH_YEAR, D_EDIT1, D_EDIT2, D_YEAR, D_DIFF, D_NULL = (
    range(10)
)
DOC_SAME, DOC_SIMILAR, DOC_DIFF_STRONG, DOC_DIFF_WEAK, DOC_NULL = range(5)
SAME, DIFF, NULL3 = range(3)
X_EXACT, X_HIGH, X_MID, X_DIFF, X_NULL = range(5)

# Grades of agreement between two name units / tokens.
EXACT, PHON, HIGH, MID, WEAK, NONE = 5, 4, 3, 2, 1, 0
JW_HIGH, JW_MID, JW_WEAK = 0.92, 0.88, 0.70

# Documents whose number belongs to one person for life: a different number is evidence against.
STRONG_DOC_TYPES: frozenset[str] = frozenset({"run", "rut", "national_id"})


class Unit:
    """One name unit (a surname, or a whole given-name field): matching key, particle-joined
    key ("delacruz") and phonetic form, all without spaces so "Saint Fleur" == "Saint-Fleur"."""

    __slots__ = ("full", "key", "phon", "sig", "tokens")

    def __init__(self, tokens: tuple[str, ...], full: str) -> None:
        self.tokens = tokens
        self.key = "".join(tokens)
        self.full = full or self.key
        self.phon = "".join(phon_form(t) for t in tokens)
        self.sig = f"{' '.join(tokens)}/{self.full}"  # everything the comparisons look at


@dataclass(frozen=True, slots=True)
class Doc:
    kind: str
    number: str
    bodies: frozenset[str]  # RUN bodies (also the all-digits reading when the DV is missing)


class Prepared:
    """Normalised features of one record."""

    __slots__ = (
        "dob",
        "dob_d",
        "dob_m",
        "dob_ord",
        "dob_s8",
        "dob_y",
        "docs",
        "extra",
        "g0",
        "given",
        "id",
        "nat",
        "phones",
        "s0",
        "sex",
        "sur_opts",
    )

    def __init__(self, rec: PersonRecord) -> None:
        self.id = rec.id
        self.given: Unit | None = _unit(rec.given_names or "")
        gtoks = self.given.tokens if self.given is not None else ()
        self.sur_opts = _surname_options(rec.first_surname or "", rec.second_surname or "")
        # first sounds of the first given name and of each surname (a cheap filter before
        # looking for given names and surnames typed into each other's fields)
        self.g0 = phon_form(gtoks[0])[:1] if gtoks else ""
        self.s0 = frozenset(phon_form(u.tokens[0])[:1] for u in self.sur_opts[0] if u is not None)
        bd: date | None = rec.birth_date
        self.dob = bd
        self.dob_s8 = f"{bd.year:04d}{bd.month:02d}{bd.day:02d}" if bd else ""
        self.dob_ord = bd.toordinal() if bd else 0
        self.dob_y, self.dob_m, self.dob_d = (bd.year, bd.month, bd.day) if bd else (0, 0, 0)
        self.sex = (rec.sex or "").strip().upper()[:1]
        self.nat = (rec.nationality or "").strip().upper()
        self.docs = _prepare_docs(rec.documents)
        self.phones = frozenset(p for p in (normalise_phone(x) for x in rec.phones) if p)
        self.extra = {k: v for k, v in ((k, " ".join(_fold(v).split())) for k, v in rec.extra) if v}


def _fold(text: str) -> str:
    return strip_accents(text).lower()


@lru_cache(maxsize=65536)
def _unit(text: str) -> Unit | None:
    """A name field's unit (names repeat a lot: one Unit per distinct text, never
    changed once made)."""
    toks = name_tokens(text)
    return Unit(toks, particle_joined(text)) if toks else None


SurOpt = tuple[Unit | None, Unit | None]


@lru_cache(maxsize=65536)
def _surname_options(first: str, second: str) -> tuple[SurOpt, ...]:
    """(first, second) surname readings. Besides the fields as typed, a two-word first surname
    with no second one is also read as both surnames typed into one field ("González Pérez")."""
    s1, s2 = _unit(first), _unit(second)
    if s1 is None and s2 is not None:
        s1, s2 = s2, None
    opts: list[SurOpt] = [(s1, s2)]
    if s1 is not None and s2 is None and len(s1.tokens) >= 2:
        opts.append((Unit(s1.tokens[:1], ""), Unit(s1.tokens[1:], "")))
    return tuple(opts)


def _prepare_docs(documents: tuple[tuple[str, str], ...]) -> tuple[Doc, ...]:
    out: list[Doc] = []
    for kind_raw, number in documents:
        kind = (kind_raw or "other").strip().lower()
        norm = normalise_document(kind, number or "")
        if len(norm) < 3:
            continue
        bodies: set[str] = set()
        if kind in RUT_LIKE_TYPES and "-" in norm:
            body, _, dv = norm.partition("-")
            bodies.add(body)
            if dv.isdigit() and rut_dv(int(body)) != dv:
                # a wrong check digit: maybe typed without it, the whole number is the body
                bodies.add(body + dv)
        out.append(Doc(kind, norm, frozenset(bodies)))
    return tuple(out)


@lru_cache(maxsize=32768)
def _prepare_cached(rec: PersonRecord) -> Prepared:
    return Prepared(rec)


def prepare(rec: PersonRecord) -> Prepared:
    """Normalised features of a record, memoised on the frozen record (about 2 KB each; the
    intake panel sees the same candidates keystroke after keystroke). Full scans build their
    own list with `Prepared` instead of filling the cache."""
    try:
        return _prepare_cached(rec)
    except TypeError:  # a field holding a list instead of a tuple: not hashable
        return Prepared(rec)


# ---------------------------------------------------------------------------------------------
# Grades


def _grade(a: Unit, b: Unit) -> int:
    if a.key == b.key:
        return EXACT
    if a.phon == b.phon:
        return PHON
    if a.full == b.full:
        return EXACT
    sim = _jw(a.key, b.key, score_cutoff=JW_WEAK)
    if sim >= JW_HIGH:
        return HIGH
    if sim >= JW_MID:
        return MID
    if sim >= JW_WEAK:
        return WEAK
    return NONE


@lru_cache(maxsize=262144)
def _tok_grade(x: str, y: str) -> int:
    if x == y:
        return EXACT
    if phon_form(x) == phon_form(y):
        return PHON
    sim = _jw(x, y, score_cutoff=JW_WEAK)
    if sim >= JW_HIGH:
        return HIGH
    if sim >= JW_MID:
        return MID
    if sim >= JW_WEAK:
        return WEAK
    return NONE


def _other_gender(x: str, y: str) -> bool:
    """Masculine/feminine forms of one name: Mario/María, Luis/Luisa, Daniel/Daniela."""
    if len(x) < 3 or len(y) < 3:
        return False
    if x + "a" == y or y + "a" == x:
        return True
    return x[:-1] == y[:-1] and {x[-1], y[-1]} == {"a", "o"}


_GRADE_TO_GIVEN = {EXACT: G_EXACT, PHON: G_PHON, HIGH: G_HIGH, MID: G_MID, WEAK: G_WEAK}


def _given_level(a: Prepared, b: Prepared) -> tuple[int, str]:
    """Given-name level and the value whose frequency adjusts it ("" for none); memoised on
    the two given-name signatures, which repeat a lot in a scan."""
    ga, gb = a.given, b.given
    if ga is None or gb is None:
        return G_NULL, ""
    if ga.key == gb.key or ga.full == gb.full:
        return G_EXACT, ga.key
    key = (ga.sig, gb.sig)
    hit = _GIVEN_CACHE.get(key)
    if hit is None:
        if len(_GIVEN_CACHE) >= _CACHE_MAX:
            _GIVEN_CACHE.clear()
        hit = _GIVEN_CACHE[key] = _given_level_uncached(ga, gb)
    return hit


def _given_level_uncached(ga: Unit, gb: Unit) -> tuple[int, str]:
    if sorted(ga.tokens) == sorted(gb.tokens):
        return G_EXACT, ga.key
    if ga.phon == gb.phon:
        return G_PHON, ""
    ta, tb = ga.tokens, gb.tokens
    if len(ta) == len(tb):
        grades = [_tok_grade(x, y) for x, y in zip(ta, tb, strict=True)]
        lowest = min(grades)
        if lowest >= PHON:
            return G_PHON, ""
        if len(ta) == 1:
            if _other_gender(ta[0], tb[0]):
                return G_GENDER, ""
            return _GRADE_TO_GIVEN.get(lowest, G_DIFF), ""
        if lowest >= HIGH:
            return G_HIGH, ""
        if lowest >= MID:
            return G_MID, ""
        if max(grades) >= PHON:
            # one name agrees; another is a different name (María José / María Fernanda:
            # sisters) or badly mistyped
            return (G_PARTIAL if lowest == NONE else G_WEAK), ""
    else:
        short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
        best = [max(_tok_grade(s, t) for t in long_) for s in short]
        if min(best) >= HIGH:
            # the name kept, and the name it matched in the longer form: the commoner of the
            # two sets the term frequency
            kept = max(long_, key=lambda t: _tok_grade(short[0], t))
            return G_SHORT, short[0] if kept == short[0] else f"{short[0]}|{kept}"
        if _jw(ga.key, gb.key) >= JW_HIGH:
            return G_HIGH, ""
        if max(best) >= PHON:
            return (G_PARTIAL if min(best) == NONE else G_WEAK), ""
        if min(best) >= MID and not _other_gender(short[0], long_[0]):
            return G_MID, ""  # shortened, and the name kept has a typo
    sim = _jw(ga.key, gb.key)
    if sim >= JW_HIGH:
        return G_HIGH, ""
    if sim >= JW_MID:
        return G_MID, ""
    if sim >= JW_WEAK:
        return G_WEAK, ""
    return G_DIFF, ""


def _unit_vs_given(unit: Unit, given: Unit) -> int:
    """Grade of a surname field against a given-name field (for fields typed swapped); a
    shortened compound given name counts as HIGH."""
    g = _grade(unit, given)
    if (
        g < HIGH
        and len(unit.tokens) != len(given.tokens)
        and _tok_grade(unit.tokens[0], given.tokens[0]) >= PHON
    ):
        return HIGH
    return g


def _fields_swapped(a: Prepared, b: Prepared) -> tuple[int, str, int, str] | None:
    """Given names and first surname typed into each other's fields on one side (possibly
    with the surnames also swapped): (given level, its value, surname-1 level, its value)."""
    for x, y in ((a, b), (b, a)):
        if x.g0 not in y.s0 or y.g0 not in x.s0:
            continue
        gx, gy = x.given, y.given
        y1, y2 = y.sur_opts[0]
        x1, x2 = x.sur_opts[0]
        if gx is None or gy is None or y1 is None or x1 is None:
            continue
        # x typed the surname as given name: x.given ~ a surname of y, x.surname ~ y.given
        sur_grade = max(_unit_vs_given(y1, gx), _unit_vs_given(y2, gx) if y2 else NONE)
        giv_grade = max(_unit_vs_given(x1, gy), _unit_vs_given(x2, gy) if x2 else NONE)
        if min(sur_grade, giv_grade) >= MID and max(sur_grade, giv_grade) >= PHON:
            return (
                _GRADE_TO_GIVEN[giv_grade],
                gy.key if giv_grade == EXACT else "",
                _S1[sur_grade],
                gx.key if sur_grade == EXACT else "",
            )
    return None


_S1 = {EXACT: S1_EXACT, PHON: S1_PHON, HIGH: S1_HIGH, MID: S1_MID, WEAK: S1_WEAK, NONE: S1_DIFF}
_S2 = {EXACT: S2_EXACT, PHON: S2_PHON, HIGH: S2_HIGH, MID: S2_MID, WEAK: S2_DIFF, NONE: S2_DIFF}

# Flags describing how the surname levels were reached (for reasons only).
F_SWAPPED = 1  # both surnames present, typed in the other order
F_CROSSED = 2  # one side's only surname is the other's second surname
F_FIELDS_SWAPPED = 4  # given names typed as surname and vice versa
F_SPLIT = 8  # both surnames typed into the first-surname field


# (level 1, level 2, agreeing value 1, agreeing value 2, flags, score to pick a reading)
_Sur = tuple[int, int, str, str, int, int]


def _sur_pair(a1: Unit | None, a2: Unit | None, b1: Unit | None, b2: Unit | None) -> _Sur:
    if a1 is None or b1 is None:
        return (S1_NULL, S2_NULL, "", "", 0, -1)
    g11 = _grade(a1, b1)
    if a2 is not None and b2 is not None:
        g22 = _grade(a2, b2)
        if g11 == EXACT:
            return (_S1[g11], _S2[g22], a1.key, a2.key if g22 == EXACT else "", 0, 10 + g22)
        g12, g21 = _grade(a1, b2), _grade(a2, b1)
        if min(g12, g21) >= HIGH and g12 + g21 > g11 + g22:
            l1 = S1_CROSSED if g12 == EXACT else _S1[g12]
            return (
                l1,
                _S2[g21],
                a1.key if g12 == EXACT else "",
                a2.key if g21 == EXACT else "",
                F_SWAPPED,
                2 * g12 + g21,
            )
        if g11 <= WEAK and max(g12, g21) == EXACT:
            # one surname shared in the other position (cousins, or a surname typed in the
            # wrong field with the other one wrong)
            v = a1.key if g12 == EXACT else a2.key
            return (S1_CROSSED, _S2[min(g12, g21)], v, "", F_CROSSED, 2 * EXACT - 1)
        return (
            _S1[g11],
            _S2[g22],
            a1.key if g11 == EXACT else "",
            a2.key if g22 == EXACT else "",
            0,
            2 * g11 + g22,
        )
    if a2 is not None or b2 is not None:
        if g11 < HIGH:
            g = _grade(a2, b1) if a2 is not None else _grade(a1, b2) if b2 is not None else NONE
            if g >= HIGH:
                v = (a2.key if a2 is not None else a1.key) if g == EXACT else ""
                lvl = S1_CROSSED if g == EXACT else _S1[g]
                return (lvl, S2_ONE_MISSING, v, "", F_CROSSED, 2 * g - 1)
        return (_S1[g11], S2_ONE_MISSING, a1.key if g11 == EXACT else "", "", 0, 2 * g11)
    return (_S1[g11], S2_NULL, a1.key if g11 == EXACT else "", "", 0, 2 * g11)


_G_FUZZY = frozenset({G_PHON, G_HIGH, G_MID})
_S1_FUZZY = frozenset({S1_PHON, S1_HIGH, S1_MID})
_S2_FUZZY = frozenset({S2_PHON, S2_HIGH, S2_MID})

_GIVEN_CACHE: dict[tuple[str, str], tuple[int, str]] = {}
_CACHE_MAX = 200_000


def _surname_levels(a: Prepared, b: Prepared) -> _Sur:
    (a1, a2), (b1, b2) = a.sur_opts[0], b.sur_opts[0]
    best = _sur_pair(a1, a2, b1, b2)
    if best[0] == S1_EXACT and best[1] in (S2_EXACT, S2_NULL):
        return best
    # "González Pérez" typed in one field, against a record with both surnames in place
    alts: list[tuple[SurOpt, SurOpt]] = []
    if len(a.sur_opts) > 1 and b2 is not None:
        alts.append((a.sur_opts[1], (b1, b2)))
    if len(b.sur_opts) > 1 and a2 is not None:
        alts.append(((a1, a2), b.sur_opts[1]))
    for (x1, x2), (y1, y2) in alts:
        res = _sur_pair(x1, x2, y1, y2)
        if res[5] - 1 > best[5]:
            best = (res[0], res[1], res[2], res[3], res[4] | F_SPLIT, res[5])
    return best


def _dob_level(a: Prepared, b: Prepared) -> int:
    if not a.dob_y or not b.dob_y:
        return D_NULL
    if a.dob_s8 == b.dob_s8:
        return D_PLACEHOLDER if a.dob_d == 1 and a.dob_m in (1, 7) else D_EXACT
    ya, ma, da, yb, mb, db = a.dob_y, a.dob_m, a.dob_d, b.dob_y, b.dob_m, b.dob_d
    if ya == yb and ma == db and da == mb:
        return D_SWAP
    if ma == mb and da == db and abs(ya - yb) == 1:
        return D_YEAR1
    if ya == yb and ((da == 1 and ma == 1) or (db == 1 and mb == 1)):
        return D_PH_YEAR  # an estimated age registered as 1 January of the year
    dist = _osa(a.dob_s8, b.dob_s8)
    if dist == 1:
        return D_EDIT1
    if dist == 2:
        return D_EDIT2
    if abs(a.dob_ord - b.dob_ord) <= 365:
        return D_YEAR
    return D_DIFF


def _doc_level(a: Prepared, b: Prepared) -> tuple[int, str, str]:
    """(level, document type, the shared number when the same)."""
    if not a.docs or not b.docs:
        return DOC_NULL, "", ""
    level, kind = DOC_NULL, ""
    for da in a.docs:
        for db in b.docs:
            if da.number == db.number and len(da.number) >= 4:
                return DOC_SAME, (da.kind if da.kind == db.kind else "other"), da.number
            if da.kind != db.kind:
                continue
            if (da.bodies & db.bodies) or (len(da.number) >= 5 and _osa(da.number, db.number) <= 1):
                level, kind = DOC_SIMILAR, da.kind
            elif level == DOC_NULL or (level == DOC_DIFF_WEAK and da.kind in STRONG_DOC_TYPES):
                level = DOC_DIFF_STRONG if da.kind in STRONG_DOC_TYPES else DOC_DIFF_WEAK
                kind = da.kind
    return level, kind, ""


def _extra_level(va: str | None, vb: str | None) -> int:
    if not va or not vb:
        return X_NULL
    if va == vb:
        return X_EXACT
    sim = _jw(va, vb)
    if sim >= 0.9:
        return X_HIGH
    if sim >= 0.75:
        return X_MID
    return X_DIFF


class Comparison:
    """The comparison vector of one pair, plus what the reasons need."""

    __slots__ = (
        "doc_kind",
        "extra",
        "flags",
        "group",
        "levels",
        "tf_doc",
        "tf_fuzzy",
        "tf_given",
        "tf_given_tok",
        "tf_phone",
        "tf_s1",
        "tf_s2",
    )

    def __init__(self) -> None:
        self.group = ""  # the shared nationality, for per-nationality term frequencies
        self.levels: list[int] = []
        self.extra: list[int] = []
        self.tf_given = ""
        self.tf_given_tok = ""
        # near agreements (phonetic, typo) on names: (comparison index, "value|value") each
        self.tf_fuzzy: tuple[tuple[int, str], ...] = ()
        self.tf_s1 = ""
        self.tf_s2 = ""
        self.tf_phone = ""
        self.tf_doc = ""
        self.flags = 0
        self.doc_kind = ""


def compare_levels(a: Prepared, b: Prepared, extra_keys: tuple[str, ...] = ()) -> Comparison:
    """Comparison vector of two prepared records (levels in `COMPARISONS` order)."""
    out = Comparison()
    g, gval = _given_level(a, b)
    l1, l2, v1, v2, flags, _ = _surname_levels(a, b)
    if (
        g in (G_DIFF, G_WEAK, G_PARTIAL)
        and l1 in (S1_DIFF, S1_WEAK)
        and a.given is not None
        and b.given is not None
    ):
        swapped = _fields_swapped(a, b)
        if swapped is not None:
            g, gval, l1, v1 = swapped
            flags = F_FIELDS_SWAPPED
    if g == G_SHORT:
        out.tf_given_tok = gval
    elif g == G_EXACT:
        out.tf_given = gval
    out.tf_s1, out.tf_s2, out.flags = v1, v2, flags
    fuzzy: list[tuple[int, str]] = []
    if g in _G_FUZZY and a.given is not None and b.given is not None and not flags:
        fuzzy.append((0, f"{a.given.key}|{b.given.key}"))
    if l1 in _S1_FUZZY or l2 in _S2_FUZZY:
        (a1, a2), (b1, b2) = a.sur_opts[0], b.sur_opts[0]
        if flags:
            # surnames swapped, crossed or in one field: which pairs agreed is not kept, so
            # every surname of the two records counts (the commonest one caps)
            every = "|".join(u.key for u in (a1, a2, b1, b2) if u is not None)
            pairs = (every, every)
        else:
            pairs = (
                f"{a1.key}|{b1.key}" if a1 is not None and b1 is not None else "",
                f"{a2.key}|{b2.key}" if a2 is not None and b2 is not None else "",
            )
        if l1 in _S1_FUZZY and pairs[0]:
            fuzzy.append((1, pairs[0]))
        if l2 in _S2_FUZZY and pairs[1]:
            fuzzy.append((2, pairs[1]))
    if fuzzy:
        out.tf_fuzzy = tuple(fuzzy)
    if a.docs and b.docs:
        doc, out.doc_kind, out.tf_doc = _doc_level(a, b)
    else:
        doc = DOC_NULL
    phone = NULL3
    if a.phones and b.phones:
        shared = a.phones & b.phones
        phone = SAME if shared else DIFF
        if shared:
            out.tf_phone = min(shared)
    sex = (SAME if a.sex == b.sex else DIFF) if a.sex and b.sex else NULL3
    if a.nat and b.nat:
        if a.nat == b.nat:
            nat = SAME
            out.group = a.nat
        else:
            nat = DIFF
    else:
        nat = NULL3
    out.levels = [g, l1, l2, _dob_level(a, b), doc, phone, sex, nat]
    if extra_keys:
        ea, eb = a.extra, b.extra
        out.extra = [_extra_level(ea.get(k), eb.get(k)) for k in extra_keys]
    return out


# Keep the index constants honest.
assert COMPARISONS["given"][G_NULL] == "null" and COMPARISONS["given"][G_SHORT] == "shortened"
assert COMPARISONS["surname1"][S1_CROSSED] == "crossed" and len(COMPARISONS["surname1"]) == 8
assert COMPARISONS["surname2"][S2_ONE_MISSING] == "one_missing"
assert COMPARISONS["birth_date"][D_YEAR] == "within_year"
assert COMPARISONS["document"][DOC_DIFF_WEAK] == "different_weak"
