"""Figures and reports in ``citykg serve``: a network's, a country's and a city's pictures.

Routes (added by :func:`routes`):

- ``/report/{key}``: the report page of a network (``network/...``) or a
  country (``country/...``): key figures, map, timeline, network drawing,
  hubs and tables (the same :func:`citykg.report.build_report` as ``citykg report``);
- ``/figures/{name}/{key}``: one figure as SVG (``map``, ``timeline``,
  ``network``, ``hubs`` of a report; ``twins`` and ``twins-map`` of a city);
- ``/tables/{name}/{key}``: one table of a report as CSV.

Entity pages show the figures of networks with members, countries and twinned
cities (:func:`figures_for`). Everything runs over the server's read-only
snapshot through the stored queries of ``queries/analytics/``; reports are
computed once per key and kept (the snapshot never changes). Without the
``analytics`` extra these pages answer 501 with the extra to install.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import CitykgError, ConfigError, QueryError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..analytics import Analytics
    from ..report import Report

ID_BASE = "https://w3id.org/citykg/id/"
REPORT_KINDS = ("network", "country")
CITY_FIGURES = ("twins", "twins-map")
KEEP = 32


@dataclass(frozen=True)
class FigureLink:
    """A figure an entity page shows: its name, caption and URL."""

    name: str
    caption: str
    src: str


class AnalyticsPages:
    """Reports and figures over one read-only store, computed once and kept."""

    def __init__(self, store: Any, library: Any) -> None:
        self.store = store
        self.library = library
        self._analytics: Analytics | None = None
        self._reports: OrderedDict[str, Report] = OrderedDict()
        self._figures: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        try:
            from ..analytics import require

            require("networkx")
            require("matplotlib")
        except ConfigError:
            return False
        return True

    def analytics(self) -> Analytics:
        from ..analytics import Analytics, store_runner

        if self._analytics is None:
            self._analytics = Analytics(store_runner(self.store, self.library))
        return self._analytics

    def kind_of(self, key: str) -> str | None:
        """``network`` (with members), ``country``, ``city`` (twinned), or None.

        Asked of the store directly (the same conditions as the analytics
        tables' rows: a network with a membership that names a member, a place
        in a twinning with another place), so that an entity page does not
        wait for a whole table: on the shipped graph the network table takes
        about 30 s to compute the first time, the ASK a few milliseconds.
        """
        import pyoxigraph as ox

        iri = ID_BASE + key
        if any(c in iri for c in '<>"{}|\\^` '):
            return None
        ask = None
        if key.startswith("network/"):
            ask = (
                f"ASK {{ <{iri}> a/rdfs:subClassOf* ckg:Network . "
                f"?m org:organization <{iri}> ; org:member ?x }}"
            )
        elif key.startswith("country/"):
            c = self.analytics().countries()
            return "country" if (c["country"] == iri).any() else None
        else:
            ask = f"ASK {{ ?t a ckg:Twinning ; ckg:twinningParty <{iri}>, ?o . FILTER (?o != <{iri}>) }}"
        prefixes = (
            "PREFIX ckg: <https://w3id.org/citykg/ontology#> PREFIX org: <http://www.w3.org/ns/org#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        )
        try:
            res = self.store.query(prefixes + ask, use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as e:
            raise QueryError(f"{key}: {e}") from None
        if isinstance(res, ox.QueryBoolean) and bool(res):
            return "network" if key.startswith("network/") else "city"
        return None

    def report(self, key: str) -> Report:
        """The report of a network or country key (``network/c40``, ``country/q142``)."""
        from ..report import build_report

        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]
            kind = self.kind_of(key)
            if kind not in REPORT_KINDS:
                raise LookupError(key)
            iri = ID_BASE + key
            a = self.analytics()
            r = build_report(a, network=iri) if kind == "network" else build_report(a, country=iri)
            self._reports[key] = r
            while len(self._reports) > KEEP:
                self._reports.popitem(last=False)
            return r

    def city_figure(self, key: str, name: str) -> bytes:
        """A city's twinning figures: ``twins`` (its twins and their ties), ``twins-map``."""
        from .. import figures as F

        with self._lock:
            if (key, name) in self._figures:
                return self._figures[(key, name)]
            iri = ID_BASE + key
            a = self.analytics()
            t = a.table("twinning-ties")
            near = set(t.loc[t["placeA"] == iri, "placeB"]) | set(
                t.loc[t["placeB"] == iri, "placeA"]
            )
            g = a.twinning_graph(among=near | {iri})
            label = str(g.nodes[iri].get("label", key)) if iri in g else key
            if name == "twins":
                svg = F.save(F.network_figure(g, title=f"{label}, its twins and their twinnings"))
            else:
                p = a.places()
                pts = p[p["place"].isin(near | {iri})]
                svg = F.save(
                    F.map_figure(pts, title=f"{label} and its twins", color_by="country_label")
                )
            self._figures[(key, name)] = svg
            while len(self._figures) > 4 * KEEP:
                self._figures.popitem(last=False)
            return svg

    def figures_for(self, key: str, base: str) -> tuple[list[FigureLink], str | None]:
        """The figures an entity page shows, and the URL of its report page (or None)."""
        if not self.available:
            return [], None
        try:
            kind = self.kind_of(key)
        except CitykgError:
            return [], None
        if kind in REPORT_KINDS:
            captions = {
                "map": "Members on the map",
                "timeline": "Members joining per year",
                "network": "Twinnings between members" if kind == "network" else "Twinnings",
                "hubs": "Hubs",
            }
            links = [FigureLink(n, c, f"{base}/figures/{n}/{key}") for n, c in captions.items()]
            return links, f"{base}/report/{key}"
        if kind == "city":
            return [
                FigureLink("twins", "Twins and their twinnings", f"{base}/figures/twins/{key}"),
                FigureLink("twins-map", "Twins on the map", f"{base}/figures/twins-map/{key}"),
            ], None
        return [], None


def routes(pages: AnalyticsPages, render: Any, problem: type[Exception]) -> list[Any]:
    """The Starlette routes of the report pages, figures and tables.

    ``problem(status, message)`` is the server's error-response exception
    (passed in, so that this module does not import the app that imports it).
    """
    from starlette.responses import Response
    from starlette.routing import Route

    HTTPProblem: Any = problem

    def need_extra() -> None:
        if not pages.available:
            raise HTTPProblem(
                501,
                "figures need the analytics extra on the server: pip install 'citykg[analytics]'",
            )

    async def report_page(request: Request) -> Response:
        import anyio.to_thread

        need_extra()
        key = request.path_params["key"]
        try:
            r = await anyio.to_thread.run_sync(pages.report, key)
        except LookupError:
            raise HTTPProblem(
                404,
                f"no report for <{ID_BASE}{key}>: reports are made for networks with members and countries",
            ) from None
        rows = {
            t.name: [list(x) for x in t.frame.head(50).itertuples(index=False)] for t in r.tables
        }
        from ..report import format_value

        page: Response = render(
            request, "report.html", title=r.title, r=r, key=key, rows=rows, fmt=format_value
        )
        return page

    async def figure(request: Request) -> Response:
        import anyio.to_thread

        need_extra()
        key, name = request.path_params["key"], request.path_params["name"]
        if name in CITY_FIGURES:
            kind = await anyio.to_thread.run_sync(pages.kind_of, key)
            if kind != "city":
                raise HTTPProblem(404, f"no twinning figures for <{ID_BASE}{key}>")
            svg = await anyio.to_thread.run_sync(pages.city_figure, key, name)
        else:
            try:
                r = await anyio.to_thread.run_sync(pages.report, key)
                svg = r.figure(name).svg
            except (LookupError, KeyError):
                raise HTTPProblem(404, f"no figure {name!r} for <{ID_BASE}{key}>") from None
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})

    async def table(request: Request) -> Response:
        import anyio.to_thread

        need_extra()
        key, name = request.path_params["key"], request.path_params["name"]
        try:
            r = await anyio.to_thread.run_sync(pages.report, key)
            frame = r.table(name)
        except (LookupError, KeyError):
            raise HTTPProblem(404, f"no table {name!r} for <{ID_BASE}{key}>") from None
        body = frame.to_csv(index=False, lineterminator="\n")
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}.csv"'},
        )

    return [
        Route("/report/{key:path}", report_page),
        Route("/figures/{name}/{key:path}", figure),
        Route("/tables/{name}/{key:path}", table),
    ]


__all__ = ["AnalyticsPages", "FigureLink", "routes"]
