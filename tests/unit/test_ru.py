"""sync_service.ru: Russian plural forms, numbers, money, amounts in words, dates."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal

from sync_service import ru

NARROW, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize("n, word", [
    (0, "дней"), (1, "день"), (2, "дня"), (4, "дня"), (5, "дней"), (11, "дней"), (12, "дней"), (14, "дней"),
    (21, "день"), (22, "дня"), (24, "дня"), (53, "дня"), (101, "день"), (111, "дней"), (112, "дней"),
    (1000, "дней"), (1001, "день"), (-1, "день"), (-22, "дня"), (5.0, "дней"), (1.5, "дня"), (0.5, "дня"),
])
def test_plural(n, word):
    assert ru.plural(n, "день", "дня", "дней") == word


def test_plural_other_is_for_fractions():
    assert ru.plural(1.5, "один", "несколько", "много", "дробь") == "дробь"
    assert ru.plural(2, "один", "несколько", "много", "дробь") == "несколько"


def test_plural_against_the_textbook_rule():
    """Babel's CLDR categories agree with the rule every Russian grammar states."""
    for n in range(0, 1200):
        expected = ("many" if 11 <= n % 100 <= 14 else "one" if n % 10 == 1 else "few" if 2 <= n % 10 <= 4
                    else "many")
        assert ru.plural(n, "one", "few", "many") == expected, n


def test_quantity():
    assert ru.quantity(3, "школа", "школы", "школ") == "3 школы"
    assert ru.quantity(1234, "день", "дня", "дней") == f"1{NARROW}234 дня"


@pytest.mark.parametrize("value, shown", [
    (0, "0"), (50.0, "50"), (37.5, "37,5"), (1234, f"1{NARROW}234"), (1234567.25, f"1{NARROW}234{NARROW}567,2"),
    (2.5, "2,5"), (-1234.5, f"-1{NARROW}234,5"), (0.04, "0"), (None, "—"),
])
def test_number(value, shown):
    assert ru.number(value) == shown


def test_number_follows_cldr_but_with_a_narrow_space():
    """The same text as Babel's ``format_decimal`` for ``ru`` (groups of three, also in
    four-digit numbers, a decimal comma), except the group separator: CLDR's is U+00A0."""
    draw = random.Random(16)
    values = [draw.randint(-10**9, 10**9) for _ in range(300)] + [draw.uniform(-1e7, 1e7) for _ in range(300)]
    values += [1000, 9999, 10000, 0.5, 12.75]
    for value in values:
        for digits in (1, 2):
            mine = ru.number(value, digits)
            # exact ties are rounded differently (Babel from the decimal text, Python from the binary value)
            if isinstance(value, float) and abs(round(value * 10 ** digits) - value * 10 ** digits) > 0.499:
                continue
            babel = format_decimal(value, format="#,##0." + "#" * digits, locale="ru")
            assert mine == babel.replace(NBSP, NARROW), value


def test_babel_for_ru_as_relied_on():
    """What Babel does for ``ru`` (pinned in requirements.txt): a change here on upgrade
    means the docstring of sync_service.ru must change too."""
    assert format_decimal(1234567.891, locale="ru") == f"1{NBSP}234{NBSP}567,891"
    assert format_currency(Decimal("1234.5"), "RUB", locale="ru") == f"1{NBSP}234,50{NBSP}₽"
    assert ru.long_date(date(2026, 9, 1)) == f"1 сентября 2026{NARROW}г."
    assert [ru.month_name(m) for m in (1, 3, 5, 9)] == ["Январь", "Март", "Май", "Сентябрь"]


@pytest.mark.parametrize("value, shown", [(66.66, f"66,7{NBSP}%"), (100.0, f"100{NBSP}%"), (0, f"0{NBSP}%"),
                                          (None, "—")])
def test_percent(value, shown):
    assert ru.percent(value) == shown


@pytest.mark.parametrize("value, shown", [
    (12.5, "12,5"), (3.0, "3"), (1234, "1234"), (0.125, "0,125"), (1234.56789, "1234,57"), (-2.5, "-2,5"),
    (1e16, "10000000000000000"), (True, "True"),
])
def test_plain_number(value, shown):
    assert ru.plain_number(value) == shown


@pytest.mark.parametrize("value, shown", [
    (1234.5, f"1{NARROW}234,50"), (12, "12,00"), (0.285, "0,29"), (Decimal("1234567.89"), f"1{NARROW}234{NARROW}567,89"),
    (-3.005, "-3,01"), (None, "—"),
])
def test_money(value, shown):
    assert ru.money(value) == shown


def test_rubles():
    assert ru.rubles(1234567.89) == f"1{NARROW}234{NARROW}567 руб. 89 коп."
    assert ru.rubles(5) == "5 руб. 00 коп."


@pytest.mark.parametrize("value, words", [
    (0, "Ноль рублей 00 копеек"),
    (1, "Один рубль 00 копеек"),
    (2, "Два рубля 00 копеек"),
    (5, "Пять рублей 00 копеек"),
    (11, "Одиннадцать рублей 00 копеек"),
    (12, "Двенадцать рублей 00 копеек"),
    (13, "Тринадцать рублей 00 копеек"),
    (14, "Четырнадцать рублей 00 копеек"),
    (21, "Двадцать один рубль 00 копеек"),
    (101, "Сто один рубль 00 копеек"),
    (111, "Сто одиннадцать рублей 00 копеек"),
    (1000, "Одна тысяча рублей 00 копеек"),
    (2000, "Две тысячи рублей 00 копеек"),
    (5000, "Пять тысяч рублей 00 копеек"),
    (11000, "Одиннадцать тысяч рублей 00 копеек"),
    (21000, "Двадцать одна тысяча рублей 00 копеек"),
    (1_000_000, "Один миллион рублей 00 копеек"),
    (2_000_000, "Два миллиона рублей 00 копеек"),
    (1_002_001, "Один миллион две тысячи один рубль 00 копеек"),
    (1_000_000_000, "Один миллиард рублей 00 копеек"),
    (Decimal("1234567.89"), "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
    ("1234567.89", "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
    (0.01, "Ноль рублей 01 копейка"),
    (0.02, "Ноль рублей 02 копейки"),
    (0.21, "Ноль рублей 21 копейка"),
    (0.11, "Ноль рублей 11 копеек"),
    (999.995, "Одна тысяча рублей 00 копеек"),
    (40_090.5, "Сорок тысяч девяносто рублей 50 копеек"),
])
def test_amount_in_words(value, words):
    assert ru.amount_in_words(value) == words


@pytest.mark.parametrize("value, words", [
    # as a contract writes them, typed by hand (genders of тысяча and рубль, the three plural
    # forms of every scale, teens inside a triad, zeros inside the number)
    (Decimal("123456.78"), "Сто двадцать три тысячи четыреста пятьдесят шесть рублей 78 копеек"),
    (Decimal("1001.01"), "Одна тысяча один рубль 01 копейка"),
    (Decimal("2002.02"), "Две тысячи два рубля 02 копейки"),
    (Decimal("4004.04"), "Четыре тысячи четыре рубля 04 копейки"),
    (Decimal("12012.12"), "Двенадцать тысяч двенадцать рублей 12 копеек"),
    (Decimal("22022.22"), "Двадцать две тысячи двадцать два рубля 22 копейки"),
    (Decimal("101101.99"), "Сто одна тысяча сто один рубль 99 копеек"),
    (Decimal("111111.11"), "Сто одиннадцать тысяч сто одиннадцать рублей 11 копеек"),
    (Decimal("999999.99"), "Девятьсот девяносто девять тысяч девятьсот девяносто девять рублей 99 копеек"),
    (Decimal("3000000"), "Три миллиона рублей 00 копеек"),
    (Decimal("5000000"), "Пять миллионов рублей 00 копеек"),
    (Decimal("21000000"), "Двадцать один миллион рублей 00 копеек"),
    (Decimal("1000001"), "Один миллион один рубль 00 копеек"),
    (Decimal("2000000000"), "Два миллиарда рублей 00 копеек"),
    (Decimal("5000000000"), "Пять миллиардов рублей 00 копеек"),
    (Decimal("2541370040.50"),
     "Два миллиарда пятьсот сорок один миллион триста семьдесят тысяч сорок рублей 50 копеек"),
    (Decimal("1000000000000"), "Один триллион рублей 00 копеек"),
    (Decimal("0.05"), "Ноль рублей 05 копеек"),
    (Decimal("0.00"), "Ноль рублей 00 копеек"),
    (Decimal("200.20"), "Двести рублей 20 копеек"),
    (Decimal("340.03"), "Триста сорок рублей 03 копейки"),
    (Decimal("48000"), "Сорок восемь тысяч рублей 00 копеек"),
    (Decimal("53300.00"), "Пятьдесят три тысячи триста рублей 00 копеек"),
])
def test_amount_in_words_as_contracts_write_it(value, words):
    assert ru.amount_in_words(value) == words


def test_whole_numbers_in_words_agree_with_num2words():
    """An independent implementation (num2words' Russian) on every number to 2 100, every
    thousand to 1 000 000 and a spread of large ones: the same words, masculine rubles."""
    from num2words import num2words

    rnd = random.Random(15)
    numbers = [*range(0, 2101), *range(0, 1_000_001, 1000), *(10 ** k for k in range(1, 15)),
               *(rnd.randrange(10 ** rnd.randint(3, 15)) for _ in range(3000))]
    for n in numbers:
        assert ru.whole_in_words(n) == num2words(n, lang="ru"), n


@pytest.mark.parametrize("value", [-1, "много", float("nan"), 10**15])
def test_amount_in_words_refuses(value):
    with pytest.raises(ValueError):
        ru.amount_in_words(value)


@pytest.mark.parametrize("value, shown", [
    ("2026-09-30", "30.09.2026"), ("2026-09-30T08:05:00", "30.09.2026"), (None, "—"), ("", "—"),
    (date(2026, 1, 2), "02.01.2026"), (datetime(2026, 1, 2, 3, 4), "02.01.2026"),
])
def test_date_text(value, shown):
    assert ru.date_text(value) == shown


def test_datetime_text():
    assert (ru.datetime_text("2026-11-22T08:31:00"), ru.datetime_text("2026-11-22 08:31"),
            ru.datetime_text("2026-11-22"), ru.datetime_text(None), ru.datetime_text(None, "никогда")) == (
        "22.11.2026 08:31", "22.11.2026 08:31", "22.11.2026", "—", "никогда")


@pytest.mark.parametrize("seconds, shown", [(None, "—"), (0, "0 с"), (5, "5 с"), (60, "1 мин"), (65, "1 мин 5 с"),
                                            (3600, "1 ч"), (3720, "1 ч 2 мин")])
def test_duration(seconds, shown):
    assert ru.duration(seconds) == shown


def test_hyphenated_marks_where_long_words_may_break():
    soft = "\u00ad"
    assert ru.hyphenated("Обеспеченность") == soft.join(["Обес", "пе", "чен", "ность"])
    assert ru.hyphenated("Мероприятия — Месячник") == soft.join(["Ме", "ро", "при", "я", "тия"]) + " — Месячник"
    assert ru.hyphenated("Заказ учебников") == "Заказ учебников"  # nine letters and fewer stay whole
    assert ru.hyphenated("") == ""
