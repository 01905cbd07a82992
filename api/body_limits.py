"""Request body limits, enforced before a body is parsed (413 in the contract's error shape).

Uploads may be up to `KB_MAX_UPLOAD_MB` (plus room for the multipart framing);
every other request body is small JSON, capped at 1 MB. A declared
Content-Length over the limit is refused at once; a body without one (chunked)
is counted as it arrives and cut off as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

JSON_LIMIT = 1 << 20
MULTIPART_SLACK = 64 << 10


class BodyLimit:
    def __init__(self, app: ASGIApp, upload_bytes: int, upload_path: str = "/v1/documents") -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.upload_path = upload_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"].rstrip("/") == self.upload_path and scope["method"] == "POST"
        limit = self.upload_bytes + MULTIPART_SLACK if upload else JSON_LIMIT
        message = self._message(upload)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse(error_body("too_large", message), status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    raise HTTPException(413, message)  # FastAPI passes HTTPExceptions from body reading through
            return incoming

        await self.app(scope, counted, send)

    def _message(self, upload: bool) -> str:
        if upload:
            megabytes = self.upload_bytes / (1 << 20)
            return f"the file is larger than the server's upload limit of {megabytes:g} MB (KB_MAX_UPLOAD_MB); split it or raise the limit"
        return "the request body is larger than 1 MB; send a shorter query"
