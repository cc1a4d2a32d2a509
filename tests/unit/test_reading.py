"""Finding things in a tab as people leave it: merges, «Готово», the header row, fields."""
import pytest

from sync_service.forms.reading import fill_merges, find_fields, find_header, find_ready, is_blank, label_key
from sync_service.forms.schema import load_schema
from sync_service.stores.base import Sheet

SCHEMA = load_schema()
PROVISION = SCHEMA.forms["textbook_provision"]
ANNUAL = SCHEMA.forms["annual_report"]
LABELS = ["Класс", "Предмет", "Обучающихся", "Учебников в фонде, экз.", "Обеспеченность, %"]


def grid(rows, merges=()):
    return fill_merges(Sheet("Лист", rows, list(merges)))


@pytest.mark.parametrize("text, key", [
    ("Количество, экз.", "количество экз"),
    ("  КОЛИЧЕСТВО ,  экз.: ", "количество экз"),
    ("Количество экз *", "количество экз"),
    ("Учебников в фонде,\nэкз.", "учебников в фонде экз"),
    ("Объём фонда", "объем фонда"),
    ("Обеспеченность, %", "обеспеченность %"),
    ("Готово:", "готово"),
    (None, ""),
    (True, ""),
    (5, "5"),
])
def test_label_key(text, key):
    assert label_key(text) == key


@pytest.mark.parametrize("value, blank", [
    (None, True), ("", True), ("  ", True), ("\u200b", True), ("\u00a0", True), (0, False), (False, False), ("x", False),
])
def test_is_blank(value, blank):
    assert is_blank(value) is blank


def test_a_merged_range_fills_every_cell_and_the_sheet_is_not_changed():
    rows = [["Класс", "Предмет"], [5, "Математика"], [None, "Русский язык"], [None, "История"], [6, "Физика"]]
    filled = grid(rows, [(2, 1, 4, 1)])
    assert [line[0] for line in filled.rows] == ["Класс", 5, 5, 5, 6]
    assert rows[2][0] is None
    assert filled.copies == {(3, 1), (4, 1)}


def test_a_merge_wider_than_its_rows_extends_them():
    filled = grid([["Итоги"], []], [(1, 1, 2, 3)])
    assert filled.rows == [["Итоги", "Итоги", "Итоги"], ["Итоги", "Итоги", "Итоги"]]


def test_a_merge_of_empty_cells_or_beyond_the_sheet_changes_nothing():
    rows = [[None, "a"]]
    assert grid(rows, [(1, 1, 1, 2), (5, 1, 6, 2)]).rows == rows


@pytest.mark.parametrize("top, ready, where", [
    ([["Заголовок"], ["Готово", True, "Дата сдачи", None]], True, (2, 1, 2)),
    ([["Заголовок"], ["Готово", False, "Дата сдачи", None]], False, (2, 1, 2)),
    ([["Заголовок"], ["  готово : ", None, "да"]], "да", (2, 1, 3)),
    ([[None, "ГОТОВО", None, None, "да"]], None, (1, 2, 3)),     # too far to the right: empty
    ([["Готово", None, "Дата сдачи", "01.09.2026"]], None, (1, 1, 2)),  # the next label is not a value
    ([["Готово: да"]], "да", (1, 1, 1)),
    ([["Заголовок"]], "missing", None),
])
def test_ready_flag(top, ready, where):
    found = find_ready(grid(top)).ready
    if ready == "missing":
        assert found is None
        return
    assert found.value == ready
    assert (found.row, found.column, found.value_column) == where


def test_ready_flag_only_in_the_first_rows():
    rows = [[None]] * 10 + [["Готово", True]]
    assert find_ready(grid(rows)).ready is None
    assert find_ready(grid(rows), rows=11).ready.value is True


def test_ready_label_merged_over_two_cells():
    found = find_ready(grid([["Готово", None, True]], [(1, 1, 1, 2)])).ready
    assert (found.value, found.value_column) == (True, 3)


def test_ready_date():
    found = find_ready(grid([["Готово", True, "Дата сдачи:", "25.09.2026"]])).date
    assert (found.row, found.value, found.value_column) == (1, "25.09.2026", 4)


@pytest.mark.parametrize("rows, header_row, positions", [
    # as Svod lays it out: header in row 4
    ([["Титул"], ["Готово", False], ["Помощь"], LABELS], 4, {"grade": 1, "subject": 2, "students": 3, "copies": 4,
                                                             "provision": 5}),
    # moved down, reordered, an extra column, a renamed header (alias), tolerant spelling
    ([[], [], [], [], [], [], ["№", "Предмет", "КЛАСС:", "Учебников, экз.", "Обучающихся *", "Примечание"]],
     7, {"subject": 2, "grade": 3, "copies": 4, "students": 5}),
    # a note after the label
    ([["Класс (1–11)", "Предмет"]], 1, {"grade": 1, "subject": 2}),
])
def test_header(rows, header_row, positions):
    header = find_header(grid(rows), PROVISION)
    assert (header.row, header.positions) == (header_row, positions)
    assert header.duplicates == []


def test_header_picks_the_row_with_most_labels():
    rows = [["Класс"], ["Класс", "Предмет", "Обучающихся"]]
    assert find_header(grid(rows), PROVISION).row == 2


def test_header_duplicate_column_is_reported_and_the_first_kept():
    header = find_header(grid([["Класс", "Предмет", "Класс"]]), PROVISION)
    assert header.positions == {"grade": 1, "subject": 2}
    assert header.duplicates == [("grade", 3)]
    assert header.missing(PROVISION) == ["students", "copies", "provision"]


def test_a_merged_header_cell_is_one_header():
    header = find_header(grid([["Класс", None, "Предмет"]], [(1, 1, 1, 2)]), PROVISION)
    assert header.positions == {"grade": 1, "subject": 3}
    assert header.duplicates == []


def test_no_header():
    assert find_header(grid([["Заголовок"], ["что-то ещё"]]), PROVISION) is None
    assert find_header(grid([]), PROVISION) is None


def test_header_only_in_the_first_rows():
    rows = [[None]] * 15 + [LABELS]
    assert find_header(grid(rows), PROVISION) is None


def test_record_fields():
    rows = [["Годовой отчёт"], ["Готово", False], [], ["Показатель", "Значение"],
            ["Количество обучающихся в ОО", 500], ["количество читателей,  всего:", 450],
            ["Книговыдача", 9000], ["Количество обучающихся в ОО", 501]]
    fields = find_fields(grid(rows), ANNUAL)
    assert fields.rows == {"students": 5, "readers": 6, "loans": 7}
    assert fields.duplicates == [("students", 8)]
