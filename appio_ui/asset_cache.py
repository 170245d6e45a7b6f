"""Lets browsers keep the custom components' files whose names carry a content hash.

Streamlit serves a component's files (`/component/<name>/<file>`) with `Cache-Control:
public`, no max-age and no validator: the browser may not reuse its copy without asking, and
having nothing to ask with, downloads the file again. The grid's bundle (streamlit-aggrid,
`static/js/main.<hash>.js`, 4.7 MB, 1.3 MB gzipped) was thus fetched again each time a page
with a grid was shown: about 0.2 s on loopback, much more on a comune's network.

A file named after a hash of its content (`main.f4bb7ae6.js`, `main.06956719.css`, the
fonts' `...-400-normal.7a5ba508b998fd7044ed.woff`) changes name whenever its content
changes, so it may be kept for a year without asking (`immutable`), as Streamlit does for its
own bundles. A stylesheet named without a hash (the grid's `bootstrap.min.css`, 27 kB) is
kept for an hour: the grid's script waits for it before it runs, so asking for it again
delayed every showing by a round trip (7-36 ms on loopback), and an old copy for an hour
after an upgrade only styles the grid as before. Everything else, the component's
`index.html` (which names the current hashes) and its scripts first, is left as Streamlit
serves it.

A plain ASGI middleware (no BaseHTTPMiddleware: it would buffer the bodies and run the
websocket's scope through a task group); `serve.py` puts it in front of Streamlit.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMMUTABLE: Final = b"public, max-age=31536000, immutable"
AN_HOUR: Final = b"public, max-age=3600"
COMPONENT_ROUTE: Final = "component"  # Streamlit's route for custom components' files
# A dot-separated part of a file's name, after its stem, of 8 or more hexadecimal digits.
_HASHED_NAME = re.compile(r"^[^.]+(?:\.[^.]+)*\.[0-9a-f]{8,}(?:\.[^.]+)+$")


def _component_file_name(path: str, base_url: str) -> str | None:
    """The name of the component's file `path` asks for (under `base_url`), if it asks for
    one."""
    base = base_url.strip("/")
    prefix = f"/{base}/{COMPONENT_ROUTE}/" if base else f"/{COMPONENT_ROUTE}/"
    if not path.startswith(prefix):
        return None
    # <component name>/<file's path in its build directory>
    component, _, file = path[len(prefix) :].partition("/")
    name = file.rpartition("/")[2]
    return name if component and name else None


def is_hashed_component_file(path: str, base_url: str = "") -> bool:
    """Whether `path` (as requested, under `base_url`) is a component's file named after
    its content's hash."""
    name = _component_file_name(path, base_url)
    return name is not None and bool(_HASHED_NAME.match(name))


def component_caching(path: str, base_url: str = "") -> bytes | None:
    """The `Cache-Control` a component's file gets: a year for a hashed one, an hour for a
    stylesheet named without a hash; None: as Streamlit serves it."""
    name = _component_file_name(path, base_url)
    if name is None:
        return None
    if _HASHED_NAME.match(name):
        return IMMUTABLE
    return AN_HOUR if name.endswith(".css") else None


class ImmutableComponentAssets:
    """Gives a successful answer for a component's file the `Cache-Control` of
    `component_caching`; passes everything else through untouched."""

    def __init__(self, app: ASGIApp, base_url: str | None = None) -> None:
        self.app = app
        if base_url is None:
            from streamlit import config

            base_url = str(config.get_option("server.baseUrlPath") or "")
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caching = (
            component_caching(scope["path"], self.base_url) if scope["type"] == "http" else None
        )
        if caching is None:
            await self.app(scope, receive, send)
            return

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", caching))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_cached)
