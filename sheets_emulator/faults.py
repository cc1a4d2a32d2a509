"""Runtime knobs for tests and benchmarks: quotas, latency, injected faults,
and request statistics."""

from __future__ import annotations

import collections
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ApiError

FAULT_KINDS = ("429", "500", "503", "drop")


@dataclass
class Config:
    read_quota: int = 60  # requests per minute per user; 0 = unlimited
    write_quota: int = 60
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    seed: int | None = None
    # Service accounts that still own Drive storage, as every one did before 2025 (the
    # recorded cassettes were made by one); any other service account cannot own files
    # outside a shared drive.
    legacy_storage_accounts: list[str] = field(default_factory=list)
    # Addresses that have a Google account ("@domain" for a whole domain); sharing with any
    # other address without a notification e-mail is refused, as at Google. Service
    # accounts and every user who has called the emulator have one too.
    google_accounts: list[str] = field(default_factory=lambda: ["@gmail.com", "@googlemail.com"])

    def validate(self) -> None:
        if self.read_quota < 0 or self.write_quota < 0:
            raise ValueError("quotas must be >= 0")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        for name in ("legacy_storage_accounts", "google_accounts"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{name} must be a list of addresses")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault_kinds(text: str) -> list[str]:
    return [kind.strip() for kind in text.split(",") if kind.strip()]


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.reads = 0
            self.writes = 0
            self.faults = 0
            self.throttled = 0
            self.endpoints: collections.Counter[str] = collections.Counter()

    def count(self, method: str, endpoint: str, is_write: bool) -> None:
        with self._lock:
            if is_write:
                self.writes += 1
            else:
                self.reads += 1
            self.endpoints[f"{method} {endpoint}"] += 1

    def add_fault(self) -> None:
        with self._lock:
            self.faults += 1

    def add_throttled(self) -> None:
        with self._lock:
            self.throttled += 1

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "reads": self.reads,
                "writes": self.writes,
                "endpoints": dict(sorted(self.endpoints.items())),
                "faults": self.faults,
                "throttled": self.throttled,
            }


_SERVICES = {"sheets": "sheets.googleapis.com", "drive": "drive.googleapis.com"}


def quota_exceeded(service: str, is_write: bool, limit: int) -> ApiError:
    """Google's 429 body for a per-user per-minute quota."""
    kind = "Write" if is_write else "Read"
    host = _SERVICES[service]
    return ApiError(
        429,
        f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per minute per user' "
        f"of service '{host}' for consumer 'project_number:000000000000'.",
        reason="rateLimitExceeded",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_metric": f"{host}/{kind.lower()}_requests",
                    "quota_limit": f"{kind}RequestsPerMinutePerUser",
                    "quota_limit_value": str(limit),
                    "consumer": "projects/000000000000",
                    "service": host,
                    "quota_location": "global",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ],
    )


class Quotas:
    """Sliding one-minute windows per (user, service, read/write), the way
    Google counts "requests per minute per user" for each API separately.
    Refused requests do not use up quota."""

    WINDOW = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str, bool], collections.deque[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def admit(self, user: str, service: str, is_write: bool, limit: int) -> bool:
        if limit <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((user, service, is_write), collections.deque())
            while hits and hits[0] <= now - self.WINDOW:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True


class FaultInjector:
    """Decides which requests fail. With a seed the sequence of decisions is
    reproducible for the same sequence of requests."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def pick(self, rate: float, kinds: list[str]) -> str | None:
        if rate <= 0 or not kinds:
            return None
        with self._lock:
            if self._random.random() >= rate:
                return None
            return self._random.choice(kinds)


def injected_error(kind: str) -> ApiError:
    if kind == "500":
        return ApiError(500, "Internal error encountered.")
    if kind == "503":
        return ApiError(503, "The service is currently unavailable.")
    raise ValueError(kind)
