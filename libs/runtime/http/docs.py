"""The /schema pages: the OpenAPI document and Swagger UI, served without the internet."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

DOCS_PATH = "/schema"
DOCS_ASSETS = f"{DOCS_PATH}/assets"


def openapi_config(title: str, version: str) -> OpenAPIConfig:
    """/schema is Swagger UI with the script and style the service serves itself (from the
    swagger-ui-py package, see ``docs_assets``): the page works on a desk with no internet,
    where Litestar's default pages load Redoc and a favicon from a CDN."""
    return OpenAPIConfig(
        title=title, version=version, path=DOCS_PATH,
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/", "/swagger"],
                js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            ),
            YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
        ],
    )


def docs_assets() -> Router:
    """Swagger UI's files, as shipped in the swagger-ui-py package (found without importing
    it: only its static folder is used)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: it serves the /schema pages")
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    return create_static_files_router(path=DOCS_ASSETS, directories=[static], include_in_schema=False)
