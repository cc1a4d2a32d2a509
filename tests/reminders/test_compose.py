"""compose_reminders: who gets which letter on which day, and what it says. Pure: no database."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from sync_service.district.reminders import (
    AFTER,
    BEFORE,
    CollectionInfo,
    District,
    FindingInfo,
    ReminderKey,
    SchoolInfo,
    compose_reminders,
    reminder_kind,
    workbook_link,
)
from sync_service.district.status import Facts

STAFFING = CollectionInfo("staffing", "Мониторинг кадрового обеспечения", "Кадры", date(2026, 9, 30))
FUND = CollectionInfo("library_fund", "Мониторинг библиотечного фонда", "Фонд", date(2026, 11, 30))
EXCHANGE = CollectionInfo("textbook_exchange", "Взаимообмен учебниками", "Обмен учебниками", None)
DONE = Facts(ready=True, errors=0, has_data=True, first_submitted_at=datetime(2026, 9, 20, 10))
TYPING = Facts(ready=False, errors=0, has_data=True, first_submitted_at=None)
RETURNED = Facts(ready=True, errors=2, has_data=True, first_submitted_at=None)
URL = "https://svod.example.ru/"


def district(**changes) -> District:
    values = dict(
        academic_year="2026/2027",
        schools=[SchoolInfo("sch01", "МБОУ СОШ № 1", "Петрова Анна Сергеевна", "petrova@school1.example", "sch01.xlsx"),
                 SchoolInfo("sch02", "МБОУ СОШ № 2", "Сидоров Иван", "sidorov@school2.example", "sch02.xlsx"),
                 SchoolInfo("sch03", "МБОУ Гимназия № 3", "", "", "", sync_error="нет книги «sch03.xlsx»")],
        collections=[STAFFING, FUND, EXCHANGE],
        facts={("sch01", "staffing"): DONE, ("sch02", "staffing"): RETURNED, ("sch02", "library_fund"): TYPING},
        findings={("sch02", "staffing"): [
            FindingInfo("error", "Кадры", "C6", 6, "Ставка", "Значение 3 вне допустимых границ (от 0,25 до 2)",
                        "Проверьте значение в ячейке C6: допустимо от 0,25 до 2."),
            FindingInfo("warning", "Кадры", None, 8, None, "Строка повторяет строку 6", "Удалите повтор.")]},
        last_sync={"status": "partial", "error": None, "started_at": datetime(2026, 11, 27, 8),
                   "finished_at": datetime(2026, 11, 27, 8, 1)})
    values.update(changes)
    return District(**values)


def compose(today: date, **options) -> dict[str, list]:
    """Letters by recipient."""
    options = {"days_before": 3, "public_url": URL, "head_email": "head@omo.example", **options}
    out: dict[str, list] = {}
    for message in compose_reminders(options.pop("district", None) or district(), today=today, **options):
        out.setdefault(message.to, []).append(message)
    return out


@pytest.mark.parametrize("status, deadline, today, kind", [
    # (status, deadline, today) -> kind
    ("not_started", date(2026, 11, 30), date(2026, 11, 26), None),     # 4 days before: not yet
    ("not_started", date(2026, 11, 30), date(2026, 11, 27), BEFORE),   # 3 days before
    ("in_progress", date(2026, 11, 30), date(2026, 11, 30), BEFORE),   # the last day
    ("returned", date(2026, 11, 30), date(2026, 11, 28), BEFORE),
    ("submitted", date(2026, 11, 30), date(2026, 11, 28), None),
    ("overdue", date(2026, 11, 30), date(2026, 12, 1), AFTER),
    ("returned", date(2026, 11, 30), date(2026, 12, 15), AFTER),
    ("submitted_late", date(2026, 11, 30), date(2026, 12, 1), None),
    ("not_started", None, date(2026, 12, 1), None),                   # no deadline, no reminder
])
def test_reminder_kind(status, deadline, today, kind):
    assert reminder_kind(status, deadline, today, 3) == kind


def test_before_the_deadline_only_schools_that_have_not_submitted_get_a_letter():
    letters = compose(date(2026, 11, 27))
    # sch01 has not started the fund, sch02 is typing it; sch03 has no e-mail.
    assert sorted(letters) == ["head@omo.example", "petrova@school1.example", "sidorov@school2.example"]
    petrova = letters["petrova@school1.example"][0]
    assert petrova.keys == (ReminderKey("sch01", "library_fund", BEFORE, "2026-11-30"),)
    assert petrova.subject == "Напоминание: срок сдачи «Мониторинг библиотечного фонда» — 30.11.2026"
    assert "Здравствуйте, Петрова Анна Сергеевна!" in petrova.body
    assert "осталось 3 дня" in petrova.body
    assert "Заполните лист «Фонд» и отметьте «Готово»." in petrova.body
    assert "Книга школы: файл «sch01.xlsx»" in petrova.body
    assert "Статус сдачи школы: https://svod.example.ru/school/sch01" in petrova.body


def test_one_letter_per_school_with_every_collection_due_and_its_findings():
    sidorov = compose(date(2026, 11, 27))["sidorov@school2.example"]
    assert len(sidorov) == 1
    letter = sidorov[0]
    assert [(k.collection, k.kind) for k in letter.keys] == [("staffing", AFTER), ("library_fund", BEFORE)]
    assert letter.subject == "Отчёты к сдаче (2): МБОУ СОШ № 2"
    body = letter.body
    assert "Статус: возвращён на исправление." in body and "Статус: заполняется." in body
    assert "срок истёк 58 дней назад" in body
    # Errors before warnings; the place, the message and what to do.
    error = body.index("– лист «Кадры», ячейка C6: Значение 3 вне допустимых границ (от 0,25 до 2) (ошибка).")
    assert body.index("Что сделать: Проверьте значение в ячейке C6: допустимо от 0,25 до 2.") > error
    assert body.index("– лист «Кадры», строка 8: Строка повторяет строку 6 (предупреждение).") > error


def test_single_letter_subjects_say_what_happened():
    letters = compose(date(2026, 12, 1), district=district(collections=[STAFFING, FUND]))
    assert letters["petrova@school1.example"][0].subject == \
        "Просрочен отчёт «Мониторинг библиотечного фонда» (срок был 30.11.2026)"
    only_staffing = district(collections=[STAFFING], facts={("sch02", "staffing"): RETURNED})
    letters = compose(date(2026, 10, 5), district=only_staffing)
    assert letters["sidorov@school2.example"][0].subject == \
        "Отчёт «Мониторинг кадрового обеспечения» возвращён на исправление"


def test_keys_already_sent_are_not_composed_again():
    sent = {ReminderKey("sch01", "library_fund", BEFORE, "2026-11-30"), ReminderKey("", "", "digest", "2026-11-27")}
    letters = compose(date(2026, 11, 27), sent=sent)
    assert "petrova@school1.example" not in letters and "head@omo.example" not in letters
    assert "sidorov@school2.example" in letters
    # After the deadline it is a new reminder («after»), and a moved deadline is a new deadline too.
    assert "petrova@school1.example" in compose(date(2026, 12, 1), sent=sent)
    moved = district(collections=[STAFFING, FUND.__class__("library_fund", FUND.title, FUND.tab, date(2026, 12, 1))])
    assert "petrova@school1.example" in compose(date(2026, 11, 28), sent=sent, district=moved)


def test_the_digest_has_rates_overdue_sync_errors_and_schools_without_email():
    digest = compose(date(2026, 11, 27))["head@omo.example"][0]
    assert digest.keys == (ReminderKey("", "", "digest", "2026-11-27"),)
    assert digest.subject == "Svod: сводка на 27.11.2026"
    body = digest.body
    # sch03's workbook was never read: Svod does not know, it is not overdue
    assert ("• Мониторинг кадрового обеспечения (срок 30.09.2026): сдали 1 из 3 (33,3 %), вовремя 33,3 %; "
            "просрочено 0, возвращено 1; нет данных 1 (книга не читается)") in body
    assert "• Взаимообмен учебниками (без срока): сдали 0 из 3 (0 %)" in body
    assert "Просроченных отчётов нет." in body
    assert "• последняя: 27.11.2026 08:01, с ошибками" in body
    assert ("• МБОУ Гимназия № 3 (sch03): книга не прочитана — нет книги «sch03.xlsx» "
            "(ни разу не прочитана: нет данных)") in body
    assert "Напоминания сегодня: 2 школы." in body
    assert "Нет адреса эл. почты на листе «Школы» (напоминание не отправлено): МБОУ Гимназия № 3 (sch03)" in body
    assert "Страница статуса: https://svod.example.ru/" in body


def test_no_digest_without_the_heads_address():
    assert "head@omo.example" not in compose(date(2026, 11, 27), head_email="")


def test_a_workbook_that_could_not_be_read_is_said_first():
    broken = district(findings={("sch01", None): [FindingInfo("error", None, None, None, None,
                                                              "Не удалось прочитать книгу: файл повреждён",
                                                              "Пересохраните файл.")]})
    body = compose(date(2026, 11, 27), district=broken)["petrova@school1.example"][0].body
    assert "Svod не смог прочитать книгу школы:\n   – Не удалось прочитать книгу: файл повреждён (ошибка)." in body


def test_workbook_links():
    assert workbook_link("xlsx", "sch01.xlsx", "sch01 МБОУ СОШ № 1.xlsx") == "sch01 МБОУ СОШ № 1.xlsx"
    assert workbook_link("google", "", "1AbC") == "https://docs.google.com/spreadsheets/d/1AbC/edit"
    typed = "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=0"
    assert workbook_link("google", typed, "1AbC") == typed
    assert workbook_link("google", "", "") == ""



def test_the_digest_is_bounded_whatever_the_district_holds():
    """3 000 schools overdue and unreadable: each list of the head's digest stops at 50 with
    how many more there are (issue 17)."""
    schools = [SchoolInfo(f"s{n:04d}", f"Школа №{n}", "", "", "", sync_error="нет книги «x" + "y" * 5000 + "»",
                          data_as_of=datetime(2026, 11, 1)) for n in range(3000)]
    # read once (1.11), «Кадры» not ticked then: overdue on the last good read's data
    facts = {(s.code, "staffing"): TYPING for s in schools}
    letters = compose(date(2026, 11, 27), district=district(schools=schools, facts=facts, findings={}))
    (digest,) = letters["head@omo.example"]
    lines = digest.body.splitlines()
    assert len(lines) < 200 and len(digest.body) < 40_000
    # the overdue collections (3 000 of «Кадры») and the unreadable workbooks, 50 each
    assert lines.count(f"• … и ещё 2\u202f950 — на странице статуса {URL.rstrip('/')}/") == 2
    assert all(len(line) < 500 for line in lines if not line.startswith("Нет адреса"))
    assert [line for line in lines if line.startswith("Нет адреса")][0].endswith(" и ещё 2\u202f950")
