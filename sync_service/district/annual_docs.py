"""The head's annual analysis as documents: a .docx to hand on (python-docx) and the same
figures as an .xlsx (openpyxl), with charts drawn by matplotlib (the Agg backend: no
display needed on a server). Numbers are written as Russian paperwork writes them
(:mod:`sync_service.ru`: «15 320», «96,5 %»); the .xlsx keeps them as numbers."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

from sync_service import ru
from sync_service.district.annual import Annual, Section, plain
from sync_service.forms.layout import year_label

TITLE = "Анализ работы ОМО школьных библиотекарей"


def file_name(year: str, suffix: str) -> str:
    return f"Анализ работы ОМО ШБ {year_label(year)}.{suffix}"


def annual_documents(svod, year: str) -> tuple[bytes, bytes]:
    """The .docx and the .xlsx of ``year``'s analysis, from the database."""
    from sync_service.district.annual import annual_figures

    campaigns = {c.code: c.title for c in svod.schema.campaigns}
    with svod.db.session() as session:
        annual = annual_figures(session, year=year, now=svod.clock(), campaigns=campaigns)
    return annual_docx(annual), annual_xlsx(annual)


def cell_text(value: Any, header: str = "") -> str:
    """A figure as the document prints it."""
    value = plain(value)
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, (int, float)):
        if "%" in header or "Изменение" in header:
            return ru.number(value, 1)
        return ru.number(value, 0 if float(value).is_integer() else 1)
    if isinstance(value, date):
        return ru.date_text(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return ru.date_text(ru.as_date(value))
    return str(value)


def chart_png(chart: dict) -> bytes:
    """A bar chart (one or two series side by side) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels, series = chart["labels"], chart["series"]
    figure, axes = plt.subplots(figsize=(7.5, 3.6), dpi=120)
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        positions = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axes.bar(positions, values, width=width, label=name)
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels([label if len(label) <= 24 else label[:23] + "…" for label in labels], rotation=30,
                         ha="right", fontsize=7)
    axes.set_title(chart["title"], fontsize=10)
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: ru.number(v, 0)))
    if len(series) > 1:
        axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def annual_docx(annual: Annual) -> bytes:
    """The analysis as a Word document: title, contents, numbered sections with their tables and charts."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    styles = document.styles
    styles["Normal"].font.name = "Times New Roman"
    styles["Normal"].font.size = Pt(12)
    for section in document.sections:
        section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    for name in ("Title", "Heading 1", "Caption"):   # paperwork is black on white
        styles[name].font.color.rgb = RGBColor(0, 0, 0)
        styles[name].font.name = "Times New Roman"
    title = document.add_heading(f"{TITLE} за {annual.year} учебный год", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lead = document.add_paragraph(f"Школ в районе: {annual.schools}. Сравнение — с {annual.previous} учебным "
                                  f"годом. Составлено {ru.long_date(annual.made_at)} по данным Svod.")
    lead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading("Содержание", level=1)
    for number, section in enumerate(annual.sections, start=1):
        document.add_paragraph(f"{number}. {section.title}")
    for number, section in enumerate(annual.sections, start=1):
        document.add_heading(f"{number}. {section.title}", level=1)
        for text in section.text:
            document.add_paragraph(text)
        for caption, header, rows in section.tables:
            document.add_paragraph(caption, style="Caption")
            _table(document, header, rows, WD_TABLE_ALIGNMENT)
        if section.chart and any(any(v for v in values) for values in section.chart["series"].values()):
            document.add_picture(io.BytesIO(chart_png(section.chart)), width=Cm(16))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph()
    document.add_paragraph("Руководитель ОМО школьных библиотекарей ____________________ / ____________________")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document, header: list[str], rows: list[list], alignment) -> None:
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = alignment.CENTER
    table.autofit = False
    widths = [Cm(w) for w in column_widths(header, rows)]
    size = 9 if len(header) <= 6 else 8
    for column, width in zip(table.columns, widths):   # the grid, which LibreOffice and Word lay out by
        column.width = width
    for cell, text, width in zip(table.rows[0].cells, header, widths):
        cell.text = text
        cell.width = width
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(size)
    for row in rows or [["нет данных"] + [""] * (len(header) - 1)]:
        cells = table.add_row().cells
        for cell, value, name, width in zip(cells, row, header, widths):
            cell.text = cell_text(value, name)
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(size)


TEXT_WIDTH = 16.5   # cm between the margins


def column_widths(header: list[str], rows: list[list]) -> list[float]:
    """Centimetres per column: each of the figures' columns as wide as its longest header word
    or value needs at 9 pt (a date or a number is never broken across lines), the first — the
    names — what is left of the text width."""
    per_char = 0.19 if len(header) <= 6 else 0.17   # cm at 9 pt; wide tables are set in 8 pt
    needs = []
    for i, name in enumerate(header[1:], start=1):
        word = max(len(w) for w in name.split()) * per_char * 1.15   # headers are bold
        value = max([len(cell_text(r[i], name)) for r in rows if i < len(r)] + [0]) * per_char
        needs.append(max(1.1, min(max(word, value), 14 * per_char) + 0.3))
    first = max(3.5, TEXT_WIDTH - sum(needs))
    scale = min(1.0, (TEXT_WIDTH - 3.5) / sum(needs)) if needs else 1.0
    return [round(first, 2)] + [round(n * scale, 2) for n in needs]


def annual_xlsx(annual: Annual) -> bytes:
    """The same figures as a workbook: a tab per section, the tables one under another, numbers as numbers."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, section in enumerate(annual.sections, start=1):
        sheet = book.create_sheet(_sheet_title(number, section))
        sheet.append([f"{number}. {section.title} — {annual.year}"])
        sheet["A1"].font = Font(bold=True, size=12)
        for text in section.text:
            sheet.append([text])
        for caption, header, rows in section.tables:
            sheet.append([])
            sheet.append([caption])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
            sheet.append(header)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append([_xlsx_value(v) for v in row])
        sheet.column_dimensions["A"].width = 42
        for letter in "BCDEFGHIJ":
            sheet.column_dimensions[letter].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(number: int, section: Section) -> str:
    return f"{number} {section.title}"[:31]


def _xlsx_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, float):
        return None if value != value else round(value, 2)
    return value
