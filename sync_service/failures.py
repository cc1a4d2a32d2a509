"""What a failure of the machine underneath really was, in Russian. Pure.

A full disk is not a missing permission, and neither is «no connection to the database»:
each failure of a file or of the database is told by what the operating system or the
database said — the errno of an ``OSError`` (ENOSPC, EDQUOT, EFBIG, EACCES, EPERM, EROFS,
ENOENT, EBUSY, EIO …), SQLite's result code (``sqlite3.Error.sqlite_errorcode``: SQLITE_FULL,
SQLITE_BUSY, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR …) or PostgreSQL's SQLSTATE
(53100 disk_full, 25006 read_only_sql_transaction, class 08 connection …) — with what to do
about it. The stores, the sync and the CLI word their messages with these; the traceback
stays in the log.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3

# errno -> (what happened, what to do); {where} is the folder or file concerned
_OS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("на диске нет места", "освободите место на диске ({where})"),
    errno.EFBIG: ("файл превысил допустимый размер (ограничение размера файла у системы или у процесса Svod)",
                  "снимите ограничение размера файла (ulimit -f) или освободите место ({where})"),
    errno.EACCES: ("нет прав доступа", "дайте пользователю, от имени которого работает Svod, права на чтение и "
                                       "запись ({where})"),
    errno.EPERM: ("операция запрещена системой", "дайте пользователю, от имени которого работает Svod, права на "
                                                 "чтение и запись ({where})"),
    errno.EROFS: ("диск подключён только для чтения", "подключите диск для записи ({where})"),
    errno.ENOENT: ("папки или файла нет", "проверьте путь ({where})"),
    errno.ENOTDIR: ("в пути вместо папки файл", "проверьте путь ({where})"),
    errno.EISDIR: ("это папка, а не файл", "укажите файл, а не папку ({where})"),
    errno.EBUSY: ("файл занят другой программой", "закройте его в другой программе и повторите"),
    errno.ETXTBSY: ("файл занят другой программой", "закройте его в другой программе и повторите"),
    errno.EIO: ("ошибка ввода-вывода диска", "проверьте диск ({where}): он может быть неисправен или отключён"),
    errno.ENAMETOOLONG: ("слишком длинное имя файла", "укажите имя короче"),
    errno.EMFILE: ("открыто слишком много файлов", "повторите позже или увеличьте ограничение (ulimit -n)"),
    errno.ENFILE: ("в системе открыто слишком много файлов", "повторите позже"),
    errno.ENOMEM: ("не хватает памяти", "повторите позже или добавьте серверу памяти"),
}
if hasattr(errno, "EDQUOT"):
    _OS[errno.EDQUOT] = ("исчерпана дисковая квота пользователя", "освободите место или увеличьте квоту ({where})")
_SHARING = {32, 33}  # Windows: ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION (the file open in Excel)


def os_failure(exc: OSError, where: str) -> str:
    """«на диске нет места: освободите место на диске (папка книг, SVOD_WORKBOOKS_DIR)»: what
    happened to a file or folder, and what to do; ``where`` names it, in the nominative."""
    if getattr(exc, "winerror", None) in _SHARING:
        return "файл открыт в другой программе: закройте его и повторите"
    known = _OS.get(exc.errno or 0)
    if known is None:
        return f"ошибка файловой системы ({exc.strerror or exc}): проверьте диск и путь ({where})"
    what, todo = known
    return f"{what}: {todo.format(where=where)}"


def full_disk(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EFBIG)


# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_IOERR_SHMSIZE = 8, 10, 13, 14, 4874
_SQLITE = {
    SQLITE_FULL: "на диске базы данных нет места (SQLite: база или диск заполнены); освободите место на диске с "
                 "файлом базы",
    5: "база данных занята другим процессом дольше, чем Svod ждёт (SQLite: database is locked); повторите позже",
    6: "таблица базы данных заблокирована (SQLite: locked); повторите позже",
    8: "в базу данных нельзя писать (SQLite: только чтение): дайте Svod права на запись в файл базы и в его "
       "папку или подключите диск с ней для записи",
    14: "файл базы данных не открывается (SQLite: cannot open): проверьте, что папка базы существует и Svod может "
        "в неё писать",
    10: "ошибка ввода-вывода диска с базой данных (SQLite: disk I/O error): проверьте диск и место на нём",
    11: "файл базы данных повреждён (SQLite: corrupt): восстановите его из резервной копии (docs/deploy.md)",
    26: "указанный файл — не база данных SQLite: проверьте DATABASE_URL",
    3: "нет прав на файл базы данных (SQLite: access permission denied): дайте Svod права на него",
}
# PostgreSQL's SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_SQLSTATE = {
    "53100": "на диске сервера базы данных нет места (PostgreSQL: disk_full); освободите место на сервере",
    "53200": "серверу базы данных не хватает памяти (PostgreSQL: out_of_memory); повторите позже",
    "53300": "у сервера базы данных кончились подключения (PostgreSQL: too_many_connections); повторите позже",
    "25006": "база данных открыта только для чтения (PostgreSQL: read_only_sql_transaction): это реплика или "
             "сервер в режиме только чтения; укажите в DATABASE_URL основной сервер",
    "28P01": "сервер базы данных не принял пароль (PostgreSQL: invalid_password): проверьте DATABASE_URL",
    "28000": "сервер базы данных не пустил пользователя (PostgreSQL: invalid_authorization): проверьте DATABASE_URL",
    "3D000": "на сервере нет такой базы данных (PostgreSQL: invalid_catalog_name): создайте её или исправьте "
             "DATABASE_URL",
    "57P01": "сервер базы данных остановлен администратором (PostgreSQL: admin_shutdown); повторите позже",
    "57P03": "сервер базы данных ещё запускается (PostgreSQL: cannot_connect_now); повторите позже",
}


def database_failure(exc: BaseException, where: str) -> str | None:
    """What a database error was, as a Russian sentence with what to do (no final stop), or
    None when it is not one of the machine's (a defect of Svod, a schema behind the code…).
    ``where`` is the database as shown to a person (the URL without its password)."""
    from sqlalchemy.exc import DBAPIError

    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary == SQLITE_IOERR and (code == SQLITE_IOERR_SHMSIZE or _no_room(where)):
            primary = SQLITE_FULL  # in WAL mode a full disk shows as an I/O error of the -shm or -wal file
        if primary == SQLITE_CANTOPEN and _read_only(where):
            primary = SQLITE_READONLY  # WAL mode cannot make its -shm file on a read-only disk
        text = _SQLITE.get(primary) if primary is not None else None
        if text is None and "disk is full" in str(orig):
            text = _SQLITE[SQLITE_FULL]
        return _sentence(f"{text} ({where})") if text else None
    state = getattr(orig, "sqlstate", None)
    if state in _SQLSTATE:
        return _sentence(f"{_SQLSTATE[state]} ({where})")
    if ((isinstance(exc, DBAPIError) and exc.connection_invalidated) or (state and state.startswith("08"))
            or (state is None and type(orig).__name__ == "OperationalError")):
        return f"Нет связи с базой данных {where}: {orig}. Проверьте DATABASE_URL и что сервер базы запущен"
    return None


def _sqlite_folder(url: str) -> str | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):] in ("", ":memory:"):
        return None
    return os.path.dirname(os.path.abspath(url[len(prefix):]))


def _no_room(url: str, least: int = 1 << 20) -> bool:
    """The disk of a file-based SQLite database has less than ``least`` bytes free."""
    folder = _sqlite_folder(url)
    try:
        return folder is not None and shutil.disk_usage(folder).free < least
    except OSError:
        return False


def _read_only(url: str) -> bool:
    """The disk of a file-based SQLite database is mounted read-only."""
    folder = _sqlite_folder(url)
    try:
        return folder is not None and bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def head_unavailable(workbook_id: str, reason: str, backend: str) -> str:
    """The head's workbook could not be read: its own settings to check, not a school's «Книга»."""
    text = f"Не удалось прочитать книгу руководителя ОМО «{workbook_id}»: {reason}"
    if backend == "xlsx" and "не найден" in reason:
        text += (". Проверьте имя книги руководителя (SVOD_HEAD_WORKBOOK) и папку книг (SVOD_WORKBOOKS_DIR); "
                 "при первом запуске её создаёт «svod demo-data» или её кладёт в папку руководитель")
    return text


def machine_failure(exc: BaseException, database: str) -> str | None:
    """What a failure of the database or of a file underneath was, or None (a defect of Svod)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return database_failure(exc, database)
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"«{exc.filename}»" if exc.filename else "диск"
        return _sentence(os_failure(exc, where))
    return None
