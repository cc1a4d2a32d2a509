"""Russian formatting, in one place: plural forms, numbers, percentages, money, dates.

Everything a person reads as a number or a date goes through here, so that a page, a
sheet and an e-mail write «1 234,5», «37,5 %» and «01.09.2026» the same way.

What comes from Babel (the CLDR data for ``ru``) and what is Svod's own:

- plural categories: Babel's rules for ``ru`` (``one`` 1, 21, 101; ``few`` 2–4, 22–24;
  ``many`` 0, 5–20, 11–14, 25; ``other`` fractions), remembered per number because
  Babel's rule costs ~20 µs a call;
- long dates («1 сентября 2026 г.», a narrow no-break space before «г.») and month
  names: Babel's ``format_date``;
- grouped numbers: CLDR's conventions for ``ru`` (groups of three, a decimal comma,
  four-digit numbers grouped too, ``babel.numbers.format_decimal``), written with
  f-strings — Babel takes ~25 µs a number and the status page writes thousands; a test
  holds the two equal. The one difference is deliberate: CLDR separates thousands with a
  no-break space (U+00A0), Svod with a narrow one (U+202F), as Russian typography sets
  digit groups and as the pages always did;
- money written out in words («Один миллион … рублей 89 копеек»), as Russian contracts
  write the total: not in Babel (nor in CLDR), Svod's own;
- where a word may break: Pyphen's Russian patterns (LibreOffice's ``hyph_ru_RU``), as
  soft hyphens — a browser's ``hyphens: auto`` needs a hyphenation dictionary that Chromium
  on Linux downloads only as a component, so narrow table headers cannot rely on it.

``format_currency(1234.5, "RUB", locale="ru")`` gives «1 234,50 ₽» (U+00A0 inside); a
contract writes «1 234 руб. 50 коп.» instead, which is :func:`rubles`.
"""
from __future__ import annotations

from datetime import date as Date
from datetime import datetime as DateTime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import pyphen
from babel import Locale
from babel.dates import format_date

LOCALE = Locale.parse("ru")
GROUP = "\u202f"   # between groups of thousands: a narrow no-break space
NBSP = "\u00a0"    # between a number and its sign or unit: «37,5 %»
DASH = "—"         # an empty value

__all__ = ["plural", "quantity", "as_date", "plain_number", "shortened", "number", "percent", "money", "rubles", "amount_in_words",
           "date_text", "datetime_text", "long_date", "month_name", "duration", "hyphenated", "GROUP", "NBSP"]


# --- plural forms ---------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _category(n: int | float) -> str:
    return LOCALE.plural_form(n)


def plural(n: int | float, one: str, few: str, many: str, other: str | None = None) -> str:
    """The form of a word that goes with ``n``: 1 день, 2 дня, 5 дней, 11 дней, 21 день.

    A fraction takes ``other``, which is the genitive singular in Russian («1,5 дня») and
    so ``few`` unless given."""
    if n.__class__ is not int:
        n = int(n) if float(n).is_integer() else float(n)  # 5.0 counts as 5 (CLDR: «other»)
    category = _category(abs(n))
    if category == "one":
        return one
    if category == "few":
        return few
    if category == "many":
        return many
    return few if other is None else other


def quantity(n: int, one: str, few: str, many: str) -> str:
    """«3 школы», «1 234 дня»: the number and its word."""
    return f"{number(n)} {plural(n, one, few, many)}"


# --- numbers ----------------------------------------------------------------------------------------

def plain_number(value) -> str:
    """12.5 -> «12,5», 3.0 -> «3», 1234 -> «1234»: a value as a cell holds it, in a message
    about that cell (ungrouped, up to six significant digits, so the person finds it)."""
    if value.__class__ is int:
        return str(value)
    if isinstance(value, float):
        if abs(value) >= 1e21 or value != value:  # as Excel shows them: «1E+308», not 309 digits
            return f"{value:.6G}".replace(".", ",")
        if value.is_integer():
            return str(int(value))
        return f"{value:.6g}".replace(".", ",") if abs(value) < 1e15 else str(value)
    return str(value)


VALUE_LIMIT = 80  # characters of a value quoted in a message


def shortened(value, limit: int = VALUE_LIMIT) -> str:
    """``value`` as a message quotes it, in about ``limit`` characters at most: a longer
    one keeps its start, then «…» and how long it was («100000000…  (309 знаков)»), so
    that no cell, however long, makes a message, a sheet or a letter grow with it."""
    text = value if value.__class__ is str else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:max(1, limit - 16)].rstrip()}… ({quantity(len(text), 'знак', 'знака', 'знаков')})"


def _grouped(text: str) -> str:
    """Python's «1,234.5» as «1 234,5»."""
    return text.replace(",", GROUP).replace(".", ",")


def number(value, digits: int = 1, *, empty: str = DASH) -> str:
    """1234.5 -> «1 234,5», 1234 -> «1 234», 0.25 -> «0,2» (``digits`` after the comma at
    most, trailing zeros dropped); None -> «—»."""
    if value is None:
        return empty
    if isinstance(value, int) or float(value).is_integer():
        return _grouped(f"{int(value):,}")
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _grouped(text)


def percent(value, *, empty: str = DASH) -> str:
    """37.5 -> «37,5 %» (one digit after the comma, a no-break space before the sign)."""
    return empty if value is None else f"{number(round(value, 1))}{NBSP}%"


def money(value, *, empty: str = DASH) -> str:
    """1234.5 -> «1 234,50»: an amount with its two digits of kopecks."""
    if value is None:
        return empty
    kopecks = _kopecks(value, signed=True)
    whole, part = divmod(abs(kopecks), 100)
    return f"{'-' if kopecks < 0 else ''}{_grouped(f'{whole:,}')},{part:02d}"


def _kopecks(value, *, signed: bool = False) -> int:
    """An amount as whole kopecks, half a kopeck rounded away from zero (as accounting does)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        kopecks = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if kopecks < 0 and not signed:
        raise ValueError(f"a negative amount: {value!r}")
    return kopecks


def rubles(value) -> str:
    """1234567.89 -> «1 234 567 руб. 89 коп.»: a contract's «Итого»."""
    whole, kopecks = divmod(_kopecks(value), 100)
    return f"{_grouped(f'{whole:,}')} руб. {kopecks:02d} коп."


# --- amounts in words ----------------------------------------------------------------------------

_UNITS = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_UNITS_FEMININE = ("", "одна", "две", *_UNITS[3:])
_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать",
          "семнадцать", "восемнадцать", "девятнадцать")
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят",
         "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот",
             "девятьсот")
# Each power of a thousand: its word's three forms and whether it is feminine (тысяча).
_SCALES = ((("", "", ""), False), (("тысяча", "тысячи", "тысяч"), True), (("миллион", "миллиона", "миллионов"), False),
           (("миллиард", "миллиарда", "миллиардов"), False), (("триллион", "триллиона", "триллионов"), False))


def _triad(n: int, feminine: bool) -> list[str]:
    """0 < n < 1000 in words: «двести тридцать четыре»."""
    hundreds, rest = divmod(n, 100)
    words = [_HUNDREDS[hundreds]]
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        tens, units = divmod(rest, 10)
        words += [_TENS[tens], (_UNITS_FEMININE if feminine else _UNITS)[units]]
    return [w for w in words if w]


def whole_in_words(n: int) -> str:
    """1234 -> «одна тысяча двести тридцать четыре» (masculine: рубль); 0 -> «ноль»."""
    if n < 0 or n >= 1000 ** len(_SCALES):
        raise ValueError(f"cannot write {n} in words")
    if n == 0:
        return "ноль"
    words: list[str] = []
    for power in range(len(_SCALES) - 1, -1, -1):
        part = n // 1000 ** power % 1000
        if part:
            forms, feminine = _SCALES[power]
            words += _triad(part, feminine)
            if power:
                words.append(plural(part, *forms))
    return " ".join(words)


def amount_in_words(value) -> str:
    """1234567.89 -> «Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь
    рублей 89 копеек»: rubles in words, kopecks in two digits, as a contract's total."""
    whole, kopecks = divmod(_kopecks(value), 100)
    text = (f"{whole_in_words(whole)} {plural(whole, 'рубль', 'рубля', 'рублей')} "
            f"{kopecks:02d} {plural(kopecks, 'копейка', 'копейки', 'копеек')}")
    return text[0].upper() + text[1:]


# --- dates ------------------------------------------------------------------------------------------

def as_date(value) -> Date | None:
    """A date, a datetime, or its ISO text (as JSON carries them); None or "" -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return DateTime.fromisoformat(value) if "T" in value or " " in value.strip() else Date.fromisoformat(value)
    return value


def date_text(value, empty: str = DASH) -> str:
    """«01.09.2026» (a datetime keeps its date only)."""
    value = as_date(value)
    return value.strftime("%d.%m.%Y") if value else empty


def datetime_text(value, empty: str = DASH) -> str:
    """«22.11.2026 08:31»; a bare date keeps its date only."""
    value = as_date(value)
    if not value:
        return empty
    return value.strftime("%d.%m.%Y %H:%M") if isinstance(value, DateTime) else value.strftime("%d.%m.%Y")


def long_date(value, empty: str = DASH) -> str:
    """«1 сентября 2026 г.» (Babel's long date for ``ru``, U+202F before «г.»)."""
    value = as_date(value)
    return format_date(value, "long", locale=LOCALE) if value else empty


@lru_cache(maxsize=12)
def month_name(month: int) -> str:
    """3 -> «Март»: the month as a heading names it (nominative)."""
    return format_date(Date(2000, month, 1), "LLLL", locale=LOCALE).capitalize()


def duration(seconds: int | None) -> str:
    """65 -> «1 мин 5 с»; 3720 -> «1 ч 2 мин»; None -> «—»."""
    if seconds is None:
        return DASH
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    if minutes:
        return f"{minutes} мин {secs} с" if secs else f"{minutes} мин"
    return f"{secs} с"


_HYPHENS = pyphen.Pyphen(lang="ru_RU")
SOFT_HYPHEN = "\u00ad"


@lru_cache(maxsize=1024)
def hyphenated(text: str) -> str:
    """«Обеспеченность» -> «Обес\u00adпе\u00adчен\u00adность»: the places a word may break, as
    soft hyphens (seen only where the line breaks). Words of up to nine letters are left
    whole: they fit a narrow column, and «Ме-сячник» reads worse than a wider one."""
    return " ".join(_HYPHENS.inserted(word, hyphen=SOFT_HYPHEN) if len(word) > 9 else word
                    for word in text.split(" "))
