"""gzip for text answers: the status page of a 500-school district is 1.5 MB of HTML and
58 KB gzipped (9 ms of CPU at level 6)."""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field

from flask import Response, request

MIN_BYTES = 1024
COMPRESSIBLE = frozenset({"text/html", "text/plain", "text/csv", "text/css", "application/json",
                          "application/javascript", "image/svg+xml"})


def accepts_gzip() -> bool:
    return bool(request.accept_encodings["gzip"])


def pack(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6)


@dataclass
class Body:
    """A cached answer's bytes, with their gzipped form made on first need and kept, so a
    cached page is not compressed again on every request."""
    raw: bytes
    _packed: bytes | None = field(default=None, repr=False)

    def response(self, mimetype: str) -> Response:
        if len(self.raw) < MIN_BYTES or not accepts_gzip():
            return Response(self.raw, mimetype=mimetype)
        if self._packed is None:
            self._packed = pack(self.raw)
        response = Response(self._packed, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
        return response


def compress(response: Response) -> Response:
    """``after_request``: gzip a text answer of a kilobyte or more for a client that accepts
    it (every browser does); files sent as files and answers already encoded stay as they are."""
    response.vary.add("Accept-Encoding")
    if (response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE or not accepts_gzip()):
        return response
    body = response.get_data()
    if len(body) >= MIN_BYTES:
        response.set_data(pack(body))
        response.headers["Content-Encoding"] = "gzip"
    return response
