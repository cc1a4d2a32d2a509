"""Findings are data: a stable kebab-case code, where it is, and a Russian message.

Exceptions are for failures of the program; everything wrong with what a person typed
is a :class:`Finding`. Each code has a severity and two Russian templates: what is wrong
(``message``) and what to do about it (``hint``). Every code is in :data:`CODES`, the
textbook order's too (:data:`ORDER_CODES`); ``docs/errors.md`` lists them all and a test
keeps that page and this table in step.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sync_service.ru import VALUE_LIMIT, shortened

ERROR, WARNING, INFO = "error", "warning", "info"

# code: (severity, message template, hint template). Templates are formatted with the
# finding's ``params`` plus ``column`` and ``sheet``.
CODES: dict[str, tuple[str, str, str]] = {
    # the workbook and its tabs
    "unreadable-workbook": (ERROR, "Не удалось прочитать книгу: {reason}",
                            "Проверьте, что файл — книга Excel (.xlsx) и что он не открыт с ошибкой; пересохраните его."),
    "processing-error": (ERROR, "Svod не смог обработать книгу: {reason}",
                         "Это сбой Svod, а не ошибка в книге: прежние данные школы сохранены. Сообщите руководителю "
                         "объединения; после исправления книга будет прочитана заново."),
    "year-turn-pending": (ERROR, "Книга ещё не переведена на {year} учебный год: {reason}",
                          "Svod повторит перевод при следующей синхронизации; до тех пор книга не читается, "
                          "чтобы прошлогодние листы не попали в новый год. Если ошибка повторяется, закройте "
                          "файл в других программах или сообщите руководителю ОМО."),
    "missing-workbook": (ERROR, "Книга школы не найдена: {workbook}",
                         "Проверьте столбец «Книга» на листе «Школы» или выполните «svod init»."),
    "missing-tab": (ERROR, "Нет листа «{sheet}»",
                    "Верните лист «{sheet}» (можно скопировать из чистого бланка) и заполните его."),
    "header-not-found": (ERROR, "На листе «{sheet}» не найдена строка заголовков",
                         "Верните строку заголовков бланка: {labels}."),
    "missing-column": (ERROR, "Нет столбца «{column}»",
                       "Добавьте в строку заголовков (строка {row}) столбец «{column}» или верните его "
                       "прежнее название заголовка."),
    "misspelt-column": (ERROR, "Заголовок «{typed}» похож на «{column}», но написан иначе: столбец не прочитан",
                        "Переименуйте «{typed}» в «{column}» (ячейка {address})."),
    "misspelt-field": (ERROR, "Строка «{typed}» похожа на «{column}», но написана иначе: значение не прочитано",
                       "Переименуйте «{typed}» в «{column}» (ячейка {address})."),
    "missing-field": (ERROR, "Нет строки «{column}»",
                      "Верните строку «{column}» в столбец A и впишите значение рядом."),
    "duplicate-column": (WARNING, "Столбец «{column}» встречается дважды; взят первый",
                         "Удалите лишний столбец (заголовок в ячейке {address}) или переименуйте его."),
    "duplicate-field": (WARNING, "Строка «{column}» встречается дважды; взята первая",
                        "Удалите лишнюю строку «{column}» (ячейка {address}) или переименуйте её."),
    # cells
    "required": (ERROR, "Не заполнено обязательное поле «{column}»",
                 "Впишите значение в ячейку {address}."),
    "type": (ERROR, "«{value}» — не {expected}",
             "Впишите в ячейку {address} {expected_hint}."),
    "formula-error": (ERROR, "В ячейке ошибка формулы {value}",
                      "Исправьте формулу в ячейке {address} или впишите число."),
    "range": (ERROR, "Значение {value} вне допустимых границ ({bounds})",
              "Проверьте значение в ячейке {address}: допустимо {bounds}."),
    "choice": (ERROR, "«{value}» нет в списке для «{column}»",
               "Выберите значение из выпадающего списка в ячейке {address}: {choices}."),
    "pattern": (ERROR, "«{value}»: {pattern_message}",
                "Исправьте значение в ячейке {address}."),
    "too-long": (ERROR, "Слишком длинный текст в «{column}»: {length}, а можно не больше {max_length}",
                 "Сократите значение в ячейке {address}."),
    # rows and forms
    "duplicate-row": (ERROR, "Повторяется строка: {keys} — уже есть в строке {first_row}",
                      "Удалите повтор (строка {row}) или объедините его со строкой {first_row}."),
    "rule": (ERROR, "{rule_message}: {left_text} {op_text} {right_text}",
             "Проверьте числа в строке {row}: {columns}."),
    "rule-warning": (WARNING, "{rule_message}: {left_text} {op_text} {right_text}",
                     "Проверьте числа в строке {row}: {columns}. Если всё верно, оставьте как есть."),
    "empty-form": (ERROR, "Отмечено «Готово», но форма пустая",
                   "Заполните форму или снимите отметку «Готово» (ячейка {address})."),
    "ready-not-found": (WARNING, "На листе нет отметки «Готово»",
                        "Верните ячейку «Готово» в верхние строки листа, чтобы отметить, что форма сдана."),
    "bad-ready-date": (WARNING, "«{value}» в поле «Дата сдачи» — не дата",
                       "Впишите дату в ячейку {address}, например 25.09.2026, или оставьте её пустой."),
    "more-findings": (ERROR, "И ещё {count} таких же {where}: {spread}",
                      "Они такие же, как замечание в {example} выше: исправьте их так же. Svod называет с "
                      "адресом первые {shown} замечаний одного вида в столбце, остальные — этой строкой."),
    # last year's values (sync_service/forms/year_over_year.py)
    "year-jump": (WARNING, "«{column}»: {value}, а в прошлом году ({last_year}) — {last_value}: {times} {direction}",
                  "Проверьте {where}: {check}? В прошлом году — {last_place}. Если всё верно, оставьте как есть."),
    "year-decrease": (WARNING, "«{column}»: {value} — {less}, чем в прошлом году ({last_year}): {last_value}",
                      "Это значение от года к году не уменьшается: проверьте {where}. В прошлом году — {last_place}. "
                      "Если всё верно, оставьте как есть."),
    # head workbook
    "duplicate-school-code": (ERROR, "Код школы «{value}» повторяется: он же в ячейке {others}",
                              "У каждой школы свой код: исправьте его в этой строке или в ячейке {others}. "
                              "Пока код повторяется, ни одна из этих строк не применяется: для этого кода "
                              "действует прежняя строка, и ни одна школа не уходит из работы."),
    "unknown-form": (ERROR, "Нет формы «{value}»",
                     "Выберите в столбце «Сбор» форму из списка: {choices}."),
    "unknown-campaign": (ERROR, "Нет кампании «{value}»",
                         "Укажите кампанию из списка: {choices}."),
    "missing-campaign": (ERROR, "Для отчёта о мероприятиях не указана кампания",
                         "Впишите в столбец «Кампания» одну из кампаний: {choices}."),
    # the head's own forms: «Формы», «Правила» (sync_service/forms/sheet_forms.py)
    "form-missing-title": (ERROR, "Не указано, к какой форме относится строка",
                           "Впишите название формы в ячейку {address} (или в строку выше: строки без названия "
                           "относятся к форме над ними)."),
    "form-conflict": (ERROR, "«{value}» не совпадает с «{first}» в строке {first_row} той же формы",
                      "Оставьте в столбце «{column}» одно значение для формы: исправьте ячейку {address} или "
                      "очистите её."),
    "form-title-taken": (ERROR, "Форма «{value}» уже есть в Svod",
                         "Назовите свою форму иначе (ячейка {address}): иначе в «Плане» их не различить."),
    "form-bad-tab": (ERROR, "«{value}» не годится в названия листа",
                     "Впишите в ячейку {address} название листа короче 32 знаков, без знаков [ ] : * ? / \\."),
    "form-tab-taken": (ERROR, "Лист «{value}» уже занят (форма «{other}»)",
                       "Впишите в ячейку {address} другое название листа для этой формы."),
    "form-no-columns": (ERROR, "В форме «{title}» нет ни одного столбца",
                        "Добавьте строки со столбцами формы: название в «Столбец», тип в «Тип»."),
    "form-unknown-check": (ERROR, "Svod не знает проверку «{value}»",
                           "Исправьте ячейку {address}: можно назвать только проверки Svod — {choices}."),
    "form-invalid": (ERROR, "Форму не удалось собрать: {reason}",
                     "Это сбой Svod: форма не опубликована. Сообщите разработчикам, приложив лист «Формы»."),
    "form-missing-label": (ERROR, "У столбца нет названия",
                           "Впишите название столбца в ячейку {address} или очистите строку."),
    "form-duplicate-column": (ERROR, "Столбец «{value}» уже есть в этой форме (строка {first_row})",
                              "Переименуйте столбец в ячейке {address} или удалите лишнюю строку."),
    "form-missing-type": (ERROR, "Не указан тип столбца «{column_name}»",
                          "Выберите тип в ячейке {address}: {choices}."),
    "form-duplicate-key": (ERROR, "Ключ «{value}» уже у столбца в строке {first_row}",
                           "Впишите в ячейку {address} другой ключ или очистите её: Svod подберёт ключ сам."),
    "form-bounds-ignored": (WARNING, "Мин и Макс не действуют для столбца «{column_name}»: он не числовой",
                            "Очистите ячейку {address} или выберите числовой тип."),
    "form-min-max": (ERROR, "Мин ({low}) больше Макс ({high})",
                     "Исправьте ячейку {address} или «Макс» в той же строке."),
    "form-list-ignored": (WARNING, "Список не действует для столбца «{column_name}»: его тип — не «Выбор из списка»",
                          "Очистите ячейку {address} или выберите тип «Выбор из списка»."),
    "form-missing-list": (ERROR, "Для выбора из списка не указан список («{column_name}»)",
                          "Впишите в ячейку {address} название списка ({choices}) или значения через «;»."),
    "form-unknown-list": (ERROR, "Нет списка «{value}»",
                          "Впишите в ячейку {address} название списка с листа «Списки» или одного из списков Svod "
                          "({choices}), или перечислите значения через «;»."),
    "rule-unknown-form": (ERROR, "Нет формы «{value}» на листе «Формы»",
                          "Впишите в ячейку {address} название формы так, как оно написано на листе «Формы»: "
                          "{choices}."),
    "rule-syntax": (ERROR, "Правило «{value}» не читается: {reason}",
                    "Напишите правило в ячейке {address} так: «Учебники ≤ Фонд всего» — названия столбцов, "
                    "числа, + − × /, скобки и одно сравнение: ≤ < = ≥ > ≠."),
    "rule-unknown-column": (ERROR, "В правиле назван столбец «{value}», которого нет в форме",
                            "Исправьте название в ячейке {address}; числовые столбцы формы: {choices}."),
    "rule-not-numeric": (ERROR, "Столбец «{value}» не числовой: его нельзя сравнивать",
                         "В правилах (ячейка {address}) можно называть только числовые столбцы: {choices}."),
}

# The textbook order's (sync_service/order/): a school's order checked against the federal
# list by the ``fpu_order`` check, and reading the list or a price list.
ORDER_CODES: dict[str, tuple[str, str, str]] = {
    # a school's order («Заказ учебников»), checked against the federal list
    "fpu-unknown-code": (
        ERROR, "Кода {fpu_code} нет в действующем федеральном перечне учебников",
        "Исправьте код в ячейке {address}: возьмите его из перечня (ФПУ).{suggestions}"),
    "fpu-grade": (
        ERROR, "Учебник {fpu_code} «{title}» — для {grades} кл., а указан {grade} класс",
        "Исправьте класс в ячейке {address} или выберите в перечне учебник для {grade} класса."),
    "fpu-expired": (
        ERROR, "Учебник {fpu_code} «{title}» можно использовать только до {valid_until}, а заказ — на {order_year} учебный год",
        "Замените учебник в строке {row} (код в ячейке {address}) на учебник из действующего перечня."),
    "order-duplicate": (
        WARNING, "Учебник {fpu_code} для {grade} класса уже заказан в строке {first_row}; в общий заказ войдёт сумма: {total} экз.",
        "Объедините строки {first_row} и {row} в одну (ячейка {address}) или оставьте как есть — экземпляры сложатся."),
    "order-exceeds-students": (
        WARNING, "Заказано {copies} экз. учебника {fpu_code} для {grade} класса, а обучающихся {grade}-х классов — {students}",
        "Проверьте количество в ячейке {address}: заказ больше числа обучающихся более чем на 10 % "
        "(число обучающихся — из мониторинга обеспеченности). Если всё верно, оставьте как есть."),
    "fpu-title-mismatch": (
        WARNING, "Название «{typed}» не похоже на учебник с кодом {fpu_code}: «{title}»",
        "Проверьте код в ячейке {address}: в заказ попадёт учебник по коду — «{title}»."),
    "fpu-lookup": (
        INFO, "{fpu_code}: «{title}», {authors}; {publisher}; {grades} кл.",
        "Справка: учебник найден по коду. Если это не тот учебник, исправьте код в ячейке {address}."),
    "fpu-suggest": (
        INFO, "Код ФПУ не указан. {suggestions}",
        "Впишите код из федерального перечня в ячейку {address}."),
    "fpu-not-loaded": (
        INFO, "Федеральный перечень учебников ещё не загружен в Svod: коды заказа не проверены",
        "Руководителю ОМО: загрузите перечень (svod fpu import <файл>) — при следующей проверке коды будут сверены."),
    # reading the federal list or a price list (shown to the head by the import command)
    "fpu-header-not-found": (
        ERROR, "В файле «{sheet}» не найдена строка заголовков {what}",
        "Нужны столбцы: {labels}. Проверьте, что это тот файл, и что заголовки есть в первых {rows} строках."),
    "fpu-row-skipped": (
        WARNING, "Строка {row} пропущена: {reason}",
        "Исправьте строку {row} файла «{sheet}» (ячейка {address}), если эта строка нужна для заказа."),
    "fpu-empty": (
        ERROR, "В файле «{sheet}» не найдено ни одной строки {what}",
        "Проверьте, что это нужный файл и что строки идут под заголовками."),
}

# Every code Svod reports, in one table: nothing is added to it at run time.
CODES.update(ORDER_CODES)

BLOCKING = frozenset({ERROR})
MORE = "more-findings"  # stands for the findings of one kind past the first ones (forms/found.py)


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one place of a workbook.

    ``row`` is the sheet's row number (1-based) and ``address`` the A1 address of the
    cell, when the finding points at a cell; ``column`` is the Russian label of the
    column and ``column_key`` its stable key.
    """

    code: str
    message: str
    hint: str = ""
    severity: str = ERROR
    form: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_key: str | None = None
    address: str | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def blocking(self) -> bool:
        return self.severity in BLOCKING

    def place(self) -> str:
        """Where, in Russian: «лист «Кадры», ячейка C7 (столбец «Ставка»)»."""
        parts = []
        if self.sheet:
            parts.append(f"лист «{self.sheet}»")
        if self.address:
            parts.append(f"ячейка {self.address}")
        elif self.row:
            parts.append(f"строка {self.row}")
        if self.column:
            parts.append(f"столбец «{self.column}»")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        return {
            "code": self.code, "severity": self.severity, "form": self.form, "sheet": self.sheet,
            "row": self.row, "column": self.column, "column_key": self.column_key,
            "address": self.address, "message": self.message, "hint": self.hint,
        }


class TemplateValues(dict):
    """A finding's template values: every value shortened (:func:`template_values`), and an
    unknown placeholder left visible instead of failing the whole report."""

    def __missing__(self, key):
        return "{" + key + "}"


# Values Svod composes from several parts (lists of choices, operands, suggestions, a
# reason) may be longer than one quoted cell; everything else is a value as typed.
COMPOSED = frozenset({"choices", "labels", "columns", "suggestions", "reason", "rule_message", "pattern_message",
                      "expected_hint", "title", "authors", "publisher", "what", "bounds", "grades"})
COMPOSED_LIMIT = 400


def template_values(params: dict) -> TemplateValues:
    """``params`` for a message template, each value shortened by :func:`sync_service.ru.shortened`
    — the one place every finding's message and hint get their values, so that no cell
    (1e308, a pasted page of text) makes a message longer than a screen."""
    values = TemplateValues(params)
    for key, value in params.items():
        if value.__class__ is not str:
            if value.__class__ is int and -10**15 < value < 10**15 or value is None:
                continue
            value = str(value)
        if len(value) > VALUE_LIMIT:
            values[key] = shortened(value, COMPOSED_LIMIT if key in COMPOSED else VALUE_LIMIT)
    return values


NAME_LIMIT = 120  # characters of a tab's or a header's name quoted in a message (Google allows 100 in a tab)


def make_finding(code: str, *, form: str | None = None, sheet: str | None = None, row: int | None = None,
                 column: str | None = None, column_key: str | None = None, address: str | None = None,
                 severity: str | None = None, **params) -> Finding:
    """Build a finding of a known ``code``, filling its Russian templates."""
    default_severity, message, hint = CODES[code]
    values = template_values(params)
    values.update(sheet=shortened(sheet or "", NAME_LIMIT), column=shortened(column or "", NAME_LIMIT), row=row or "",
                  address=address or "")
    return Finding(
        code=code,
        message=message.format_map(values),
        hint=hint.format_map(values),
        severity=severity or default_severity,
        form=form, sheet=sheet, row=row, column=column, column_key=column_key, address=address,
        params=dict(params),
    )


def flatten(findings: Iterable[Finding]) -> list[list]:
    """``[[row, column_key, code], …]``: findings as a table that tests can compare."""
    return [[f.row, f.column_key, f.code] for f in findings]


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1(row: int, column: int) -> str:
    """The A1 address of a 1-based (row, column)."""
    return f"{column_letter(column)}{row}"
