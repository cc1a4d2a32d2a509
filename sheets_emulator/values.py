"""Cell values: what the user entered, how it is parsed, how it is shown.

A stored cell is a CellData dict (``userEnteredValue``, ``userEnteredFormat``,
``note``, ``dataValidation`` ...). Effective and formatted values are derived
from it on every read, so formulas always see current data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .formulas import FormulaError

EPOCH = dt.datetime(1899, 12, 30)  # Sheets' serial day 0

# -- parsing what the user entered -----------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_PERCENT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))\s*%$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def raw_input(value: Any) -> dict[str, Any] | None:
    """valueInputOption=RAW: store as typed. Returns a userEnteredValue, or
    None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def user_entered_input(value: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """valueInputOption=USER_ENTERED: parse as if typed into the UI.
    Returns (userEnteredValue or None, numberFormat to apply or None)."""
    if not isinstance(value, str):
        return raw_input(value), None
    text = value
    if text == "":
        return None, None
    if text.startswith("="):
        return ({"formulaValue": text} if len(text) > 1 else {"stringValue": text}), None
    if text.startswith("'"):
        # The leading apostrophe forces text and is not part of the value.
        return {"stringValue": text[1:]}, None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    if _NUMBER.match(stripped):
        return {"numberValue": _num(float(stripped))}, None
    if _GROUPED_NUMBER.match(stripped):
        number = float(stripped.replace(",", ""))
        pattern = "#,##0.00" if "." in stripped else "#,##0"
        return {"numberValue": _num(number)}, {"type": "NUMBER", "pattern": pattern}
    m = _PERCENT.match(stripped)
    if m:
        pattern = "0.00%" if "." in m.group(1) else "0%"
        return {"numberValue": _num(float(m.group(1)) / 100)}, {"type": "PERCENT", "pattern": pattern}
    parsed = _parse_date(stripped)
    if parsed is not None:
        serial, number_format = parsed
        return {"numberValue": serial}, number_format
    return {"stringValue": text}, None


def _num(x: float) -> float | int:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _parse_date(text: str) -> tuple[float | int, dict[str, str]] | None:
    try:
        m = _ISO_DATE.match(text)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if m.group(4) is None:
                return to_serial(dt.datetime(y, mo, d)), {"type": "DATE", "pattern": "yyyy-mm-dd"}
            moment = dt.datetime(y, mo, d, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0))
            return to_serial(moment), {"type": "DATE_TIME", "pattern": "yyyy-mm-dd H:mm:ss"}
        m = _DOTTED_DATE.match(text)
        if m:
            moment = dt.datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return to_serial(moment), {"type": "DATE", "pattern": "dd.mm.yyyy"}
        m = _SLASHED_DATE.match(text)
        if m:  # en_US reads month first
            moment = dt.datetime(int(m.group(3)), int(m.group(1)), int(m.group(2)))
            return to_serial(moment), {"type": "DATE", "pattern": "M/d/yyyy"}
        m = _TIME.match(text)
        if m:
            seconds = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)
            if int(m.group(1)) < 24:
                return seconds / 86400, {"type": "TIME", "pattern": "h:mm:ss am/pm"}
    except ValueError:  # 2024-02-31 and friends are plain text
        return None
    return None


def to_serial(moment: dt.datetime) -> float | int:
    delta = moment - EPOCH
    return _num(delta.days + delta.seconds / 86400)


# -- effective and formatted values -------------------------------------------


def effective_value(entered: dict[str, Any] | None, evaluate) -> dict[str, Any] | None:
    """ExtendedValue a cell evaluates to; ``evaluate(formula)`` computes
    formulas."""
    if not entered:
        return None
    if "formulaValue" not in entered:
        return dict(entered)
    result = evaluate(entered["formulaValue"])
    return extended(result)


def extended(result: Any) -> dict[str, Any]:
    if isinstance(result, FormulaError):
        return {"errorValue": {"type": result.type, "message": result.message}}
    if isinstance(result, bool):
        return {"boolValue": result}
    if isinstance(result, (int, float)):
        return {"numberValue": _num(float(result))}
    return {"stringValue": result}


def python_value(value: dict[str, Any] | None) -> Any:
    """ExtendedValue -> Python value for formulas (None when empty)."""
    if not value:
        return None
    if "errorValue" in value:
        return FormulaError(value["errorValue"]["type"], value["errorValue"].get("message", ""))
    if "numberValue" in value:
        return float(value["numberValue"])
    if "boolValue" in value:
        return value["boolValue"]
    return value.get("stringValue")


def formatted_value(value: dict[str, Any] | None, number_format: dict[str, Any] | None) -> str | None:
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "errorValue" in value:
        return FormulaError(value["errorValue"]["type"], "").display
    return format_number(float(value["numberValue"]), number_format)


def is_date_format(number_format: dict[str, Any] | None) -> bool:
    return bool(number_format) and number_format.get("type") in ("DATE", "TIME", "DATE_TIME")


def format_general(x: float) -> str:
    """Sheets' automatic format: integers plainly, up to 10 decimals,
    scientific notation for very large or very small magnitudes."""
    if x == 0:
        return "0"
    if abs(x) >= 1e15 or abs(x) < 1e-10:
        mantissa, exponent = f"{x:.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        sign = exponent[0]
        return f"{mantissa}E{sign}{int(exponent[1:]):02d}"
    if x.is_integer():
        return str(int(x))
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_number(x: float, number_format: dict[str, Any] | None) -> str:
    if not number_format or not number_format.get("pattern"):
        if number_format and number_format.get("type") == "PERCENT":
            return format_pattern(x, "0.00%")
        if is_date_format(number_format):
            defaults = {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm", "DATE_TIME": "M/d/yyyy H:mm:ss"}
            return format_date(x, defaults[number_format["type"]])
        return format_general(x)
    if is_date_format(number_format):
        return format_date(x, number_format["pattern"])
    return format_pattern(x, number_format["pattern"])


def format_pattern(x: float, pattern: str) -> str:
    """Numeric patterns such as 0, 0.00, #,##0.00, 0%, 0.00% (the first
    section only; literal text around the digits is kept)."""
    section = pattern.split(";")[0]
    m = re.search(r"[#0,]*[0#](\.[0#]+)?", section)
    if not m:
        return format_general(x)
    if section.endswith("%"):
        x *= 100
    digits = m.group(0)
    decimals = len(m.group(1)) - 1 if m.group(1) else 0
    grouped = "," in digits
    body = f"{abs(x):,.{decimals}f}" if grouped else f"{abs(x):.{decimals}f}"
    sign = "-" if x < 0 and float(body.replace(",", "")) != 0 else ""
    return section[: m.start()].replace('"', "") + sign + body + section[m.end() :].replace('"', "")


_DATE_TOKENS = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|\"[^\"]*\"|.", re.IGNORECASE)


def format_date(serial: float, pattern: str) -> str:
    moment = EPOCH + dt.timedelta(days=serial)
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))
    tokens = _DATE_TOKENS.findall(pattern)
    twelve_hour = any(t.lower() == "am/pm" for t in tokens)
    out = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in ("mm", "m"):
            # "m" means minutes right after an hour or right before seconds.
            before = next((t.lower() for t in reversed(tokens[:i]) if t.strip() and t not in ":"), "")
            after = next((t.lower() for t in tokens[i + 1 :] if t.strip() and t not in ":"), "")
            is_minute = before in ("h", "hh") or after in ("s", "ss")
            number = moment.minute if is_minute else moment.month
            out.append(f"{number:02d}" if low == "mm" else str(number))
        elif low == "yyyy":
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif low == "mmmm":
            out.append(moment.strftime("%B"))
        elif low == "mmm":
            out.append(moment.strftime("%b"))
        elif low == "dddd":
            out.append(moment.strftime("%A"))
        elif low == "ddd":
            out.append(moment.strftime("%a"))
        elif low in ("dd", "d"):
            out.append(f"{moment.day:02d}" if low == "dd" else str(moment.day))
        elif low in ("hh", "h"):
            hour = moment.hour % 12 or 12 if twelve_hour else moment.hour
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("ss", "s"):
            out.append(f"{moment.second:02d}" if low == "ss" else str(moment.second))
        elif low == "am/pm":
            out.append("AM" if moment.hour < 12 else "PM")
        elif token.startswith('"'):
            out.append(token[1:-1])
        else:
            out.append(token)
    return "".join(out)


def render(
    entered: dict[str, Any] | None,
    effective: dict[str, Any] | None,
    number_format: dict[str, Any] | None,
    value_render: str,
    date_render: str,
) -> Any:
    """One cell as the values API shows it; "" for an empty cell."""
    if not effective:
        return ""
    if value_render == "FORMATTED_VALUE":
        return formatted_value(effective, number_format)
    if value_render == "FORMULA" and entered and "formulaValue" in entered:
        return entered["formulaValue"]
    if "errorValue" in effective:
        return formatted_value(effective, number_format)
    if "numberValue" in effective:
        number = effective["numberValue"]
        if date_render == "FORMATTED_STRING" and is_date_format(number_format):
            return formatted_value(effective, number_format)
        return _num(float(number))
    if "boolValue" in effective:
        return effective["boolValue"]
    return effective.get("stringValue", "")
