"""GET / (the search page), GET /doc/<doc_id> (a document in context), GET /person/<name> (a person), GET /widget.js (the embeddable widget) and the pages' assets.

Plain files under api/web: no build step, no CDN. The page gets a strict
Content-Security-Policy (its own scripts and styles only, and calls only to
this server), so even a passage that slipped past the text-only rendering
could not run a script.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from kb.errors import NotFound

WEB = Path(__file__).resolve().parent.parent / "web"
PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    return FileResponse(
        WEB / "index.html", media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"}
    )


@router.get("/doc/{doc_id:path}")
def context_view(doc_id: str) -> FileResponse:
    """A document in context (/doc/<doc_id>?p=<chunk_ids>&hl=<spans>): the page reads its passages from the API."""
    return FileResponse(
        WEB / "doc.html", media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"}
    )


@router.get("/person/{name:path}")
def person_view(name: str) -> FileResponse:
    """A person's page (/person/<any name they go by>): the page reads them from GET /v1/people/{name}."""
    return FileResponse(
        WEB / "person.html", media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"}
    )


@router.get("/widget.js")
def widget() -> FileResponse:
    # Loaded by other origins' pages through <script src>; scripts need no CORS.
    return FileResponse(WEB / "widget.js", media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "doc.js": "text/javascript; charset=utf-8",
    "person.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    path = WEB / name
    if name not in ASSETS or not path.is_file():
        raise NotFound(f"no asset '{name}'")
    return FileResponse(path, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
