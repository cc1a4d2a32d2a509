"""What a typed text means: cleaning a text, and reading numbers, dates, flags, grades,
federal-list codes, links, e-mails and phones as Russian users type them.

Each ``to_*`` takes a cell's raw value (a ``str``, or the ``int``/``float``/``date`` a
sheet handed over) and returns the value, or None when it is not one; the cell parsers
of :mod:`sync_service.forms.cells` turn None into the finding and add ranges, patterns
and caching.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

# Characters that never mean anything in a cell: zero-width spaces and joiners, BOM, NUL
# (which PostgreSQL cannot store); and half of a broken emoji (a lone surrogate, which
# Google's JSON can carry but UTF-8 cannot encode) becomes «�».
INVISIBLE: dict[int, str | None] = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\x00"), None)
INVISIBLE.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))
# Spaces people (and Excel's thousands separators) put inside numbers.
_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2007\u2009\u2008\u2006\u2005\u2004\u2003\u2002\u205f\u3000\t'’"), None)
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})
# Anything that makes a text need more than a plain comparison.
UNCLEAN = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00\ud800-\udfff\u00a0\u202f\u2007\u2009\u2000-\u2008\u205f\u3000\t\r]|^\\s|\\s$")
_SPACE_RUNS = re.compile(r"[^\S\n]+")


def clean_text(value: str) -> str:
    """Without invisible characters, with odd spaces made plain, stripped."""
    if value.isprintable():
        # no invisible or odd space characters (the only printable space is « »): the regex
        # below could only find a space at either end
        if value[:1] != " " and value[-1:] != " ":
            return value
    elif not UNCLEAN.search(value):
        return value
    value = value.translate(INVISIBLE)
    return _SPACE_RUNS.sub(" ", value).strip()


def fold(text: str) -> str:
    """What two spellings of one word share: casefolded, ё as е, single spaces."""
    return " ".join(clean_text(text).casefold().replace("ё", "е").split())


# --- numbers --------------------------------------------------------------------------------

_UNITS = re.compile(r"(?:экз|шт|чел|ед|руб|р)\.?$")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_INTEGRAL = re.compile(r"([+-]?\d+)(?:\.0*)?")


def _unspaced(text: str) -> str:
    """``text.translate(_SPACES)``; plain replaces for ASCII text (a translate table costs a
    dict lookup per character)."""
    if text.isascii():
        return text.replace(" ", "").replace("\t", "").replace("'", "")
    return text.translate(_SPACES)


def _number_text(text: str) -> str:
    """«1 234,5 экз.» -> «1234.5»: spaces out, units out, one decimal point."""
    text = _unspaced(clean_text(text))
    text = (text if text.isascii() else text.translate(_MINUSES)).casefold()
    if not text[-1:].isdigit():  # a unit is letters (and a dot) at the end
        text = _UNITS.sub("", text)
    if "," in text:
        if "." in text:  # both: the last one is the decimal mark, the other groups thousands
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
    return text


def to_int(raw: Any) -> int | None:
    """An integer if ``raw`` is one (however typed), else None."""
    if isinstance(raw, float):
        if abs(raw) < 1e15 and abs(raw - round(raw)) < 1e-9:
            return int(round(raw))
        return None
    match = _INTEGRAL.fullmatch(_number_text(raw))
    return int(match.group(1)) if match else None


def to_float(raw: Any) -> float | None:
    if isinstance(raw, int):
        return float(raw)
    if isinstance(raw, float):
        return raw if raw == raw and raw not in (float("inf"), float("-inf")) else None
    text = _number_text(raw)
    return float(text) if _DECIMAL.fullmatch(text) else None


def percent_float(raw: Any) -> float | None:
    if isinstance(raw, str):
        raw = clean_text(raw).removesuffix("%").rstrip(" \u00a0\u202f")
        if raw.endswith("%"):
            return None
    return to_float(raw)

# --- dates ------------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
# Serials from 1 Jan 1900 to 31 Dec 2199: anything else in a date column is not a date.
_SERIALS = (2, 109574)
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?:\s*г\.?)?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD = re.compile(r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
           "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
_WORDS = re.compile(r"(\d{1,2})\s+([а-я]+)\s+(\d{4})(?:\s*(?:г|года)\.?)?")


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # Excel's rule: 00–29 are 2000s, 30–99 are 1900s
        year += 2000 if year < 30 else 1900
    return year


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(word: str) -> int | None:
    if word in ("май", "мая"):
        return 5
    for stem, number in _MONTHS.items():
        if stem != "ма" and word.startswith(stem):
            return number
    return None


def to_date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)):
        if _SERIALS[0] <= raw <= _SERIALS[1]:
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        return None
    text = clean_text(raw).casefold().replace("ё", "е")
    if match := _DMY.fullmatch(text):
        return _make_date(_year(match.group(3)), int(match.group(2)), int(match.group(1)))
    if match := _YMD.fullmatch(text):
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _WORDS.fullmatch(" ".join(text.split())):
        month = _month(match.group(2))
        return _make_date(int(match.group(3)), month, int(match.group(1))) if month else None
    return None


# --- the rest of the types ------------------------------------------------------------------

_TRUE = frozenset({"да", "д", "+", "✓", "✔", "☑", "v", "x", "х", "true", "истина", "1", "yes", "y", "готово",
                   "сдано", "1.0"})
_FALSE = frozenset({"нет", "н", "-", "–", "—", "✗", "☐", "false", "ложь", "0", "no", "n", "0.0"})


def to_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        return {1: True, 0: False}.get(raw)
    text = fold(raw).rstrip(".!")
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


_GRADE = re.compile(r"(\d{1,2})\s*(?:-?\s*(?:й|ый|ой|ий))?\s*(?:[«\"]?[а-яa-z][»\"]?)?\s*(?:кл(?:асс[а-я]*|\.)?)?\.?")


def _whole(raw: Any) -> Any:
    """A float from a sheet as the int it is (None when it has a fraction); others as they are."""
    return to_int(raw) if isinstance(raw, float) else raw


def to_grade(raw: Any) -> int | None:
    raw = _whole(raw)
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw if 1 <= raw <= 11 else None
    match = _GRADE.fullmatch(fold(raw))
    if match:
        grade = int(match.group(1))
        return grade if 1 <= grade <= 11 else None
    return None


_FPU = re.compile(r"\d+(?:\.\d+)+")
_DOTS = re.compile(r"\.{2,}")


def to_fpu(raw: Any) -> str | None:
    # A number from a sheet (1.1) has lost its dotted form: its text is the best guess.
    text = repr(raw) if isinstance(raw, float) else str(raw)
    text = _unspaced(clean_text(text)).replace(",", ".").lstrip("№#").strip(".")
    if ".." in text:
        text = _DOTS.sub(".", text)
    return text if _FPU.fullmatch(text) else None


_SPACE = re.compile(r"\s")
_HOST_END = re.compile(r"[/?#]")
_HOST = re.compile(r"(?:[\w-]+\.)+[\w-]{2,}(?::\d{1,5})?|localhost(?::\d{1,5})?", re.IGNORECASE)
_BARE_SITE = re.compile(r"(?:www\.)?(?:[\w-]+\.)+[a-zа-я]{2,}(?:[/?#].*)?", re.IGNORECASE)
# A link as it usually comes (https://school.ru/news/1): what to_url returns unchanged, in
# one match. No whitespace, nothing clean_text removes; anything else takes the long way.
PLAIN_URL = re.compile(r"https?://(?:[\w-]+\.)+[\w-]{2,}(?::\d{1,5})?(?:[/?#][^\s\u200b\u200c\u200d\u2060\ufeff\u00ad]*)?",
                        re.IGNORECASE)


def to_url(raw: Any) -> str | None:
    text = clean_text(str(raw))
    if not text or _SPACE.search(text):
        return None
    lower = text.lower()
    if not lower.startswith(("http://", "https://")):
        if "://" in lower or "@" in text.split("/")[0] or not _BARE_SITE.fullmatch(text):
            return None
        text = "https://" + text
        lower = text.lower()
    rest = text[text.index("://") + 3:]
    host = _HOST_END.split(rest, maxsplit=1)[0]
    if not _HOST.fullmatch(host):
        return None
    return text


_EMAIL = re.compile(r"[\w.+'-]+@(?:[\w-]+\.)+[\w-]{2,}")


def to_email(raw: Any) -> str | None:
    text = clean_text(str(raw))
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip("<>").strip()
    if not _EMAIL.fullmatch(text):
        return None
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


_PHONE_CHARS = re.compile(r"[\s()\-–.+]")


def to_phone(raw: Any) -> str | None:
    raw = _whole(raw)
    if raw is None:
        return None
    text = _PHONE_CHARS.sub("", clean_text(str(raw)))
    if not text.isdigit() or not text.isascii():
        return None
    if len(text) == 11 and text[0] in "78":
        return "+7" + text[1:]
    if len(text) == 10:
        return "+7" + text
    return None
