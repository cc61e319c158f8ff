"""The interactive API docs, served by the service itself so they work offline.

Swagger UI (``/docs``) and ReDoc (``/redoc``) load their scripts and styles from
``/docs/assets``: the files the fastapi-offline package ships, found on disk without
importing it. Nothing on these pages comes from another origin, so their content security
policy (``lift_core.middleware.DOCS_CONTENT_SECURITY_POLICY``) allows ``'self'`` only.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"
BEARER_HELP = (
    "A JWT whose tenant_id claim scopes all data. On a local estate: the tokens `make run` "
    "or `make seed` print, or `make token TENANT=acme SUB=alice ROLES=customer` (the dev "
    "issuer's own docs are at port 8000's /docs). Paste it under Authorize without "
    "'Bearer '."
)


def assets_directory() -> Path:
    spec = find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fastapi-offline is not installed: lift-core depends on it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def mount_docs(app: FastAPI) -> None:
    """``/docs``, ``/redoc`` and their assets; build the app with ``docs_url=None`` and
    ``redoc_url=None`` so FastAPI's CDN pages are not mounted too."""
    app.mount(ASSETS, StaticFiles(directory=assets_directory()), name="docs-assets")

    def urls(request: Request) -> tuple[str, str]:
        root = str(request.scope.get("root_path", ""))
        return f"{root}{app.openapi_url}", f"{root}{ASSETS}"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        openapi, assets = urls(request)
        return get_swagger_ui_html(
            openapi_url=openapi,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # No persistAuthorization: a pasted token must not stay in the browser's storage.
            swagger_ui_parameters={"displayRequestDuration": True},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        openapi, assets = urls(request)
        return get_redoc_html(
            openapi_url=openapi,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )
