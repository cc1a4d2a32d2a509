"""Reminders through a real SMTP server on localhost (aiosmtpd), from a real database."""
from __future__ import annotations

import email
import io
import logging
import socket
from datetime import date, datetime
from email.policy import default as DEFAULT_POLICY

import pytest
from sqlalchemy import select

from jobs.models import ReminderSent
from sync_service import db as m
from sync_service.context import Svod
from sync_service.district.reminders import remind, send_reminders
from sync_service.findings import make_finding

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

NOW = datetime(2026, 11, 27, 8, 0)
YEAR = "2026/2027"
PASSWORD = "s3cret-pass-42"


class Inbox:
    """The aiosmtpd handler: keeps every envelope."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[tuple[list[str], email.message.EmailMessage, bytes]]:
        return [(e.rcpt_tos, email.message_from_bytes(e.original_content, policy=DEFAULT_POLICY), e.original_content)
                for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port; AUTH accepted for user «svod» with PASSWORD."""
    from aiosmtpd.smtp import AuthResult

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"svod" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port(),
                                                authenticator=authenticate, auth_require_tls=False)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def populate(session) -> None:
    """Two schools: sch01 returned its staffing with findings and has not started the fund;
    sch02 submitted everything due. The fund's deadline is in 3 days."""
    sch01 = m.School(code="sch01", name="МБОУ СОШ № 1", librarian="Петрова Анна Сергеевна",
                     email="petrova@school1.example", workbook="sch01.xlsx")
    sch02 = m.School(code="sch02", name="МБОУ СОШ № 2", librarian="Сидоров Иван", email="sidorov@school2.example")
    staffing = m.Collection(key="staffing", academic_year=YEAR, form="staffing", tab="Кадры", position=0,
                            title="Мониторинг кадрового обеспечения школьной библиотеки", deadline=date(2026, 9, 30))
    fund = m.Collection(key="library_fund", academic_year=YEAR, form="library_fund", tab="Фонд", position=1,
                        title="Мониторинг библиотечного фонда", deadline=date(2026, 11, 30))
    session.add_all([sch01, sch02, staffing, fund])
    session.flush()
    session.add_all([
        m.Submission(school_id=sch01.id, collection_id=staffing.id, ready=True, errors=1, has_data=True),
        m.Submission(school_id=sch02.id, collection_id=staffing.id, ready=True, has_data=True,
                     first_submitted_at=datetime(2026, 9, 20, 12)),
        m.Submission(school_id=sch02.id, collection_id=fund.id, ready=True, has_data=True,
                     first_submitted_at=datetime(2026, 11, 20, 12)),
    ])
    f = make_finding("range", form="staffing", sheet="Кадры", row=6, column="Ставка", column_key="rate",
                     address="C6", value=3, bounds="от 0,25 до 2")
    session.add(m.FindingRecord(school_id=sch01.id, collection_id=staffing.id, code=f.code, severity=f.severity,
                                form=f.form, sheet=f.sheet, row=f.row, column=f.column, column_key=f.column_key,
                                address=f.address, message=f.message, hint=f.hint))
    session.add(m.SyncRun(started_at=datetime(2026, 11, 27, 7, 45), finished_at=datetime(2026, 11, 27, 7, 46),
                          status="ok", schools_total=2, schools_read=2))


@pytest.fixture
def make_svod(svod_factory, tmp_path):
    """Contexts over one database (filled once) with different settings."""
    made = []

    def factory(**settings) -> Svod:
        settings = {"head_email": "head@omo.example", **settings}
        svod = svod_factory(tmp_path, now=NOW, migrate=not made, academic_year=YEAR,
                            public_url="https://svod.example.ru", mail_from="ОМО библиотекарей <svod@omo.example>",
                            **settings)
        if not made:
            with svod.db.session() as session:
                populate(session)
        made.append(svod)
        return svod
    return factory


def test_letters_arrive_with_recipients_russian_headers_and_findings(smtp_server, make_svod):
    svod = make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    result = send_reminders(svod)
    assert (result.sent, result.failed, result.dry_run) == (2, [], False)
    received = smtp_server.messages()
    assert sorted(rcpt for rcpts, _msg, _raw in received for rcpt in rcpts) == \
        ["head@omo.example", "petrova@school1.example"]
    letter = next(msg for rcpts, msg, _raw in received if rcpts == ["petrova@school1.example"])
    raw = next(raw for rcpts, _msg, raw in received if rcpts == ["petrova@school1.example"])
    assert letter["Subject"] == "Отчёты к сдаче (2): МБОУ СОШ № 1"
    assert letter["To"] == "petrova@school1.example"
    assert letter["Reply-To"] == "head@omo.example"
    assert letter["From"].addresses[0].display_name == "ОМО библиотекарей"
    # The headers travel encoded (RFC 2047), never as raw UTF-8.
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii() and b"=?utf-8?" in headers
    body = letter.get_content()
    assert "Здравствуйте, Петрова Анна Сергеевна!" in body
    assert "– лист «Кадры», ячейка C6: Значение 3 вне допустимых границ (от 0,25 до 2) (ошибка)." in body
    assert "Что сделать: Проверьте значение в ячейке C6: допустимо от 0,25 до 2." in body
    assert "Статус: не начат. Заполните лист «Фонд» и отметьте «Готово»." in body
    assert "Статус сдачи школы: https://svod.example.ru/school/sch01" in body
    digest = next(msg for rcpts, msg, _raw in received if rcpts == ["head@omo.example"])
    assert digest["Subject"] == "Svod: сводка на 27.11.2026"
    assert "сдали 1 из 2 (50 %)" in digest.get_content()


def test_a_second_run_sends_nothing_again(smtp_server, make_svod):
    svod = make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    send_reminders(svod)
    with svod.db.session() as session:
        recorded = {(r.school, r.collection, r.kind, r.key) for r in session.scalars(select(ReminderSent))}
    assert recorded == {("sch01", "staffing", "after", "2026-09-30"), ("sch01", "library_fund", "before", "2026-11-30"),
                        ("", "", "digest", "2026-11-27")}
    again = send_reminders(svod)
    assert (again.sent, len(again.messages)) == (0, 0)
    assert len(smtp_server.envelopes) == 2


def test_login_and_the_password_is_never_logged(smtp_server, make_svod, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    for password in (PASSWORD + "x", "пароль"):  # wrong; and one smtplib cannot even encode
        wrong = make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_user="svod", smtp_password=password)
        result = send_reminders(wrong)
        assert result.sent == 0 and result.failed == [
            f"{to}: сервер почты не принял имя пользователя или пароль (SVOD_SMTP_USER / SVOD_SMTP_PASSWORD)"
            for to in ("petrova@school1.example", "head@omo.example")]
    svod = make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_user="svod", smtp_password=PASSWORD)
    assert send_reminders(svod).sent == 2
    printed = capsys.readouterr()
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("svod"))
    assert PASSWORD not in ours + printed.out + printed.err + result.describe()


def test_a_server_that_is_down_records_nothing_and_the_next_run_sends(smtp_server, make_svod):
    down = make_svod(smtp_host="127.0.0.1", smtp_port=free_port())
    result = send_reminders(down)
    assert result.sent == 0 and len(result.failed) == 2
    assert all("нет соединения с сервером почты" in line for line in result.failed)
    with down.db.session() as session:
        assert session.scalars(select(ReminderSent)).all() == []
    assert send_reminders(make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port)).sent == 2


def test_dry_run_prints_the_letters_and_records_nothing(make_svod):
    svod = make_svod(smtp_password=PASSWORD)  # no SMTP host: a dry run by default
    out = io.StringIO()
    result = send_reminders(svod, out=out)
    assert result.dry_run and len(result.messages) == 2
    printed = out.getvalue()
    assert "--- письмо 1 из 2 (пробный режим: не отправлено) ---" in printed
    assert "Кому: petrova@school1.example\nТема: Отчёты к сдаче (2): МБОУ СОШ № 1" in printed
    assert PASSWORD not in printed
    with svod.db.session() as session:
        assert session.scalars(select(ReminderSent)).all() == []


def test_remind_dry_run_even_with_a_server(smtp_server, make_svod, capsys):
    svod = make_svod(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_password=PASSWORD)
    assert remind(svod, dry_run=True) == 0
    out = capsys.readouterr().out
    assert "Тема: Svod: сводка на 27.11.2026" in out
    assert "Пробный режим: писем подготовлено 2, ничего не отправлено." in out
    assert PASSWORD not in out and smtp_server.envelopes == []
    assert remind(svod, dry_run=False) == 0
    assert "Писем отправлено: 2" in capsys.readouterr().out
