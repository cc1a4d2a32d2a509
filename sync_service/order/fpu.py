"""The federal list of textbooks (ФПУ) and publishers' price lists: reading and looking up.

The official list comes as a spreadsheet made for people, not programs: a title over
several rows, a header spread over two rows with merged cells, a row of column numbers
under it, section rows («1.1.1. Начальное общее образование») between the textbooks,
grades written as ``5``, ``5-9``, ``10–11`` or ``1 - 4`` (or turned into a date by Excel).
:func:`read_fpu_sheet` takes such a :class:`Sheet` of plain values and returns the
entries plus a finding for every row it had to skip and why. It is pure; the file
adapters (:func:`read_fpu_file`, :func:`read_price_file`) turn an .xlsx (through
:class:`~sync_service.stores.xlsx.XlsxStore`) or a .csv (utf-8 or cp1251, ``;`` or ``,``)
into a ``Sheet`` first.
"""
from __future__ import annotations

import csv
import difflib
import heapq
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sync_service.findings import Finding, a1, make_finding
from sync_service.forms.cells import Failure, fold, parse_value
from sync_service.forms.reading import fill_merges, label_key
from sync_service.forms.schema import Column
from sync_service.stores.base import Sheet

DATA_DIR = Path(__file__).resolve().parent / "data"
HEADER_SEARCH_ROWS = 30  # the official file has a long title above its header


def sample_fpu_path() -> Path:
    """The shipped SAMPLE list (not the official one): for the demo and the tests."""
    return DATA_DIR / "fpu_sample.csv"


def sample_prices_path() -> Path:
    """The shipped SAMPLE price list matching :func:`sample_fpu_path`."""
    return DATA_DIR / "fpu_prices_sample.csv"


# --- values ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FpuEntry:
    code: str
    title: str
    authors: str
    grades: tuple[int, ...]
    publisher: str
    valid_until: date | None
    subject: str = ""

    def usable_on(self, day: date) -> bool:
        """May the textbook still be used on ``day`` (the list's «дата, до которой…»)."""
        return self.valid_until is None or self.valid_until >= day


def grades_text(grades: Sequence[int]) -> str:
    """(5, 6, 7) -> «5–7», (5,) -> «5», (5, 7) -> «5, 7»."""
    grades = sorted(grades)
    if not grades:
        return ""
    if len(grades) > 1 and grades == list(range(grades[0], grades[-1] + 1)):
        return f"{grades[0]}–{grades[-1]}"
    return ", ".join(map(str, grades))


def order_year(academic_year: str) -> str:
    """Orders made in 2026/2027 are for the next year: «2027/2028»."""
    start = int(academic_year[:4]) + 1
    return f"{start}/{start + 1}"


def order_year_start(academic_year: str) -> date:
    """1 September of the ordered academic year: an entry must still be usable then."""
    return date(int(academic_year[:4]) + 1, 9, 1)


_CODE = re.compile(r"\d+(?:\.\d+)+")
_CODE_JUNK = dict.fromkeys(map(ord, " \u00a0\u202f\t"), None)


def normalize_code(raw: Any) -> str | None:
    """« 1.1.1.1.1.1. », «1,1,1,1,1,1», «№1.1.2» -> "1.1.1.1.1.1"; anything else -> None."""
    if raw is None or isinstance(raw, (bool, int, date)):
        return None
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = text.translate(_CODE_JUNK).replace(",", ".").lstrip("№#").strip(".")
    text = re.sub(r"\.{2,}", ".", text)
    return text if _CODE.fullmatch(text) else None


_GRADE_WORDS = re.compile(r"[а-яё]+\.?")
_GRADE_PART = re.compile(r"(\d{1,2})(?:-(\d{1,2}))?")


def parse_grades(raw: Any) -> tuple[int, ...] | None:
    """``5``, ``"5-9"``, ``"10–11 кл."``, ``"1 - 4"``, ``"5, 6"`` -> the grades; None if not
    understood. A date is Excel's reading of «5-9» (5 September): day–month back to grades."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (date, datetime)):
        low, high = raw.day, raw.month
        return tuple(range(low, high + 1)) if 1 <= low < high <= 11 else None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    if isinstance(raw, int):
        return (raw,) if 1 <= raw <= 11 else None
    text = fold(str(raw)).translate(str.maketrans("–—−", "---"))
    text = re.sub(r"\s*-\s*", "-", _GRADE_WORDS.sub(" ", text))
    grades: set[int] = set()
    for part in re.split(r"[,;\s]+", text.strip(" ,;")):
        match = _GRADE_PART.fullmatch(part.rstrip("-"))  # «5-й» -> «5-»
        if not match:
            return None
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if not 1 <= low <= high <= 11:
            return None
        grades.update(range(low, high + 1))
    return tuple(sorted(grades)) or None


_DATE_COLUMN = Column(key="valid_until", label="Дата", type="date")


def parse_until(raw: Any) -> date | None | Failure:
    """The «дата, до которой допускается использование»: a date, «до 31.08.2027», empty."""
    if isinstance(raw, str):
        raw = re.sub(r"^\s*до\s+", "", raw.strip(), flags=re.IGNORECASE)
    return parse_value(_DATE_COLUMN, raw)


_MONEY_JUNK = re.compile(r"(?:руб(?:лей|\.)?|р\.|₽|\s|\u00a0|\u202f)", re.IGNORECASE)


def parse_price(raw: Any) -> Decimal | None:
    """«1 024,50 руб.», 512.4 -> Decimal with kopecks; None unless a positive amount."""
    if raw is None or isinstance(raw, bool):
        return None
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = _MONEY_JUNK.sub("", text).replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() and value > 0 else None


def _text(raw: Any) -> str:
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


# --- finding the header ---------------------------------------------------------------------

# (field, test on the label as compared by reading.label_key): the first that matches wins,
# so «Наименование издателя» is a publisher before it is a title.
Matcher = Callable[[str], bool]
FPU_FIELDS: tuple[tuple[str, Matcher], ...] = (
    ("publisher", lambda k: "издател" in k or "издательств" in k),
    ("valid_until", lambda k: "дата" in k or "до которой" in k or "срок" in k),
    ("authors", lambda k: "автор" in k),
    ("grade", lambda k: k.startswith("класс") or k in ("кл", "классы")),
    ("subject", lambda k: "предмет" in k),
    ("code", lambda k: k.startswith("код") or "порядковый номер" in k or k in ("№", "№ п п", "номер", "n п п")),
    ("title", lambda k: "наименование" in k or "название" in k or "заглавие" in k),
)
FPU_REQUIRED = ("code", "title", "grade", "publisher")
FPU_LABELS = "«Порядковый номер (код) учебника», «Наименование учебника», «Автор», «Класс», «Наименование издателя»"

PRICE_FIELDS: tuple[tuple[str, Matcher], ...] = (
    ("publisher", lambda k: "издател" in k or "издательств" in k),
    ("price", lambda k: "цена" in k or "стоимость" in k),
    ("code", lambda k: k.startswith("код") or "порядковый номер" in k or "номер в фпу" in k or k == "фпу"),
    ("title", lambda k: "наименование" in k or "название" in k),
)
PRICE_REQUIRED = ("code", "price")
PRICE_LABELS = "«Код ФПУ» (порядковый номер учебника), «Цена»"


@dataclass
class Table:
    """Where a header was found: the columns of each field (a field may have several
    candidate columns, e.g. both «Код» and «Порядковый номер»), and the first data row."""

    columns: dict[str, list[int]]
    first_data_row: int


def _grid(sheet: Sheet, *, horizontal: bool) -> list[list[Any]]:
    """The values with merged ranges filled in. Vertical merges (a publisher over several
    rows) apply to every row; one-row merges (a section title over the whole width) are
    filled only where ``horizontal`` (the header)."""
    merges = sheet.merges if horizontal else [m for m in sheet.merges if m[2] > m[0]]
    return fill_merges(Sheet(sheet.title, sheet.rows, merges)).rows


def _match_row(line: Sequence[Any], fields: Sequence[tuple[str, Matcher]]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for c, value in enumerate(line, start=1):
        if not isinstance(value, str):
            continue
        key = label_key(value)
        if not key:
            continue
        for name, test in fields:
            if test(key):
                if c not in found.setdefault(name, []):
                    found[name].append(c)
                break
    return found


def _has_code(line: Sequence[Any]) -> bool:
    return any(normalize_code(v) for v in line)


def find_table(sheet: Sheet, fields: Sequence[tuple[str, Matcher]], required: Sequence[str]) -> Table | None:
    """The header among the first rows: the row with the most fields, completed by the rows
    just above and below it (a header of two rows). None if the required fields are missing."""
    grid = _grid(sheet, horizontal=True)[:HEADER_SEARCH_ROWS]
    matches = [_match_row(line, fields) for line in grid]
    best = max(range(len(grid)), key=lambda i: (len(matches[i]), -i), default=None)
    if best is None or not matches[best]:
        return None
    columns = {k: list(v) for k, v in matches[best].items()}
    last = best
    for i in (best - 1, best + 1, best + 2):
        if 0 <= i < len(grid) and matches[i] and not _has_code(grid[i]):
            taken = {c for cols in columns.values() for c in cols}
            for name, cols in matches[i].items():
                free = [c for c in cols if c not in taken]
                if free and name not in columns:
                    columns[name] = free
            last = max(last, i)
        elif i > best:
            break
    if any(name not in columns for name in required):
        return None
    return Table(columns, last + 2)


def _numbering_row(values: Sequence[Any]) -> bool:
    """The «1 2 3 4 5 6» row under an official header."""
    filled = [v for v in values if v not in (None, "")]
    return len(filled) >= 3 and all(isinstance(v, int) and not isinstance(v, bool) or
                                    isinstance(v, str) and v.strip().isdigit() for v in filled)


class _Rows:
    """Data rows of a found table: the value of a field in a row, blank rows skipped."""

    def __init__(self, sheet: Sheet, table: Table):
        self.sheet, self.table = sheet, table
        self.grid = _grid(sheet, horizontal=False)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        for r in range(self.table.first_data_row, len(self.grid) + 1):
            line = self.grid[r - 1]
            if all(v is None or isinstance(v, str) and not v.strip() for v in line):
                continue
            if _numbering_row(line):
                continue
            yield r, line

    def value(self, line: Sequence[Any], name: str) -> Any:
        for c in self.table.columns.get(name, ()):
            if c - 1 < len(line) and line[c - 1] not in (None, ""):
                return line[c - 1]
        return None

    def code(self, line: Sequence[Any]) -> str | None:
        for c in self.table.columns.get("code", ()):
            if c - 1 < len(line) and (code := normalize_code(line[c - 1])):
                return code
        return None

    def address(self, row: int, name: str) -> str:
        cols = self.table.columns.get(name) or [1]
        return a1(row, cols[0])


def _skipped(sheet: Sheet, row: int, address: str, reason: str) -> Finding:
    return make_finding("fpu-row-skipped", sheet=sheet.title, row=row, address=address, reason=reason)


def _no_header(sheet: Sheet, what: str, labels: str) -> Finding:
    return make_finding("fpu-header-not-found", sheet=sheet.title, what=what, labels=labels,
                        rows=HEADER_SEARCH_ROWS)


# --- the federal list -----------------------------------------------------------------------

@dataclass
class FpuRead:
    entries: list[FpuEntry]
    findings: list[Finding] = field(default_factory=list)


_SECTION_NUMBER = re.compile(r"^\s*\d+(?:[.,]\d+)*\.?\s*")
_SECTION_NOTE = re.compile(r"\s*\((?:учебный предмет|предметная область|предмет)[^)]*\)\s*$", re.IGNORECASE)


def _section_subject(line: Sequence[Any]) -> str | None:
    """The subject a section row names («1.1.1.1.1. Русский язык (учебный предмет)»), or
    None for the level and part headings above the subjects."""
    text = next((v for v in line if isinstance(v, str) and v.strip()), "")
    text = _SECTION_NOTE.sub("", _SECTION_NUMBER.sub("", " ".join(text.split())))
    folded = fold(text)
    if not text or len(text) > 60 or "образовани" in folded or "учебник" in folded:
        return None
    return text


def read_fpu_sheet(sheet: Sheet) -> FpuRead:
    """The entries of an official-style list, and a finding per row skipped (with the reason)."""
    table = find_table(sheet, FPU_FIELDS, FPU_REQUIRED)
    if table is None:
        return FpuRead([], [_no_header(sheet, "федерального перечня", FPU_LABELS)])
    rows = _Rows(sheet, table)
    entries: list[FpuEntry] = []
    findings: list[Finding] = []
    first_row: dict[str, int] = {}
    subject = ""
    for r, line in rows:
        code = rows.code(line)
        title, authors = _text(rows.value(line, "title")), _text(rows.value(line, "authors"))
        publisher, raw_grade = _text(rows.value(line, "publisher")), rows.value(line, "grade")
        if not publisher and not authors and raw_grade in (None, ""):
            subject = _section_subject(line) or subject
            continue
        reason, where = None, "code"
        grades = parse_grades(raw_grade)
        until = parse_until(rows.value(line, "valid_until"))
        if code is None:
            reason = "нет кода (порядкового номера) учебника"
        elif code in first_row:
            reason = f"код {code} уже есть в строке {first_row[code]}"
        elif not title:
            reason, where = f"у учебника {code} нет наименования", "title"
        elif not publisher:
            reason, where = f"у учебника {code} не указан издатель", "publisher"
        elif grades is None:
            reason, where = f"у учебника {code} непонятный класс «{_text(raw_grade)}»", "grade"
        elif isinstance(until, Failure):
            shown = _text(rows.value(line, "valid_until"))
            reason, where = f"у учебника {code} непонятная дата «{shown}»", "valid_until"
        if reason:
            findings.append(_skipped(sheet, r, rows.address(r, where), reason))
            continue
        first_row[code] = r
        entries.append(FpuEntry(code=code, title=title, authors=authors, grades=grades, publisher=publisher,
                                valid_until=until, subject=_text(rows.value(line, "subject")) or subject))
    if not entries:
        findings.append(make_finding("fpu-empty", sheet=sheet.title, what="с учебниками"))
    return FpuRead(entries, findings)


# --- price lists ----------------------------------------------------------------------------

@dataclass
class PriceRead:
    prices: dict[str, Decimal]
    findings: list[Finding] = field(default_factory=list)


def read_price_sheet(sheet: Sheet) -> PriceRead:
    """``{code: price per copy}`` from a publisher's price list (code and price columns)."""
    table = find_table(sheet, PRICE_FIELDS, PRICE_REQUIRED)
    if table is None:
        return PriceRead({}, [_no_header(sheet, "прайс-листа", PRICE_LABELS)])
    rows = _Rows(sheet, table)
    prices: dict[str, Decimal] = {}
    findings: list[Finding] = []
    for r, line in rows:
        code = rows.code(line)
        price = parse_price(rows.value(line, "price"))
        if code is None:
            if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in line) or rows.value(line, "price"):
                findings.append(_skipped(sheet, r, rows.address(r, "code"), "нет кода учебника"))
            continue  # otherwise a section or note row
        if price is None:
            shown = _text(rows.value(line, "price")) or "пусто"
            findings.append(_skipped(sheet, r, rows.address(r, "price"), f"у учебника {code} непонятная цена «{shown}»"))
            continue
        prices[code] = price
    if not prices:
        findings.append(make_finding("fpu-empty", sheet=sheet.title, what="с ценами"))
    return PriceRead(prices, findings)


# --- files ----------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def csv_sheet(data: bytes, title: str) -> Sheet:
    """A .csv file as a Sheet: utf-8 or cp1251, ``;`` or ``,``; ``#`` lines are comments."""
    text = _decode(data)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    sample = "\n".join(line for line in lines[:20] if line.strip())
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = [[cell if cell.strip() else None for cell in row]
            for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    return Sheet(title=title, rows=rows)


class UnsupportedFile(ValueError):
    """The file is neither .xlsx nor .csv."""


def read_table_file(path: str | Path) -> Sheet:
    """The first tab of an .xlsx (read through an XlsxStore on its folder), or a .csv."""
    path = Path(path)
    suffix = path.suffix.casefold()
    if suffix == ".csv":
        return csv_sheet(path.read_bytes(), path.name)
    if suffix in (".xlsx", ".xlsm"):
        from sync_service.stores.xlsx import XlsxStore

        workbook = XlsxStore(path.parent).read(path.name)
        first = next(iter(workbook.sheets.values()), None)
        return first if first is not None else Sheet(path.name, [])
    raise UnsupportedFile(f"{path.name}: ожидается файл .xlsx или .csv")


def read_fpu_file(path: str | Path) -> FpuRead:
    return read_fpu_sheet(read_table_file(path))


def read_price_file(path: str | Path) -> PriceRead:
    return read_price_sheet(read_table_file(path))


# --- lookups --------------------------------------------------------------------------------

_WORD = re.compile(r"[0-9a-zа-я]+")
_STOP = frozenset({"учебник", "учебное", "пособие", "для", "класс", "класса", "классы", "классов", "часть", "части",
                   "частях", "кл", "ч", "в", "и", "с", "к", "по", "на", "от", "до", "издание", "изд"})
_STEM = 6  # Russian endings vary («математика», «математике»): compare the first letters


def title_tokens(text: str) -> frozenset[str]:
    """Normalised words of a title or an author list, for suggestions."""
    return frozenset(w[:_STEM] for w in _WORD.findall(fold(text or "")) if w not in _STOP and not w.isdigit()
                     and len(w) > 1)


def normalized_title(text: str) -> str:
    """A title as compared across schools: folded, words only."""
    return " ".join(_WORD.findall(fold(text or "")))


class FpuIndex:
    """The list in force: lookups by code, and suggestions for a title typed without one."""

    def __init__(self, entries: Iterable[FpuEntry], *, version: int | None = None, source: str = ""):
        self.entries: tuple[FpuEntry, ...] = tuple(entries)
        self.version, self.source = version, source
        self._by_code = {e.code: e for e in self.entries}
        self._title_tokens: list[frozenset[str]] = []
        self._normal: list[str] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            self._title_tokens.append(title_tokens(entry.title))
            self._normal.append(normalized_title(entry.title))
            for token in title_tokens(f"{entry.title} {entry.authors}"):
                self._postings[token].append(i)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[FpuEntry]:
        return iter(self.entries)

    def __contains__(self, code: object) -> bool:
        return self.get(code) is not None

    def get(self, code: Any) -> FpuEntry | None:
        """The entry of ``code`` (typed any way :func:`normalize_code` accepts)."""
        entry = self._by_code.get(code) if isinstance(code, str) else None
        if entry is None:
            normal = normalize_code(code)
            entry = self._by_code.get(normal) if normal else None
        return entry

    @property
    def publishers(self) -> list[str]:
        return sorted({e.publisher for e in self.entries})

    def suggest(self, text: str, grade: int | None = None, *, limit: int = 3) -> list[FpuEntry]:
        """Entries whose title and authors share most words with ``text`` (at least half of
        them), those for ``grade`` first."""
        wanted = title_tokens(text)
        if not wanted:
            return []
        hits: dict[int, int] = defaultdict(int)
        for token in wanted:
            for i in self._postings.get(token, ()):
                hits[i] += 1
        needed = max(1, (len(wanted) + 1) // 2)
        folded = normalized_title(text)

        def score(i: int) -> tuple:
            titled = self._title_tokens[i]
            overlap = hits[i] / len(wanted) + 0.5 * len(wanted & titled) / max(1, len(titled))
            return (grade is not None and grade in self.entries[i].grades, round(overlap, 3), -i)

        best = heapq.nlargest(limit * 3, ((score(i), i) for i, n in hits.items() if n >= needed))
        best.sort(key=lambda item: (item[0][:2], difflib.SequenceMatcher(
            None, folded, self._normal[item[1]]).quick_ratio()), reverse=True)
        return [self.entries[i] for _, i in best[:limit]]


FPU_TAB = "ФПУ"   # the federal list's tab, in the head's workbook and every school's (order/fpu_tab.py)
