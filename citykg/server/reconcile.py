"""The W3C Reconciliation Service API 0.2 at ``/reconcile``, for OpenRefine and friends.

Two services, one protocol (the Entity Reconciliation Community Group's
specification, 0.2):

- ``/reconcile``: citykg's own graph: its cities, countries, subdivisions,
  organisations, networks and people, identified by their citykg IRIs;
- ``/reconcile/wikidata``: Wikidata (or any endpoint in its shape) through the
  same matcher as ``citykg reconcile`` and its polite, cached client, when
  the server is started with ``CITYKG_RECONCILE_ENDPOINT=URL`` set.

Each answers: ``GET`` the service manifest; ``GET``/``POST`` ``queries=`` a
batch of reconciliation queries (``type``, ``limit`` and the properties
``P17``/``country`` and ``P625``/``coordinates``); ``/preview?id=`` an HTML
preview; ``/suggest/entity|type|property?prefix=`` auto-completion. Matching and
decisions are :mod:`citykg.reconcile`'s: ``match`` is true only for a
candidate the matcher would link automatically.

Mounted by :func:`routes` (one line in :mod:`citykg.server.app`).
"""

from __future__ import annotations

import bisect
import html
import json
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..countries import Country, default_index
from ..reconcile import (
    PLACE_CLASSES,
    TYPES,
    Gazetteer,
    Hit,
    RowQuery,
    WikidataSource,
    decide,
    parse_coordinate,
    parse_point,
    translit,
)

CKG = "https://w3id.org/citykg/ontology#"
ID = "https://w3id.org/citykg/id/"
WD = "http://www.wikidata.org/entity/"

#: The graph's types offered for reconciliation (id, name).
GRAPH_TYPES: tuple[tuple[str, str], ...] = tuple(
    (CKG + local, name)
    for local, name in (
        ("City", "City"),
        ("Country", "Country"),
        ("Subdivision", "Subdivision"),
        ("Organization", "Organization"),
        ("Network", "Network"),
        ("Person", "Person"),
    )
)
WIKIDATA_TYPES: tuple[tuple[str, str], ...] = (
    ("Q486972", "human settlement"),
    ("Q15284", "municipality"),
    ("Q10864048", "first-level administrative country subdivision"),
    ("Q6256", "country"),
    ("Q43229", "organization"),
)
COUNTRY_PIDS = {"P17", "country", CKG + "country"}
POINT_PIDS = {"P625", "coordinates", CKG + "coordinates"}

MAX_QUERIES = 100  # per batch (OpenRefine sends 10)
MAX_TEXT = 500  # characters of one query string
MAX_LIMIT = 25
DEFAULT_LIMIT = 5
_QID = re.compile(r"^Q[1-9][0-9]*$")


class BadRequest(Exception):
    """A malformed reconciliation request (answered 400 with a JSON message)."""


# --- citykg's graph as a candidate source ----------------------------------------------


@dataclass
class GraphIndex:
    """The graph's reconcilable entities, indexed by folded and transliterated name."""

    hits: dict[str, Hit] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=dict)
    qid: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, set[str]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    _gaz: Gazetteer | None = None

    @classmethod
    def from_store(cls, store: Any) -> GraphIndex:
        """Read the entities of :data:`GRAPH_TYPES` (and their subclasses) from a store."""
        values = " ".join(f"<{t}>" for t, _ in GRAPH_TYPES)
        prefixes = f"""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX geo: <http://www.opengis.net/ont/geosparql#>
        PREFIX ckg: <{CKG}>
        """

        def rows(where: str) -> Any:
            return store.query(
                prefixes + f"SELECT DISTINCT ?x ?v WHERE {{ {where} }}",
                use_default_graph_as_union=True,
            )

        idx = cls()
        roots_of: dict[str, set[str]] = {}
        for row in rows(f"VALUES ?v {{ {values} }} ?x rdfs:subClassOf* ?v"):
            roots_of.setdefault(row["x"].value, set()).add(row["v"].value)
        for root in (t for t, _ in GRAPH_TYPES):
            roots_of.setdefault(root, set()).add(root)
        for row in rows("?x a ?v FILTER(isIRI(?x))"):
            roots = roots_of.get(row["v"].value)
            if roots:
                iri = row["x"].value
                idx.types.setdefault(iri, set()).update(roots)
                idx.hits.setdefault(iri, Hit(iri, has_type=True))
        facts = (
            ("label", "?x rdfs:label ?v"),
            ("alias", "?x skos:altLabel ?v"),
            ("qid", "?x ckg:wikidataId ?v"),
            ("country", "?x ckg:country/ckg:wikidataId ?v"),
            ("point", "?x ckg:coordinates ?v"),
            ("point", "?x geo:hasGeometry/geo:asWKT ?v"),
        )
        for kind, where in facts:
            for row in rows(where):
                h = idx.hits.get(row["x"].value)
                if h is None:
                    continue
                v = row["v"]
                if kind in ("label", "alias"):
                    h.labels.add((v.value, getattr(v, "language", None) or "", kind))
                elif kind == "qid":
                    idx.qid[h.id] = v.value
                elif kind == "country":
                    h.countries.add(v.value)
                elif (pt := parse_point(v.value)) is not None:
                    h.points.add(pt)
        for iri, h in idx.hits.items():
            if CKG + "Country" in idx.types.get(iri, set()) and iri in idx.qid:
                h.countries.add(idx.qid[iri])
            for text_, _, _ in h.labels:
                idx.by_key.setdefault(translit(text_), set()).add(iri)
        idx.keys = sorted(idx.by_key)
        return idx

    def find(self, name: str) -> set[str]:
        """The entities with a name matching ``name`` (folded; else up to three fuzzy keys)."""
        key = translit(name)
        if key in self.by_key:
            return set(self.by_key[key])
        if self._gaz is None:
            self._gaz = Gazetteer(())
            self._gaz.by_key = {k: {k} for k in self.keys}  # fuzzy hits name the keys
            self._gaz.keys = self.keys
        out: set[str] = set()
        for k in self._gaz.find(name):
            out |= self.by_key.get(k, set())
        return out

    def prefixed(self, prefix: str, limit: int) -> list[str]:
        """Entities with a name starting with ``prefix`` (folded), in key order."""
        key = translit(prefix)
        if not key:
            return []
        out: list[str] = []
        i = bisect.bisect_left(self.keys, key)
        while i < len(self.keys) and self.keys[i].startswith(key) and len(out) < limit:
            for iri in sorted(self.by_key[self.keys[i]]):
                if iri not in out:
                    out.append(iri)
            i += 1
        return out[:limit]

    def hit_for(self, iri: str, classes: Sequence[str]) -> Hit:
        """A copy of the entity's hit with the wanted-class flags set."""
        h = self.hits[iri]
        types = self.types.get(iri, set())
        return Hit(
            h.id,
            set(h.labels),
            {c: c in types for c in classes},
            h.has_type,
            set(h.countries),
            set(h.points),
        )


class GraphSource:
    """Candidates from citykg's own graph (see :class:`~citykg.reconcile.CandidateSource`)."""

    def __init__(self, index: Callable[[], GraphIndex]) -> None:
        self.index = index

    def candidates(
        self,
        queries: Sequence[RowQuery],
        countries: Sequence[Country | None],
        classes: tuple[str, ...],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[Hit]]:
        idx = self.index()
        out = []
        for q in queries:
            found = idx.find(q.name) if q.name.strip() else set()
            out.append([idx.hit_for(iri, classes) for iri in sorted(found)])
        return out


# --- the service ----------------------------------------------------------------------------


@dataclass
class Service:
    """One reconciliation service: its identity, types, properties and candidate source."""

    name: str
    path: str
    identifier_space: str
    schema_space: str
    types: tuple[tuple[str, str], ...]
    default_classes: tuple[str, ...]
    source: Any
    view: str
    properties: tuple[tuple[str, str], ...]
    preview_facts: Callable[[str], dict[str, Any] | None]
    suggest: Callable[[str, int], list[dict[str, Any]]]
    type_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.type_names = dict(self.types)

    def manifest(self, base: str) -> dict[str, Any]:
        root = base + self.path
        return {
            "versions": ["0.2"],
            "name": self.name,
            "identifierSpace": self.identifier_space,
            "schemaSpace": self.schema_space,
            "documentation": base + "/",
            "view": {"url": self.view},
            "defaultTypes": [{"id": t, "name": n} for t, n in self.types],
            "preview": {"url": root + "/preview?id={{id}}", "width": 420, "height": 160},
            "suggest": {
                kind: {"service_url": root, "service_path": f"/suggest/{kind}"}
                for kind in ("entity", "type", "property")
            },
        }

    def classes_for(self, type_: Any) -> tuple[str, ...] | None:
        """The classes a query's ``type`` names; ``None`` if it names none of ours."""
        if type_ is None:
            return self.default_classes
        wanted = [type_] if isinstance(type_, str) else type_
        if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
            raise BadRequest("'type' must be a type id or a list of type ids")
        out = []
        for t in wanted:
            t = t.rsplit("/", 1)[-1] if t.startswith(WD) else t
            if t in self.type_names:
                out.append(t)
        if wanted and not out:
            return None  # another service's type: nothing here is of it
        return tuple(out) or self.default_classes

    def reconcile(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Answer a batch of reconciliation queries."""
        if not isinstance(batch, dict):
            raise BadRequest("'queries' must be a JSON object of queries")
        if len(batch) > MAX_QUERIES:
            raise BadRequest(f"at most {MAX_QUERIES} queries per batch, got {len(batch)}")
        parsed: dict[str, tuple[RowQuery, tuple[str, ...] | None, int]] = {}
        for key, q in batch.items():
            parsed[key] = self._parse(key, q)
        out: dict[str, Any] = {}
        groups: dict[tuple[str, ...], list[str]] = {}
        for key, (row, classes, _) in parsed.items():
            if classes is None or not row.name.strip():
                out[key] = {"result": []}  # an unknown type, or properties alone: no match
            else:
                groups.setdefault(classes, []).append(key)
        index = default_index()
        for classes, keys in groups.items():
            queries = [parsed[k][0] for k in keys]
            countries = [index.resolve(q.country) for q in queries]
            hits = self.source.candidates(queries, countries, classes)
            for k, q, c, found in zip(keys, queries, countries, hits, strict=True):
                r = decide(q, c, found, classes)
                limit = parsed[k][2]
                result = []
                for rank, s in enumerate(r.candidates[:limit]):
                    types = [
                        {"id": t, "name": self.type_names.get(t, t)}
                        for t in classes
                        if s.hit.classes.get(t)
                    ]
                    result.append(
                        {
                            "id": s.id,
                            "name": s.hit.display_label,
                            "description": s.evidence,
                            "score": round(100 * s.score, 2),
                            "match": rank == 0 and r.decision == "linked",
                            "type": types,
                            "features": [
                                {"id": f, "value": round(v, 4)} for f, v in s.features.items()
                            ],
                        }
                    )
                out[k] = {"result": result}
        return out

    def _parse(self, key: str, q: Any) -> tuple[RowQuery, tuple[str, ...] | None, int]:
        if not isinstance(q, dict):
            raise BadRequest(f"query {key!r} is not a JSON object")
        unknown = set(q) - {"query", "type", "limit", "properties", "type_strict"}
        if unknown:
            raise BadRequest(f"query {key!r}: unknown member(s) {', '.join(sorted(unknown))}")
        text = q.get("query", "")
        props = q.get("properties", [])
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise BadRequest(f"query {key!r}: 'query' must be a string of at most {MAX_TEXT}")
        if not isinstance(props, list) or (not text and not props):
            raise BadRequest(f"query {key!r}: needs a 'query' string or 'properties'")
        limit = q.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
            raise BadRequest(f"query {key!r}: 'limit' must be a non-negative number")
        row = RowQuery(text)
        for p in props:
            if not isinstance(p, dict) or "pid" not in p or "v" not in p:
                raise BadRequest(f"query {key!r}: a property needs 'pid' and 'v'")
            values = p["v"] if isinstance(p["v"], list) else [p["v"]]
            v = values[0] if values else ""
            if isinstance(v, dict):
                v = v.get("id") or v.get("name") or ""
            v = str(v)
            if p["pid"] in COUNTRY_PIDS:
                row.country = _country_text(v, self)
            elif p["pid"] in POINT_PIDS:
                row.lat, row.lon = _lat_lon(v)
        return row, self.classes_for(q.get("type")), min(int(limit), MAX_LIMIT)


def _country_text(v: str, service: Service) -> str:
    """A country value: a graph IRI becomes its QID, anything else is resolved as written."""
    src = service.source
    if isinstance(src, GraphSource) and v in src.index().qid:
        return src.index().qid[v]
    return v


def _lat_lon(v: str) -> tuple[float | None, float | None]:
    """``"lat,lon"`` (OpenRefine's form) or a WKT ``POINT(lon lat)``."""
    pt = parse_point(v)
    if pt:
        return pt[1], pt[0]
    parts = re.split(r"[,;\s]+", v.strip())
    if len(parts) == 2:
        return parse_coordinate(parts[0], 90), parse_coordinate(parts[1], 180)
    return None, None


def graph_service(store: Any) -> Service:
    """The service over citykg's own graph (the index is read once, on first use)."""
    lock = threading.Lock()
    holder: dict[str, GraphIndex] = {}

    def index() -> GraphIndex:
        with lock:
            if "i" not in holder:
                holder["i"] = GraphIndex.from_store(store)
            return holder["i"]

    # read the graph in the background, so that the first request does not wait for it
    threading.Thread(target=index, name="reconcile-index", daemon=True).start()

    def facts(id_: str) -> dict[str, Any] | None:
        idx = index()
        if id_ not in idx.hits:
            return None
        h = idx.hits[id_]
        return {
            "name": h.display_label,
            "types": sorted(t.rsplit("#", 1)[-1] for t in idx.types.get(id_, ())),
            "countries": sorted(h.countries),
            "points": sorted(h.points),
            "wikidata": idx.qid.get(id_),
        }

    def suggest(prefix: str, limit: int) -> list[dict[str, Any]]:
        idx = index()
        return [
            {
                "id": iri,
                "name": idx.hits[iri].display_label,
                "notable": [
                    {"id": t, "name": t.rsplit("#", 1)[-1]} for t in sorted(idx.types.get(iri, ()))
                ],
            }
            for iri in idx.prefixed(prefix, limit)
        ]

    return Service(
        name="citykg: the city diplomacy knowledge graph",
        path="/reconcile",
        identifier_space=ID,
        schema_space=CKG,
        types=GRAPH_TYPES,
        default_classes=tuple(t for t, _ in GRAPH_TYPES),
        source=GraphSource(index),
        view="{{id}}",
        properties=(
            (CKG + "country", "country (a name, ISO code or Wikidata ID)"),
            (CKG + "coordinates", "coordinates (lat,lon)"),
        ),
        preview_facts=facts,
        suggest=suggest,
    )


def wikidata_service(endpoint: str) -> Service:
    """The service over Wikidata (or an endpoint in its shape), through the cached client."""
    from ..reconcile import default_cache_dir
    from ..wikidata import WikidataClient, value

    client = WikidataClient(endpoint, cache_dir=default_cache_dir(), max_age_days=30.0)
    source = WikidataSource(client)
    lock = threading.Lock()  # one request at a time, as the client's politeness wants

    class Serialised:
        def candidates(self, *args: Any) -> list[list[Hit]]:
            with lock:
                return source.candidates(*args)

    def facts(id_: str) -> dict[str, Any] | None:
        if not _QID.match(id_):
            return None
        q = (
            "PREFIX wd: <http://www.wikidata.org/entity/>\n"
            "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            f"SELECT ?label ?country ?coord ?class WHERE {{ VALUES ?item {{ wd:{id_} }}\n"
            '  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) IN ("en", "mul", "")) }\n'
            "  OPTIONAL { ?item wdt:P17 ?country } OPTIONAL { ?item wdt:P625 ?coord }\n"
            "  OPTIONAL { ?item wdt:P31 ?class } }"
        )
        with lock:
            rows = client.select(q).bindings
        if not rows:
            return None

        def all_of(var: str) -> list[str]:
            return sorted({value(r, var) or "" for r in rows} - {""})

        labels = all_of("label")
        return {
            "name": labels[0] if labels else id_,
            "types": [c.rsplit("/", 1)[-1] for c in all_of("class")],
            "countries": [c.rsplit("/", 1)[-1] for c in all_of("country")],
            "points": [p for c in all_of("coord") if (p := parse_point(c))],
            "wikidata": id_,
        }

    svc: Service

    def suggest(prefix: str, limit: int) -> list[dict[str, Any]]:
        # SPARQL has no prefix index: suggest the items whose label is the text, any case
        if not prefix.strip():
            return []
        batch = svc.reconcile({"s": {"query": prefix, "limit": limit}})["s"]["result"]
        return [{"id": r["id"], "name": r["name"], "notable": r["type"]} for r in batch]

    svc = Service(
        name="citykg: Wikidata places and organisations",
        path="/reconcile/wikidata",
        identifier_space=WD,
        schema_space="http://www.wikidata.org/prop/direct/",
        types=WIKIDATA_TYPES,
        default_classes=PLACE_CLASSES,
        source=Serialised(),
        view="https://www.wikidata.org/wiki/{{id}}",
        properties=(("P17", "country"), ("P625", "coordinate location (lat,lon)")),
        preview_facts=facts,
        suggest=suggest,
    )
    assert set(TYPES["city"]) <= set(svc.type_names)
    return svc


# --- HTTP -----------------------------------------------------------------------------------


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status_code=status)


async def _queries(request: Request, max_body: int) -> Any:
    """The ``queries`` parameter of a GET or a form POST, parsed as JSON (or ``None``)."""
    raw: str | None = request.query_params.get("queries")
    if request.method == "POST":
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                raise BadRequest(f"the request body is larger than {max_body} bytes")
        from urllib.parse import parse_qs

        ctype = request.headers.get("content-type", "")
        if "application/json" in ctype:
            raw = body.decode("utf-8", "replace")
        else:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            raw = form.get("queries", [raw or ""])[0] or raw
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadRequest(f"'queries' is not JSON: {e}") from None


def _preview_html(facts: dict[str, Any], id_: str, view: str) -> str:
    e = html.escape
    rows = [
        ("types", ", ".join(facts["types"]) or "none"),
        ("country", ", ".join(facts["countries"]) or "unknown"),
        (
            "coordinates",
            "; ".join(f"{lat:.4f}, {lon:.4f}" for lon, lat in facts["points"]) or "none",
        ),
    ]
    if facts.get("wikidata"):
        rows.append(("Wikidata", facts["wikidata"]))
    link = view.replace("{{id}}", id_)
    cells = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
        f"{e(facts['name'])}</title></head><body>"
        f'<h1 style="font-size:1.1em;margin:0"><a href="{e(link)}" target="_blank">'
        f"{e(facts['name'])}</a></h1><table>{cells}</table></body></html>"
    )


def service_routes(service: Service, max_body: int = 256 * 1024) -> list[BaseRoute]:
    """The routes of one service under its path."""

    def base(request: Request) -> str:
        url = str(request.base_url).rstrip("/")
        return url

    async def endpoint(request: Request) -> Response:
        try:
            batch = await _queries(request, max_body)
            if batch is None:
                return JSONResponse(service.manifest(base(request)))
            return JSONResponse(await run_in_threadpool(service.reconcile, batch))
        except BadRequest as e:
            return _error(400, str(e))

    async def preview(request: Request) -> Response:
        id_ = request.query_params.get("id", "")
        if not id_ or len(id_) > 1000:
            return _error(400, "give the entity as ?id=")
        facts = await run_in_threadpool(service.preview_facts, id_)
        if facts is None:
            return _error(404, f"no entity {id_!r} in this service")
        return HTMLResponse(_preview_html(facts, id_, service.view))

    def _prefix(request: Request) -> tuple[str, int]:
        prefix = request.query_params.get("prefix", "")[:MAX_TEXT]
        try:
            limit = min(MAX_LIMIT, max(1, int(request.query_params.get("limit", "10"))))
        except ValueError:
            limit = 10
        return prefix, limit

    async def suggest_entity(request: Request) -> Response:
        prefix, limit = _prefix(request)
        try:
            found = await run_in_threadpool(service.suggest, prefix, limit)
        except BadRequest as e:
            return _error(400, str(e))
        return JSONResponse({"result": found})

    def _matching(items: Sequence[tuple[str, str]], prefix: str) -> list[dict[str, str]]:
        key = translit(prefix)
        return [
            {"id": i, "name": n}
            for i, n in items
            if not key
            or translit(n).startswith(key)
            or any(w.startswith(key) for w in translit(n).split())
        ]

    async def suggest_type(request: Request) -> Response:
        prefix, limit = _prefix(request)
        return JSONResponse({"result": _matching(service.types, prefix)[:limit]})

    async def suggest_property(request: Request) -> Response:
        prefix, limit = _prefix(request)
        found = _matching(service.properties, prefix)
        if not found:  # ids too ("P17")
            found = [{"id": i, "name": n} for i, n in service.properties if i.startswith(prefix)]
        return JSONResponse({"result": found[:limit]})

    p = service.path
    return [
        Route(p, endpoint, methods=["GET", "POST"]),
        Route(p + "/preview", preview),
        Route(p + "/suggest/entity", suggest_entity),
        Route(p + "/suggest/type", suggest_type),
        Route(p + "/suggest/property", suggest_property),
    ]


def routes(site: Any) -> list[BaseRoute]:
    """The reconciliation routes for a served site: the graph, and Wikidata if configured.

    ``CITYKG_RECONCILE_ENDPOINT`` names the Wikidata (or Wikidata-shaped) SPARQL
    endpoint of ``/reconcile/wikidata``; unset, only the graph is served.
    """
    max_body = getattr(getattr(site, "config", None), "max_body", 256 * 1024)
    out = []
    endpoint = os.environ.get("CITYKG_RECONCILE_ENDPOINT", "").strip()
    if endpoint:  # before /reconcile's own sub-routes, which it shares a prefix with
        out += service_routes(wikidata_service(endpoint), max_body)
    out += service_routes(graph_service(site.store), max_body)
    return out


__all__ = ["GRAPH_TYPES", "GraphIndex", "GraphSource", "Service", "graph_service", "routes"]
