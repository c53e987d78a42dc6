"""The interactive API docs (Swagger UI), served from the installed package: the page
and its scripts work on a network without internet access, and nothing is fetched at
run time. The Swagger UI files come from the `fastapi-offline` package, pinned in
uv.lock like every other dependency."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse


def assets_folder() -> Path:
    """Where the Swagger UI script, style sheet and icon are installed."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI, docs_url: str, openapi_url: str, assets_url: str) -> None:
    """Serve the docs page at `docs_url` and its files under `assets_url`."""
    app.mount(assets_url, StaticFiles(directory=assets_folder()), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{root}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_url}/favicon.png",
        )
