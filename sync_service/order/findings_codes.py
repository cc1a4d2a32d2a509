"""The finding codes of the textbook order, merged into :data:`sync_service.findings.CODES`.

Kept here rather than in the shared table so that the order package owns its wording;
``sync_service.order`` merges them at import. Templates are formatted with the finding's
params plus ``sheet``, ``column``, ``row`` and ``address`` (see ``make_finding``).
"""
from __future__ import annotations

from sync_service.findings import ERROR, INFO, WARNING

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
