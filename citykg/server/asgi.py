"""The server as one more client of the API: an ASGI app factory that takes a graph.

:func:`create_app` is the one way the web application is made, from a
:class:`~citykg.api.KnowledgeGraph`; :func:`serve` runs what it makes with
uvicorn (``citykg serve`` only parses its options and calls :func:`serve`).

>>> from citykg.server.asgi import create_app
>>> create_app.__doc__.splitlines()[0]
'The read-only SPARQL 1.1 server with Linked Data pages over ``kg``, as an ASGI app.'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api import KnowledgeGraph
from ..errors import QueryError
from ..extras import require_extra
from ..store import OxigraphStore

if TYPE_CHECKING:
    from .app import ServerConfig


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

    def close(self) -> None:
        """Stop the workers and remove the snapshot (also done on lifespan shutdown)."""
        self._close()


def create_app(kg: KnowledgeGraph, config: ServerConfig | None = None) -> ClosingApp:
    """The read-only SPARQL 1.1 server with Linked Data pages over ``kg``, as an ASGI app.

    Needs the ``server`` extra. The graph (built, from the build cache, or read
    from a dump with :func:`citykg.api.load_dump`) is published as a read-only
    snapshot answered by worker processes, which stop when the ASGI server shuts
    the app down (or on ``app.close()``). Run it with any ASGI server, e.g.
    ``uvicorn.run(create_app(kg))``, or with :func:`serve`.
    ``config`` is a :class:`citykg.server.app.ServerConfig` (limits, base URL).
    """
    require_extra("server", "the SPARQL server (citykg serve)")
    from .app import ServerConfig, prepare
    from .app import create_app as starlette_app

    if not isinstance(kg.store, OxigraphStore):
        raise QueryError("serving works on the embedded store, not on a remote endpoint")
    site = prepare(kg.store, kg.library, config or ServerConfig(), settings=kg.settings)
    try:
        app = starlette_app(site)
    except BaseException:
        site.close()
        raise
    app.state.site = site
    return ClosingApp(app, site.close)


def serve(
    kg: KnowledgeGraph,
    config: ServerConfig | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``kg`` with uvicorn until interrupted (what ``citykg serve`` does); clean up after.

    The app is :func:`create_app`'s; ``on_ready`` is called with the public
    URL once the workers are up, before the server listens.
    """
    require_extra("server", "citykg serve")
    import uvicorn

    from .app import ServerConfig

    config = config or ServerConfig()
    app = create_app(kg, config)
    try:
        if on_ready is not None:
            on_ready(config.public_base)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=config.host,
                port=config.port,
                log_level="info",
                access_log=False,
                server_header=False,
                proxy_headers=False,
                timeout_keep_alive=5,
                limit_concurrency=max(64, 4 * (config.limits.workers + config.limits.queue)),
                h11_max_incomplete_event_size=64 * 1024,
            )
        )
        server.run()
    finally:
        app.close()


__all__ = ["ClosingApp", "create_app", "serve"]
