"""Versions of the federal list and of the price lists in the database.

Each import of a list whose content changed is a new version; the newest is the active
one and older versions stay (an order checked last spring can still be explained).
Importing the same content again changes nothing. Price lists are kept per publisher:
importing a publisher's new list replaces its previous one and leaves the others.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from sync_service.db import Base, utcnow
from sync_service.order.fpu import FpuEntry, FpuIndex


class _Version:
    """What a version of a list records: when, from which file, how many rows, its digest."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(500), default="")
    entries: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class FpuList(_Version, Base):
    __tablename__ = "fpu_lists"


class FpuEntryRecord(Base):
    __tablename__ = "fpu_entries"
    __table_args__ = (Index("ix_fpu_entries_list_code", "list_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("fpu_lists.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[str] = mapped_column(Text, default="")
    grades: Mapped[str] = mapped_column(String(40))  # "5,6,7"
    publisher: Mapped[str] = mapped_column(String(300))
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    subject: Mapped[str] = mapped_column(String(200), default="")


class PriceList(_Version, Base):
    __tablename__ = "price_lists"

    publisher: Mapped[str] = mapped_column(String(300), default="")  # "" when it covers several


class PriceEntryRecord(Base):
    __tablename__ = "price_entries"
    __table_args__ = (Index("ix_price_entries_list_code", "list_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


def _digest(payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fpu_digest(entries: Iterable[FpuEntry]) -> str:
    """The content of a list, whatever the order of its rows."""
    return _digest(sorted([e.code, e.title, e.authors, list(e.grades), e.publisher,
                           e.valid_until.isoformat() if e.valid_until else None, e.subject] for e in entries))


# --- the federal list ----------------------------------------------------------------------

def import_fpu(session: Session, entries: Iterable[FpuEntry], source: str) -> int:
    """Store ``entries`` as the active list; returns its version. A new version only when
    the content differs from the active one (then the same version comes back)."""
    entries = list(entries)
    digest = fpu_digest(entries)
    active = session.scalar(select(FpuList).where(FpuList.active.is_(True)))
    if active is not None and active.sha256 == digest:
        return active.version
    version = (session.scalar(select(func.max(FpuList.version))) or 0) + 1
    session.execute(update(FpuList).values(active=False))
    record = FpuList(version=version, source=source, entries=len(entries), sha256=digest, active=True,
                     imported_at=utcnow())
    session.add(record)
    session.flush()
    if entries:
        session.execute(FpuEntryRecord.__table__.insert(), [
            {"list_id": record.id, "code": e.code, "title": e.title, "authors": e.authors,
             "grades": ",".join(map(str, e.grades)), "publisher": e.publisher, "valid_until": e.valid_until,
             "subject": e.subject} for e in entries])
    return version


def fpu_versions(session: Session) -> list[FpuList]:
    """Every imported version, newest first."""
    return list(session.scalars(select(FpuList).order_by(FpuList.version.desc())))


# Loading a list is a few thousand rows: keep the last indexes by content (a new version
# has a new digest, so a cached index is never stale).
_INDEXES: dict[str, FpuIndex] = {}


def current_fpu(session: Session) -> FpuIndex | None:
    """The active list as an index; None when no list was ever imported."""
    active = session.scalar(select(FpuList).where(FpuList.active.is_(True)))
    if active is None:
        return None
    cached = _INDEXES.get(active.sha256)
    if cached is not None and cached.version == active.version:
        return cached
    rows = session.execute(select(FpuEntryRecord).where(FpuEntryRecord.list_id == active.id)
                           .order_by(FpuEntryRecord.id)).scalars()
    index = FpuIndex((FpuEntry(code=r.code, title=r.title, authors=r.authors,
                               grades=tuple(int(g) for g in r.grades.split(",") if g), publisher=r.publisher,
                               valid_until=r.valid_until, subject=r.subject) for r in rows),
                     version=active.version, source=active.source)
    if len(_INDEXES) >= 4:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[active.sha256] = index
    return index


# --- price lists ---------------------------------------------------------------------------

def import_prices(session: Session, prices: Mapping[str, Decimal], source: str, *, publisher: str = "") -> int:
    """Store a price list (``{code: price per copy}``) as the active one of ``publisher``
    ("" for a list covering several); returns its version, unchanged content keeps it."""
    digest = _digest(sorted((code, str(price)) for code, price in prices.items()))
    active = session.scalar(select(PriceList).where(PriceList.active.is_(True), PriceList.publisher == publisher))
    if active is not None and active.sha256 == digest:
        return active.version
    version = (session.scalar(select(func.max(PriceList.version))) or 0) + 1
    session.execute(update(PriceList).where(PriceList.publisher == publisher).values(active=False))
    record = PriceList(version=version, source=source, publisher=publisher, entries=len(prices), sha256=digest,
                       active=True, imported_at=utcnow())
    session.add(record)
    session.flush()
    if prices:
        session.execute(PriceEntryRecord.__table__.insert(),
                        [{"list_id": record.id, "code": code, "price": price} for code, price in prices.items()])
    return version


def current_prices(session: Session) -> dict[str, Decimal]:
    """``{code: price}`` from every active price list; a later import wins on a shared code."""
    rows = session.execute(
        select(PriceEntryRecord.code, PriceEntryRecord.price)
        .join(PriceList, PriceList.id == PriceEntryRecord.list_id)
        .where(PriceList.active.is_(True)).order_by(PriceList.version, PriceEntryRecord.id))
    return {code: Decimal(price).quantize(Decimal("0.01")) for code, price in rows}


def describe_list(record: FpuList | PriceList | None) -> str:
    """«версия 3 от 01.02.2027 (fpu.xlsx, 1 234 учебника)» for messages and pages."""
    if record is None:
        return "не загружен"
    return f"версия {record.version} от {record.imported_at:%d.%m.%Y} ({record.source}, строк: {record.entries})"


__all__ = ["FpuList", "FpuEntryRecord", "PriceList", "PriceEntryRecord", "import_fpu", "current_fpu",
           "fpu_versions", "import_prices", "current_prices", "fpu_digest", "describe_list"]
