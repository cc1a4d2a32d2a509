"""What a handler gets: the calling user (with the OAuth client and scopes of
the token, when the emulator issued it), query parameters, JSON body and the
state. Handlers run with ``state.lock`` held."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from .errors import invalid_argument
from .state import State


@dataclass
class Call:
    user: str
    params: MultiDict
    body: Any
    state: State
    client: str | None = None   # the OAuth client the token was issued to (None: a static token)
    # True when the token's only way into this API is drive.file: then only the files
    # its client created are visible.
    app_only: bool = False
    legacy_storage: frozenset[str] = frozenset()  # service accounts that still own storage
    has_account: Callable[[str], bool] = lambda email: True   # whether an address is a Google account

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def params_list(self, name: str) -> list[str]:
        return self.params.getlist(name)

    def flag(self, name: str, default: bool = False) -> bool:
        """Boolean query parameter; Python clients send True/False."""
        value = self.params.get(name)
        if value is None:
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise invalid_argument(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"")

    def enum(self, name: str, allowed: tuple[str, ...], default: str, type_name: str) -> str:
        """An enum query parameter, rejected the way Google rejects it:
        naming the proto field (snake_case) and the enum type."""
        value = self.params.get(name) or default
        if value not in allowed:
            field = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
            raise invalid_argument(
                f"Invalid value at '{field}' (type.googleapis.com/google.apps.sheets.v4.{type_name}), \"{value}\""
            )
        return value

    def json_body(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}
