"""The server as one more client of the API: an ASGI app factory that takes a graph.

>>> from citykg.server.asgi import create_app
>>> create_app.__doc__.splitlines()[0]
'The read-only SPARQL 1.1 server with Linked Data pages over ``kg``, as an ASGI app.'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api import KnowledgeGraph
from ..errors import QueryError
from ..extras import require_extra
from ..store import OxigraphStore


class ClosingApp:
    """An ASGI app that runs ``close`` when the ASGI server shuts it down (lifespan)."""

    def __init__(self, app: Any, close: Callable[[], None]) -> None:
        self.app = app
        self.state = app.state
        self._close = close

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def watch() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self._close()
            return message

        await self.app(scope, watch, send)


def create_app(kg: KnowledgeGraph, config: Any = None) -> ClosingApp:
    """The read-only SPARQL 1.1 server with Linked Data pages over ``kg``, as an ASGI app.

    Needs the ``server`` extra. The built graph is published as a read-only
    snapshot answered by worker processes, which stop when the ASGI server shuts
    the app down (or on ``app.state.site.close()``). Run it with any ASGI server,
    e.g. ``uvicorn.run(create_app(kg))``; ``citykg serve`` does that.
    ``config`` is a :class:`citykg.server.app.ServerConfig` (limits, base URL).
    """
    require_extra("server", "the SPARQL server (citykg serve)")
    from .app import ServerConfig, prepare
    from .app import create_app as starlette_app

    if not isinstance(kg.store, OxigraphStore):
        raise QueryError("serving works on the embedded store, not on a remote endpoint")
    site = prepare(kg.store.ox, kg.library, config or ServerConfig())
    app = starlette_app(site)
    app.state.site = site
    return ClosingApp(app, site.close)


__all__ = ["ClosingApp", "create_app"]
