"""Makes docs/images/specification.png and distribution.png: a publisher's file as Svod
exports it, printed by LibreOffice (what the clerk gets on paper). Not part of `make test`:
it needs LibreOffice and poppler (`apt-get install libreoffice-calc-nogui poppler-utils`).

    .venv/bin/python docs/images/specification.py
"""
from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from sync_service.order.common import SchoolRows
from sync_service.order.consolidate import build_order, export_publishers
from sync_service.order.fpu import FpuIndex, read_fpu_file, read_price_file, sample_fpu_path, sample_prices_path
from sync_service.stores.xlsx import XlsxStore

HERE = Path(__file__).resolve().parent


def main() -> None:
    fpu = FpuIndex(read_fpu_file(sample_fpu_path()).entries, version=1, source="sample")
    prices = read_price_file(sample_prices_path()).prices
    rnd = random.Random(2027)
    entries = [e for e in fpu if "Просвещение" in e.publisher and e.valid_until is None][:14]
    schools = [SchoolRows(f"sch{n:02d}", f"МБОУ СОШ №{n}",
                          [{"_row": 5 + i, "fpu_code": e.code, "grade": rnd.choice(e.grades),
                            "copies": rnd.randint(8, 60)} for i, e in enumerate(rnd.sample(entries, 4))])
               for n in range(1, 7)]
    order = build_order(schools, fpu, academic_year="2026/2027", prices=prices, made=date(2027, 3, 10),
                        customer="Управление образования администрации Энского муниципального района")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (workbook_id,) = export_publishers(order, XlsxStore(work))
        shutil.copy(work / workbook_id, work / "spec.xlsx")
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(work / "spec.xlsx")],
                       check=True, capture_output=True)
        for page, name in ((1, "specification"), (2, "distribution")):
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", "-f", str(page), "-l", str(page),
                            str(work / "spec.pdf"), str(HERE / name)], check=True)


if __name__ == "__main__":
    main()
