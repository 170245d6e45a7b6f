"""The middleware that lets browsers keep the components' hashed files (appio_ui.asset_cache):
those files get a year's `immutable` caching, every other answer passes untouched."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from appio_ui.asset_cache import (
    AN_HOUR,
    IMMUTABLE,
    ImmutableComponentAssets,
    component_caching,
    is_hashed_component_file,
)

ROOT = Path(__file__).resolve().parent.parent
GRID = "/component/st_aggrid.AgGrid.agGrid"


@pytest.mark.parametrize(
    "path",
    [
        f"{GRID}/static/js/main.f4bb7ae6.js",
        f"{GRID}/static/css/main.06956719.css",
        f"{GRID}/static/js/main.f4bb7ae6.js.map",
        f"{GRID}/static/media/source-sans-pro-latin-400-normal.7a5ba508b998fd7044ed.woff2",
    ],
)
def test_a_components_file_named_after_its_hash_is_hashed(path: str) -> None:
    assert is_hashed_component_file(path)
    assert is_hashed_component_file(f"/flussi{path}", base_url="/flussi/")
    assert not is_hashed_component_file(path, base_url="flussi")  # not under the base


@pytest.mark.parametrize(
    "path",
    [
        f"{GRID}/index.html",
        f"{GRID}/",
        f"{GRID}/bootstrap.min.css",
        f"{GRID}/static/js/main.js",
        "/component/deadbeef.js",  # no file, only a component's name
        f"{GRID}/static/js/deadbeef0.js",  # a name of hex digits is not a hash after a stem
        "/static/js/main.f4bb7ae6.js",  # Streamlit's own bundles: its own caching
        "/media/abc.0123456789abcdef.png",
        "/_stcore/health",
        "/",
    ],
)
def test_other_paths_are_not_hashed_component_files(path: str) -> None:
    assert not is_hashed_component_file(path)


@pytest.mark.parametrize(
    ("path", "caching"),
    [
        (f"{GRID}/static/js/main.f4bb7ae6.js", IMMUTABLE),
        (f"{GRID}/bootstrap.min.css", AN_HOUR),
        (f"{GRID}/index.html", None),
        (f"{GRID}/static/js/main.js", None),  # a script may change with the index
        ("/static/css/main.css", None),  # not a component's
    ],
)
def test_each_component_file_gets_its_caching(path: str, caching: bytes | None) -> None:
    assert component_caching(path) == caching


async def _component(request: Request) -> Response:
    """As Streamlit answers: «no-cache» for the HTML, «public» (nothing else) for the rest."""
    path = request.path_params["path"]
    if path.endswith("missing.0123abcd.js"):
        return PlainTextResponse("read error", status_code=404, headers={"Cache-Control": "x"})
    cache = "no-cache" if path.endswith(".html") else "public"
    return PlainTextResponse(path, headers={"Cache-Control": cache, "X-Kept": "yes"})


async def _other(request: Request) -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-cache"})


def _client(base_url: str = "") -> httpx.AsyncClient:
    app = Starlette(
        routes=[
            Route(f"{base_url}/component/{{path:path}}", _component),
            Route(f"{base_url}/{{path:path}}", _other),
        ],
        middleware=[Middleware(ImmutableComponentAssets, base_url=base_url)],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_the_grids_bundle_is_kept_a_year_and_the_rest_is_untouched() -> None:
    client = _client()
    bundle = await client.get(f"{GRID}/static/js/main.f4bb7ae6.js")
    assert bundle.status_code == 200
    assert bundle.headers.get_list("cache-control") == [IMMUTABLE.decode()]
    assert bundle.headers["x-kept"] == "yes"  # the other headers and the body stay
    assert bundle.text == "st_aggrid.AgGrid.agGrid/static/js/main.f4bb7ae6.js"
    css = await client.get(f"{GRID}/static/css/main.06956719.css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The stylesheet without a hash, which the grid's script waits for: an hour.
    sheet = await client.get(f"{GRID}/bootstrap.min.css")
    assert sheet.headers.get_list("cache-control") == [AN_HOUR.decode()]
    # The page that names the current hashes is asked for again each time.
    for path, cache in [
        (f"{GRID}/index.html", "no-cache"),
        (f"{GRID}/asset-manifest.json", "public"),
        (f"{GRID}/static/js/main.js", "public"),
        ("/static/js/main.f4bb7ae6.js", "no-cache"),
        ("/_stcore/health", "no-cache"),
    ]:
        assert (await client.get(path)).headers.get_list("cache-control") == [cache], path
    # An error is not kept.
    missing = await client.get(f"{GRID}/static/js/missing.0123abcd.js")
    assert (missing.status_code, missing.headers["cache-control"]) == (404, "x")


async def test_under_a_base_url_path_too() -> None:
    client = _client("/io-flussi")
    bundle = await client.get(f"/io-flussi{GRID}/static/js/main.f4bb7ae6.js")
    assert bundle.headers["cache-control"] == IMMUTABLE.decode()
    page = await client.get(f"/io-flussi{GRID}/index.html")
    assert page.headers["cache-control"] == "no-cache"


def test_without_a_base_url_the_middleware_reads_streamlits_setting() -> None:
    async def app(scope: object, receive: object, send: object) -> None:  # never called
        raise AssertionError

    assert ImmutableComponentAssets(app).base_url == ""


def test_serve_py_serves_app_py_behind_the_middleware() -> None:
    """`streamlit run serve.py` finds `app = st.App(...)` by reading the file (Streamlit's
    app_discovery); app.py stays the script AppTest and the pages run."""
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "serve.py")
    assert (found.is_asgi_app, found.app_name) == (True, "app")
    tree = ast.parse((ROOT / "serve.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    app_call = next(c for c in calls if ast.unparse(c.func) == "st.App")
    assert ast.literal_eval(app_call.args[0]) == "app.py"
    assert "Middleware(ImmutableComponentAssets)" in ast.unparse(app_call)
