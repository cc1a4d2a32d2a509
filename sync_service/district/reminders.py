"""Reminders to librarians and the head's daily digest, by e-mail.

Three steps, each its own function:

1. :func:`read_district` reads what the database knows into plain values (:class:`District`);
2. :func:`compose_reminders` (pure) decides who gets what today and writes the Russian
   letters (:class:`Message`);
3. :func:`send_messages` sends them over SMTP — or prints them in a dry run — and records
   each in ``reminders_sent`` after a successful send, so no reminder goes out twice.

Who gets what (statuses from :func:`sync_service.district.status.status_of`):

- ``before``: from ``SVOD_REMINDER_DAYS_BEFORE`` days before a deadline up to the deadline,
  for a collection not yet submitted (not started, in progress) or returned with errors;
- ``after``: once the deadline has passed, for a collection overdue or returned;
- ``unknown``: in either window, for a collection Svod knows nothing about because the
  school's workbook cannot be read: the letter says so and what is wrong with the book
  (never «просрочен»), and, keyed apart, does not stand in for the reminder due once
  the book is read again;
- ``review``: once per «Вернуть на доработку» of the head (whatever the deadline), for a
  collection she returned: the letter carries her comment (a comment of hers stands in
  every letter about that collection);
- ``digest``: once a day to ``SVOD_HEAD_EMAIL``: rates per collection, the overdue list,
  sync errors, schools without an e-mail.

A school gets one letter a run covering all its collections due (each with its findings:
sheet, cell, what is wrong, what to do); each (school, collection, kind, deadline) goes
out once — a changed deadline is a new deadline and is reminded again. Collections
without a deadline are never reminded.

``svod remind [--dry-run]`` is :func:`remind`; the clock runs :func:`send_reminders`
daily at ``SVOD_REMINDER_HOUR``. With ``SVOD_SMTP_HOST`` empty every run is a dry run.
"""
from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_service import db as m
from sync_service import ru
from sync_service.config import Settings
from sync_service.context import Svod
from sync_service.district.check_tab import not_written
from sync_service.district.report import active_schools, plan_collections
from sync_service.district.status import (
    ACCEPTED,
    ACCEPTED_LATE,
    CHANGED,
    IN_PROGRESS,
    NO_FACTS,
    NOT_STARTED,
    OVERDUE,
    RETURNED,
    SENT_BACK,
    STATUS_TEXTS,
    UNKNOWN,
    UNKNOWN_FACTS,
    Facts,
    facts_of,
    rates,
    status_of,
)

log = logging.getLogger("svod.reminders")

BEFORE, AFTER, DIGEST, UNREADABLE, REVIEW = "before", "after", "digest", "unknown", "review"
MAX_FINDINGS = 25  # per collection in one letter; the rest are on the «Проверка» tab
NAME_LIMIT = 200   # characters of a name the head typed (a school, a collection), as a letter quotes it
DIGEST_LIMIT = 50  # lines of each list in the head's digest; the rest are on the status page
SYNC_LABELS = {"ok": "успешно", "partial": "с ошибками", "failed": "не удалась", "running": "идёт",
               "interrupted": "прервана"}


# --- values --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderKey:
    """What ``reminders_sent`` keeps unique: school and collection codes ("" for the digest),
    the kind, and the deadline (``before``/``after``) or the day (``digest``) as ISO."""

    school: str
    collection: str
    kind: str
    key: str


@dataclass(frozen=True)
class FindingInfo:
    severity: str
    sheet: str | None
    address: str | None
    row: int | None
    column: str | None
    message: str
    hint: str

    @property
    def place(self) -> str:
        parts = [f"лист «{self.sheet}»"] if self.sheet else []
        if self.address:
            parts.append(f"ячейка {self.address}")
        elif self.row:
            parts.append(f"строка {self.row}")
        if self.column and not self.address:
            parts.append(f"столбец «{self.column}»")
        return ", ".join(parts)


@dataclass(frozen=True)
class SchoolInfo:
    code: str
    name: str
    librarian: str = ""
    email: str = ""
    workbook: str = ""  # what to open: a file name (xlsx) or the spreadsheet's URL (google)
    sync_error: str | None = None
    check_error: str | None = None  # why its «Проверка» could not be written
    data_as_of: datetime | None = None  # with sync_error: the last good read (None: never read)


@dataclass(frozen=True)
class CollectionInfo:
    key: str
    title: str
    tab: str
    deadline: date | None


@dataclass
class District:
    """What :func:`compose_reminders` needs, read from the database by :func:`read_district`."""

    academic_year: str
    schools: list[SchoolInfo]
    collections: list[CollectionInfo]
    facts: dict[tuple[str, str], Facts] = field(default_factory=dict)            # (school, collection)
    # (school, collection) -> the head's review comment and when she made it
    reviews: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    findings: dict[tuple[str, str | None], list[FindingInfo]] = field(default_factory=dict)  # None: the workbook
    last_sync: dict | None = None   # status, error, finished_at of the newest run
    failed_jobs: list[str] = field(default_factory=list)  # Russian lines about failed clock jobs


@dataclass
class Message:
    to: str
    subject: str
    body: str
    keys: tuple[ReminderKey, ...]
    school: str = ""  # the school's code; "" for the digest

    def email(self, sender: str, reply_to: str = "") -> EmailMessage:
        """The message as MIME: UTF-8 headers encoded per RFC 2047, the body in base64."""
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["From"] = sender
        mail["To"] = self.to
        if reply_to and reply_to != self.to:
            mail["Reply-To"] = reply_to
        mail["Subject"] = self.subject
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain="svod.local")
        mail.set_content(self.body, charset="utf-8", cte="base64")
        return mail


# --- composing (pure) ------------------------------------------------------------------------------

def compose_reminders(district: District, *, today: date, days_before: int, public_url: str, head_email: str = "",
                      sent: set[ReminderKey] | frozenset = frozenset(), sync_interval_minutes: int = 15) -> list[Message]:
    """Today's letters: one per school with something due, then the head's digest.

    ``sent`` holds the keys already in ``reminders_sent``: those are not composed again.
    """
    public_url = public_url.rstrip("/")
    statuses = {(s.code, c.key): status_of(district.facts.get((s.code, c.key),
                                                              UNKNOWN_FACTS if s.sync_error else NO_FACTS),
                                           c.deadline, today)
                for s in district.schools for c in district.collections}
    messages: list[Message] = []
    no_email: list[SchoolInfo] = []
    for school in district.schools:
        due = []
        for collection in district.collections:
            status = statuses[(school.code, collection.key)]
            review = district.reviews.get((school.code, collection.key))
            if status == SENT_BACK and review is not None:
                kind, when = REVIEW, review[1].strftime("%Y%m%dT%H%M%S")  # fits reminders_sent.key
            else:
                kind = reminder_kind(status, collection.deadline, today, days_before)
                if kind is None:
                    continue
                when = collection.deadline.isoformat()
            key = ReminderKey(school.code, collection.key, kind, when)
            if key not in sent:
                due.append((collection, kind, key))
        if not due:
            continue
        if not school.email:
            no_email.append(school)
            continue
        messages.append(Message(
            to=school.email, school=school.code, keys=tuple(key for _c, _k, key in due),
            subject=_school_subject(school, [(c, kind, statuses[(school.code, c.key)]) for c, kind, _key in due]),
            body=_school_body(district, school, due, statuses, today, public_url, head_email, sync_interval_minutes)))
    digest_key = ReminderKey("", "", DIGEST, today.isoformat())
    if head_email and digest_key not in sent:
        messages.append(Message(to=head_email, keys=(digest_key,), subject=f"Svod: сводка на {ru.date_text(today)}",
                                body=_digest_body(district, statuses, today, public_url, messages, no_email)))
    return messages


def reminder_kind(status: str, deadline: date | None, today: date, days_before: int) -> str | None:
    """``before``, ``after`` or ``None`` (nothing to remind) for one school × collection."""
    if deadline is None:
        return None
    if status == UNKNOWN:
        return UNREADABLE if today > deadline or (deadline - today).days <= days_before else None
    if today <= deadline:
        if (deadline - today).days <= days_before and status in (NOT_STARTED, IN_PROGRESS, RETURNED):
            return BEFORE
        return None
    return AFTER if status in (OVERDUE, RETURNED) else None


def _school_subject(school: SchoolInfo, due: list[tuple[CollectionInfo, str, str]]) -> str:
    if all(status == UNKNOWN for _c, _k, status in due):
        return f"Svod не может прочитать книгу школы «{school.name}»"
    if len(due) > 1:
        return f"Отчёты к сдаче ({len(due)}): {school.name}"
    collection, kind, status = due[0]
    if status == SENT_BACK:
        return f"Отчёт «{collection.title}» возвращён на доработку"
    if status == RETURNED:
        return f"Отчёт «{collection.title}» возвращён на исправление"
    if kind == AFTER:
        return f"Просрочен отчёт «{collection.title}» (срок был {ru.date_text(collection.deadline)})"
    return f"Напоминание: срок сдачи «{collection.title}» — {ru.date_text(collection.deadline)}"


_TODO = {
    NOT_STARTED: "Заполните лист «{tab}» и отметьте «Готово».",
    IN_PROGRESS: "Лист «{tab}» заполняется, но «Готово» не отмечено: проверьте данные и отметьте «Готово».",
    OVERDUE: "Срок сдачи прошёл: заполните лист «{tab}» и отметьте «Готово» как можно скорее.",
    RETURNED: "Отмечено «Готово», но проверка нашла ошибки: исправьте их на листе «{tab}» — отчёт будет принят "
              "при следующей проверке.",
    SENT_BACK: "Руководитель ОМО вернула отчёт на доработку: исправьте лист «{tab}» по комментарию и снова "
               "отметьте «Готово».",
    UNKNOWN: "Svod не может прочитать книгу школы и не знает, заполнен ли лист «{tab}» и отмечено ли «Готово»: "
             "исправьте книгу (что не так — выше), и статус появится после следующей проверки.",
}


def _school_body(district: District, school: SchoolInfo, due, statuses, today: date, public_url: str,
                 head_email: str, interval: int) -> str:
    lines = [f"Здравствуйте{', ' + school.librarian if school.librarian else ''}!", "",
             f"Svod напоминает о сдаче отчётов школы «{school.name}» за {district.academic_year} учебный год.", ""]
    broken = district.findings.get((school.code, None), [])
    if broken:
        lines.append("Svod не смог прочитать книгу школы:")
        lines += ["   " + line for line in _finding_lines(broken)]
        lines.append("")
    for number, (collection, _kind, _key) in enumerate(due, start=1):
        status = statuses[(school.code, collection.key)]
        lines.append(f"{number}. «{collection.title}» (лист «{collection.tab}»)")
        if collection.deadline is not None:
            lines.append(f"   Срок сдачи: {ru.date_text(collection.deadline)} — {_when(collection.deadline, today)}.")
        stale = (f" (по данным на {ru.date_text(school.data_as_of)})"
                 if school.sync_error and school.data_as_of and status != UNKNOWN else "")
        lines.append(f"   Статус: {STATUS_TEXTS[status]}{stale}. {_TODO[status].format(tab=collection.tab)}")
        review = district.reviews.get((school.code, collection.key))
        if review is not None and review[0]:
            lines.append(f"   Комментарий руководителя ОМО: {ru.shortened(review[0], 1000)}")
        found = district.findings.get((school.code, collection.key), [])
        if found:
            lines.append("   Замечания проверки:")
            lines += ["   " + line for line in _finding_lines(found)]
        lines.append("")
    if school.workbook:
        where = school.workbook if school.workbook.startswith("http") else f"файл «{school.workbook}»"
        lines.append(f"Книга школы: {where}")
    lines.append(f"Статус сдачи школы: {public_url}/school/{school.code}")
    lines += ["", f"Svod проверяет книги каждые {interval} мин; все замечания — на листе «Проверка» вашей книги.",
              "Письмо отправлено автоматически. "
              + ("Если есть вопросы, ответьте на него — ответ получит руководитель ОМО."
                 if head_email else "С вопросами обращайтесь к руководителю ОМО.")]
    return "\n".join(lines) + "\n"


def _finding_lines(found: list[FindingInfo]) -> list[str]:
    ordered = sorted(found, key=lambda f: (f.severity != "error", f.sheet or "", f.row or 0, f.address or ""))
    lines = []
    for finding in ordered[:MAX_FINDINGS]:
        label = "ошибка" if finding.severity == "error" else "предупреждение"
        place = f"{finding.place}: " if finding.place else ""
        lines.append(f"– {place}{finding.message} ({label}).")
        if finding.hint:
            lines.append(f"  Что сделать: {finding.hint}")
    if len(ordered) > MAX_FINDINGS:
        lines.append(f"… и ещё {len(ordered) - MAX_FINDINGS} — см. лист «Проверка».")
    return lines


def _more_lines(count: int, public_url: str) -> list[str]:
    """The line that ends a list of the digest cut at :data:`DIGEST_LIMIT`."""
    if count <= DIGEST_LIMIT:
        return []
    return [f"• … и ещё {ru.number(count - DIGEST_LIMIT)} — на странице статуса {public_url}/"]


def _when(deadline: date, today: date) -> str:
    days = (deadline - today).days
    if days == 0:
        return "сегодня последний день"
    if days > 0:
        return f"осталось {days} {ru.plural(days, 'день', 'дня', 'дней')}"
    return f"срок истёк {-days} {ru.plural(-days, 'день', 'дня', 'дней')} назад"


def _digest_body(district: District, statuses, today: date, public_url: str, sent_now: list[Message],
                 no_email: list[SchoolInfo]) -> str:
    codes = [s.code for s in district.schools]
    names = {s.code: s.name for s in district.schools}
    lines = [f"Сводка сдачи отчётов на {ru.date_text(today)} ({district.academic_year} учебный год), "
             f"школ: {len(codes)}.", "", "Сборы: сдали / вовремя, % школ"]
    overdue = []
    for collection in district.collections:
        column = [statuses[(code, collection.key)] for code in codes]
        counted = rates(column)
        deadline = f"срок {ru.date_text(collection.deadline)}" if collection.deadline else "без срока"
        lines.append(f"• {collection.title} ({deadline}): сдали {counted.reported} из {counted.expected} "
                     f"({ru.number(counted.reporting_rate)} %), вовремя {ru.number(counted.on_time_rate)} %; "
                     f"просрочено {column.count(OVERDUE)}, возвращено {column.count(RETURNED) + column.count(SENT_BACK)}"
                     + (f"; принято {accepted}" if (accepted := column.count(ACCEPTED) + column.count(ACCEPTED_LATE))
                        else "")
                     + (f"; изменено после принятия {column.count(CHANGED)}" if column.count(CHANGED) else "")
                     + (f"; нет данных {counted.unknown} (книга не читается)" if counted.unknown else ""))
        overdue += [(code, collection) for code, status in zip(codes, column) if status == OVERDUE]
    lines.append("")
    if overdue:
        lines.append(f"Просрочено ({len(overdue)}):")
        overdue.sort(key=lambda item: (item[1].deadline, item[0]))
        for code, collection in overdue[:DIGEST_LIMIT]:
            days = (today - collection.deadline).days
            lines.append(f"• {names[code]} ({code}) — «{collection.title}», срок {ru.date_text(collection.deadline)}, "
                         f"{days} {ru.plural(days, 'день', 'дня', 'дней')} назад")
        lines += _more_lines(len(overdue), public_url)
    else:
        lines.append("Просроченных отчётов нет.")
    lines += ["", "Синхронизация:"]
    run = district.last_sync
    if run is None:
        lines.append("• синхронизаций ещё не было")
    else:
        lines.append(f"• последняя: {ru.datetime_text(run.get('finished_at') or run.get('started_at'))}, "
                     f"{SYNC_LABELS.get(run['status'], run['status'])}" + (f": {run['error']}" if run.get("error") else ""))
    broken = [school for school in district.schools if school.sync_error or school.check_error]
    for school in broken[:DIGEST_LIMIT]:
        if school.sync_error:
            known = (f"статусы по данным на {ru.date_text(school.data_as_of)}" if school.data_as_of
                     else "ни разу не прочитана: нет данных")
            lines.append(f"• {names[school.code]} ({school.code}): книга не прочитана — "
                         f"{ru.shortened(school.sync_error, 300)} ({known})")
        else:
            lines.append(f"• {names[school.code]} ({school.code}): {not_written(ru.shortened(school.check_error, 300))}")
    lines += _more_lines(len(broken), public_url)
    lines += [f"• {line}" for line in district.failed_jobs[:DIGEST_LIMIT]]
    reminded = [m for m in sent_now if m.school]
    lines += ["", f"Напоминания сегодня: {len(reminded)} {ru.plural(len(reminded), 'школа', 'школы', 'школ')}."]
    if no_email:
        lines.append("Нет адреса эл. почты на листе «Школы» (напоминание не отправлено): "
                     + ", ".join(f"{names[s.code]} ({s.code})" for s in no_email[:DIGEST_LIMIT])
                     + (f" и ещё {ru.number(len(no_email) - DIGEST_LIMIT)}" if len(no_email) > DIGEST_LIMIT else ""))
    lines += ["", f"Страница статуса: {public_url}/"]
    return "\n".join(lines) + "\n"


# --- reading the database ----------------------------------------------------------------------------

def read_district(session: Session, academic_year: str, *, backend: str = "xlsx",
                  now: datetime | None = None) -> District:
    """Active schools, this year's plan, the facts, current findings and what went wrong lately."""
    from jobs.models import FAILED, JobRun

    schools = active_schools(session)
    collections = plan_collections(session, academic_year)
    school_codes = {s.id: s.code for s in schools}
    collection_keys = {c.id: c.key for c in collections}
    states = {s.school_id: s for s in session.scalars(select(m.WorkbookState))}
    district = District(
        academic_year=academic_year,
        schools=[SchoolInfo(s.code, ru.shortened(s.name, NAME_LIMIT), ru.shortened(s.librarian or "", NAME_LIMIT),
                            (s.email or "").strip(),
                            workbook_link(backend, s.workbook, states[s.id].workbook_id if s.id in states else ""),
                            states[s.id].error if s.id in states else None,
                            states[s.id].check_error if s.id in states else None,
                            states[s.id].last_ok_at if s.id in states else None) for s in schools],
        collections=[CollectionInfo(c.key, ru.shortened(c.title, NAME_LIMIT), c.tab, c.deadline) for c in collections])
    for submission in session.scalars(select(m.Submission)):
        pair = (school_codes.get(submission.school_id), collection_keys.get(submission.collection_id))
        if None not in pair:
            district.facts[pair] = facts_of(submission)
            if submission.review is not None and submission.review_at is not None:
                district.reviews[pair] = (submission.review_comment or "", submission.review_at)
    for record in session.scalars(select(m.FindingRecord).order_by(m.FindingRecord.id)):
        code = school_codes.get(record.school_id)
        key = collection_keys.get(record.collection_id) if record.collection_id is not None else None
        if code is None or (record.collection_id is not None and key is None):
            continue
        district.findings.setdefault((code, key), []).append(FindingInfo(
            record.severity, record.sheet, record.address, record.row, record.column, record.message, record.hint))
    run = session.scalar(select(m.SyncRun).order_by(m.SyncRun.id.desc()).limit(1))
    if run is not None:
        district.last_sync = {"status": run.status, "error": run.error, "started_at": run.started_at,
                              "finished_at": run.finished_at}
    since = (now or datetime.now()) - timedelta(days=1)
    for job in session.scalars(select(JobRun).where(JobRun.outcome == FAILED, JobRun.started_at >= since)
                               .order_by(JobRun.id)):
        first_line = (job.message or "").splitlines()[0] if job.message else ""
        district.failed_jobs.append(f"задание «{job.job}» {ru.datetime_text(job.started_at)} завершилось ошибкой: "
                                    f"{first_line}")
    return district


def workbook_link(backend: str, typed: str | None, resolved: str | None) -> str:
    """What the librarian opens: the file name (xlsx) or the spreadsheet's URL (google)."""
    typed, resolved = (typed or "").strip(), (resolved or "").strip()
    if backend == "google":
        if typed.startswith("http"):
            return typed
        ident = resolved or typed
        return f"https://docs.google.com/spreadsheets/d/{ident}/edit" if ident else ""
    return resolved or typed


def already_sent(session: Session) -> set[ReminderKey]:
    from jobs.models import ReminderSent

    return {ReminderKey(r.school, r.collection, r.kind, r.key) for r in session.scalars(select(ReminderSent))}


# --- sending ---------------------------------------------------------------------------------------------

@dataclass
class SendResult:
    dry_run: bool
    messages: list[Message] = field(default_factory=list)
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # Russian lines, never with the password

    def describe(self) -> str:
        if self.dry_run:
            return f"Пробный режим: писем подготовлено {len(self.messages)}, ничего не отправлено."
        line = f"Писем отправлено: {self.sent}"
        if self.skipped:
            line += f", уже отправлялись раньше: {self.skipped}"
        if self.failed:
            line += f", не отправлено: {len(self.failed)}\n" + "\n".join(self.failed)
        return line


class Mailer:
    """One SMTP connection for a run: STARTTLS when asked (implicit TLS on port 465), login
    when a user is set. The password goes to ``login`` only and is never logged."""

    def __init__(self, settings: Settings, timeout: float = 30):
        self.settings, self.timeout = settings, timeout
        self.smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        s = self.settings
        if s.smtp_port == 465:
            self.smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout,
                                         context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            if s.smtp_starttls:
                self.smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            try:
                self.smtp.login(s.smtp_user, s.smtp_password)
            except UnicodeEncodeError:  # smtplib sends credentials as ASCII only
                raise smtplib.SMTPAuthenticationError(535, b"non-ASCII user name or password") from None

    def send(self, mail: EmailMessage) -> None:
        if self.smtp is None:
            self.connect()
        try:
            self.smtp.send_message(mail)
        except smtplib.SMTPServerDisconnected:  # an idle connection dropped: once more on a new one
            self.connect()
            self.smtp.send_message(mail)

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None


def send_messages(svod: Svod, messages: list[Message], *, dry_run: bool, out: TextIO | None = None) -> SendResult:
    """Send (or print) ``messages``; each is recorded in ``reminders_sent`` once it is sent."""
    from jobs.models import ReminderSent

    settings = svod.settings
    result = SendResult(dry_run=dry_run, messages=messages)
    if dry_run:
        out = out or sys.stdout
        for number, message in enumerate(messages, start=1):
            out.write(f"--- письмо {number} из {len(messages)} (пробный режим: не отправлено) ---\n"
                      f"От: {settings.mail_from}\nКому: {message.to}\nТема: {message.subject}\n\n{message.body}\n")
        return result
    mailer = Mailer(settings)
    try:
        for number, message in enumerate(messages):
            with svod.db.session() as session:
                if any(key in already_sent(session) for key in message.keys):  # another run sent it meanwhile
                    result.skipped += 1
                    continue
            try:
                mailer.send(message.email(settings.mail_from, settings.head_email))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:  # this letter only
                log.warning("the mail server refused a reminder to %s: %s", message.to, exc)
                result.failed.append(f"{message.to}: {_smtp_reason(exc)}")
                continue
            except (smtplib.SMTPException, OSError) as exc:  # the server itself: the rest would fail alike
                log.warning("could not send reminders: %s", exc)
                result.failed += [f"{later.to}: {_smtp_reason(exc)}" for later in messages[number:]]
                break
            result.sent += 1
            _record(svod, message, ReminderSent)
    finally:
        mailer.close()
    return result


def _record(svod: Svod, message: Message, model) -> None:
    for key in message.keys:
        try:
            with svod.db.session() as session:
                session.add(model(school=key.school, collection=key.collection, kind=key.kind, key=key.key,
                                  recipient=message.to, sent_at=svod.clock()))
        except IntegrityError:
            pass  # recorded by a concurrent run: the unique key did its job


def _smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "сервер почты не принял имя пользователя или пароль (SVOD_SMTP_USER / SVOD_SMTP_PASSWORD)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "сервер почты не принял адрес получателя"
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        return f"нет соединения с сервером почты: {exc}"
    return f"ошибка сервера почты: {exc}"


def send_reminders(svod: Svod, *, dry_run: bool | None = None, out: TextIO | None = None) -> SendResult:
    """Today's reminders and digest: composed from the database, then sent (or printed)."""
    settings = svod.settings
    dry_run = (not settings.smtp_host) if dry_run is None else dry_run
    now = svod.clock()
    with svod.db.session() as session:
        district = read_district(session, svod.academic_year, backend=settings.backend, now=now)
        sent = already_sent(session)
    messages = compose_reminders(district, today=now.date(), days_before=settings.reminder_days_before,
                                 public_url=settings.public_url, head_email=settings.head_email, sent=sent,
                                 sync_interval_minutes=settings.sync_interval_minutes)
    return send_messages(svod, messages, dry_run=dry_run, out=out)


def remind(svod: Svod, *, dry_run: bool = False) -> int:
    """``svod remind [--dry-run]``: send today's reminders (printed only in a dry run)."""
    svod.db.upgrade()
    result = send_reminders(svod, dry_run=True if dry_run else None)
    if result.dry_run and not dry_run:
        print("SVOD_SMTP_HOST не задан: письма только показаны, не отправлены.", file=sys.stderr)
    print(result.describe())
    return 1 if result.failed else 0
