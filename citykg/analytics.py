"""Network analytics over the graph: who is in which network, since when, and what it looks like.

Every table starts from a stored query in ``queries/analytics/`` (never a second
copy of the graph's logic); projections, measures and time slices are computed
here with pandas and networkx. The module needs the ``analytics`` extra
(``pip install 'citykg[analytics]'``: networkx, scipy, matplotlib); pandas is
already a dependency.

>>> import citykg
>>> kg = citykg.load()                                   # doctest: +SKIP
>>> a = kg.analytics                                     # doctest: +SKIP
>>> a.hubs(a.twinning_graph()).head()                    # doctest: +SKIP

Networks are :class:`networkx.Graph` objects whose nodes are IRIs (strings)
with the attributes ``label``, ``kind`` (city, subdivision, country, place,
network, agent), ``country`` (a country IRI), ``country_label``,
``country_code``, ``lon`` and ``lat`` where the graph knows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import QueryError, QueryParameterError

if TYPE_CHECKING:
    import networkx as nx
    import pyoxigraph as ox
    from matplotlib.figure import Figure

    from .api import KnowledgeGraph
    from .queries import QueryLibrary

#: A function that runs a stored query by name with parameters and returns a DataFrame.
Runner = Callable[[str, Mapping[str, object]], pd.DataFrame]

EXTRA = "analytics"
SEED = 42  # the same in citykg.figures
#: Above this many nodes betweenness is estimated from ``BETWEENNESS_SAMPLES`` sources.
BETWEENNESS_EXACT_LIMIT = 1000
BETWEENNESS_SAMPLES = 64
#: A co-membership projection with more pairs than this is refused (one big network is a clique).
MAX_PROJECTED_PAIRS = 2_000_000
LEVELS = ("local", "regional", "national", "international", "other")
_POINT = re.compile(
    r"^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$", re.IGNORECASE
)


def require(module: str) -> Any:
    """Import an optional module of the ``analytics`` extra, or raise a one-line error naming it."""
    from .extras import require as require_module

    return require_module(module, EXTRA, "citykg analytics")


def parse_point(wkt: object) -> tuple[float, float] | None:
    """Longitude and latitude of a WKT ``POINT``, or None.

    >>> parse_point("POINT(2.3514 48.8575)")
    (2.3514, 48.8575)
    >>> parse_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(-1 2.5)")
    (-1.0, 2.5)
    >>> parse_point("POLYGON((0 0, 1 1, 1 0, 0 0))") is None
    True
    """
    if not isinstance(wkt, str):
        return None
    m = _POINT.match(wkt)
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def year_of(value: object) -> int | None:
    """The year of an xsd:date, xsd:gYear or xsd:gYearMonth value (its first four digits).

    >>> year_of("2008-01-15"), year_of("1989"), year_of(None), year_of(pd.Timestamp("2001-05-05"))
    (2008, 1989, None, 2001)
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else int(value.year)
    if isinstance(value, int):
        return value
    m = re.match(r"^(-?\d{4})", str(value))
    return int(m.group(1)) if m else None


# --- running the stored queries ---------------------------------------------


def kg_runner(kg: KnowledgeGraph) -> Runner:
    """A runner over a :class:`~citykg.api.KnowledgeGraph`."""

    from .results import SelectResult

    def run(name: str, params: Mapping[str, object]) -> pd.DataFrame:
        bound: dict[str, Any] = dict(params)
        # whole networks: no row cap (the time and memory limits still hold)
        res = kg.query(name, allow_network=False, limit=None, **bound)
        if not isinstance(res, SelectResult):
            raise QueryError(f"query '{name}' is not a SELECT query")
        return res.to_dataframe()

    return run


def store_runner(store: ox.Store, library: QueryLibrary) -> Runner:
    """A runner over a (read-only) pyoxigraph store and a query library, as the server has."""
    import pyoxigraph as ox

    from .results import SelectResult
    from .terms import to_rdflib

    def run(name: str, params: Mapping[str, object]) -> pd.DataFrame:
        q = library.get(name)
        text = q.bind(params)
        try:
            res = store.query(text, use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as e:
            raise QueryError(f"query '{q.name}' ({q.path}): {e}") from None
        if not isinstance(res, ox.QuerySolutions):
            raise QueryError(f"query '{q.name}' is not a SELECT query")
        names = [v.value for v in res.variables]
        rows = [
            tuple(to_rdflib(s[i]) if s[i] is not None else None for i in range(len(names)))
            for s in res
        ]
        return SelectResult(names, rows).to_dataframe()  # type: ignore[arg-type]

    return run


def _text(value: object) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    return str(value)


# --- the analytics object ----------------------------------------------------


@dataclass
class Analytics:
    """Network analytics over one graph; tables are cached per instance.

    Build it with ``kg.analytics`` (or ``Analytics(kg_runner(kg))``); the server
    builds one over its read-only store with :func:`store_runner`.
    """

    run: Runner
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _attrs: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def table(self, name: str, **params: object) -> pd.DataFrame:
        """The result of the stored query ``analytics/<name>`` as a DataFrame (cached)."""
        key = name + repr(sorted(params.items()))
        if key not in self._cache:
            self._cache[key] = self.run(f"analytics/{name}", params)
        return self._cache[key].copy()

    # --- node and edge tables ------------------------------------------------

    def places(self) -> pd.DataFrame:
        """Every place: ``place, label, kind, country, country_label, country_code, lon, lat``."""
        key = "#places"
        if key not in self._cache:
            p = self.table("places")
            c = self.table("countries")
            df = p.merge(c, how="left", on="country")
            points = [parse_point(_text(w)) for w in df["wkt"]]
            out = pd.DataFrame(
                {
                    "place": df["place"].astype("string"),
                    "label": df["placeLabel"].astype("string"),
                    "kind": df["kind"].astype("string"),
                    "country": df["country"].astype("string"),
                    "country_label": df["countryLabel"].astype("string"),
                    "country_code": df["alpha2"].astype("string"),
                    "lon": pd.array([pt[0] if pt else None for pt in points], dtype="Float64"),
                    "lat": pd.array([pt[1] if pt else None for pt in points], dtype="Float64"),
                }
            )
            self._cache[key] = out.drop_duplicates("place").reset_index(drop=True)
        return self._cache[key].copy()

    def countries(self) -> pd.DataFrame:
        """Every country: ``country, label, alpha2, alpha3``."""
        return self.table("countries").rename(columns={"countryLabel": "label"})

    def country_iri(self, code: str) -> str:
        """The country IRI of an ISO alpha-2 or alpha-3 code, a Wikidata ID or an IRI.

        Raises :class:`~citykg.errors.QueryParameterError` for an unknown one.
        """
        c = self.countries()
        s = code.strip()
        if s.startswith(("http://", "https://")):
            hit = c[c["country"] == s]
        elif re.fullmatch(r"[Qq]\d+", s):
            hit = c[c["country"].str.endswith("/q" + s[1:])]
        else:
            up = s.upper()
            hit = c[(c["alpha2"] == up) | (c["alpha3"] == up)]
        if len(hit) != 1:
            raise QueryParameterError(
                f"no country with code {code!r} in the graph (give an ISO 3166-1 alpha-2 or "
                "alpha-3 code, a Wikidata ID such as Q142, or a country IRI)"
            )
        return str(hit["country"].iloc[0])

    def memberships(self, network: str | None = None, *, as_of: int | None = None) -> pd.DataFrame:
        """Memberships of agents in networks, one row per membership and place.

        Columns: ``membership, member, member_label, level, place, network,
        network_label, role, start, end, joined, left`` (the last two are years)
        plus the place's ``label, kind, country, country_label, country_code,
        lon, lat``. ``as_of`` keeps the memberships that had begun by the end
        of that year and not ended before it (undated ones are left out).
        """
        df = self.table("network-memberships")
        df = df.rename(columns={"memberLabel": "member_label", "networkLabel": "network_label"})
        for col in ("start", "end"):
            df[col] = df[col].astype("string")
        df["joined"] = pd.array([year_of(v) for v in df["start"]], dtype="Int64")
        df["left"] = pd.array([year_of(v) for v in df["end"]], dtype="Int64")
        if network is not None:
            df = df[df["network"] == network]
        if as_of is not None:
            df = df[
                df["joined"].notna()
                & (df["joined"] <= as_of)
                & (df["left"].isna() | (df["left"] >= as_of))
            ]
        places = self.places().drop(columns=["kind"]).rename(columns={"kind": "place_kind"})
        df = df.merge(places, how="left", on="place")
        return df.reset_index(drop=True)

    def networks(self) -> pd.DataFrame:
        """The networks that have members: ``network, label, members, places, countries, first, last``."""
        m = self.memberships()
        if m.empty:
            return pd.DataFrame(
                columns=["network", "label", "members", "places", "countries", "first", "last"]
            )
        g = m.groupby("network", sort=True)
        out = pd.DataFrame(
            {
                "label": g["network_label"].first(),
                "members": g["member"].nunique(),
                "places": g["place"].nunique(),
                "countries": g["country"].nunique(),
                "first": g["joined"].min(),
                "last": g["joined"].max(),
            }
        ).reset_index()
        return out.sort_values(["members", "network"], ascending=[False, True]).reset_index(
            drop=True
        )

    def twinning_ties(self, country: str | None = None) -> pd.DataFrame:
        """Twinnings as pairs ``place_a, place_b, since`` with both places' attributes.

        ``country`` (an IRI) keeps the ties with at least one place in it.
        """
        t = self.table("twinning-ties").rename(columns={"placeA": "place_a", "placeB": "place_b"})
        t["since"] = t["since"].astype("string")
        p = self.places().set_index("place")
        for side in ("a", "b"):
            cols = p[["label", "country", "country_label"]].add_suffix(f"_{side}")
            t = t.join(cols, on=f"place_{side}")
        if country is not None:
            t = t[(t["country_a"] == country) | (t["country_b"] == country)]
        return t.reset_index(drop=True)

    # --- graphs ----------------------------------------------------------------

    def _add_member(self, g: Any, row: Any, attrs: Mapping[str, Any]) -> str:
        """Add a membership row's member (its place, else the agent) as a bipartite-0 node."""
        node = _text(row.place) or str(row.member)
        if node not in g:
            if _text(row.place):
                self._add_place(g, node, attrs.get(node, {}))
            else:
                g.add_node(node, label=_text(row.member_label) or node, kind="agent")
            g.nodes[node]["bipartite"] = 0
        return node

    def _add_place(self, g: nx.Graph, iri: str, attrs: Mapping[str, Any]) -> None:
        data: dict[str, Any] = {"label": iri.rsplit("/", 1)[-1], "kind": "place"}
        for key in ("label", "kind", "country", "country_label", "country_code", "lon", "lat"):
            v = attrs.get(key)
            if v is not None and v is not pd.NA and not (isinstance(v, float) and pd.isna(v)):
                data[key] = float(v) if key in ("lon", "lat") else str(v)
        g.add_node(iri, **data)

    def _place_attrs(self) -> dict[str, dict[str, Any]]:
        if self._attrs is None:
            frame = self.places().set_index("place")
            self._attrs = frame.to_dict(orient="index")  # type: ignore[assignment]
        assert self._attrs is not None
        return self._attrs

    def membership_graph(self, network: str | None = None, *, as_of: int | None = None) -> nx.Graph:
        """The bipartite graph of places (``bipartite=0``) and networks (``bipartite=1``).

        A member that stands for no place (a person, an organisation) is a node
        of kind ``agent``. Edge attributes: ``joined``, ``left``, ``role``, ``level``.
        """
        nx = require("networkx")
        m = self.memberships(network, as_of=as_of)
        g = nx.Graph(name="memberships")
        attrs = self._place_attrs()
        for row in m.itertuples(index=False):
            node = self._add_member(g, row, attrs)
            net = str(row.network)
            if net not in g:
                g.add_node(net, label=_text(row.network_label) or net, kind="network", bipartite=1)
            edge: dict[str, Any] = {"level": str(row.level)}
            for key in ("joined", "left"):
                v = getattr(row, key)
                if v is not None and v is not pd.NA:
                    edge[key] = int(v)
            if _text(row.role):
                edge["role"] = str(row.role)
            g.add_edge(node, net, **edge)
        return g

    def co_membership_graph(
        self,
        network: str | None = None,
        *,
        as_of: int | None = None,
        minimum: int = 1,
        max_pairs: int = MAX_PROJECTED_PAIRS,
    ) -> nx.Graph:
        """Places linked by the networks they share (edge ``weight`` = shared networks).

        The projection is computed with pandas, one network at a time, keeping
        only places in at least ``minimum`` networks; it is refused with a clear
        error when it would hold more than ``max_pairs`` pairs (every network of
        n members adds n(n-1)/2: one large network alone is a clique).
        """
        nx = require("networkx")
        m = self.memberships(network, as_of=as_of)
        m = m[m["place"].notna()][["place", "network"]].drop_duplicates()
        counts = m.groupby("place")["network"].nunique()
        keep = counts[counts >= minimum].index
        m = m[m["place"].isin(keep)]
        sizes = m.groupby("network")["place"].nunique()
        pairs = int((sizes * (sizes - 1) // 2).sum())
        if pairs > max_pairs:
            raise QueryError(
                f"the co-membership projection would hold {pairs:,} pairs (more than "
                f"{max_pairs:,}): choose a network, a year, or minimum=2 or more"
            )
        g = nx.Graph(name="co-membership")
        attrs = self._place_attrs()
        for place in sorted(m["place"].unique()):
            self._add_place(g, str(place), attrs.get(str(place), {}))
        if not m.empty:
            pairs_df = m.merge(m, on="network", suffixes=("_a", "_b"))
            pairs_df = pairs_df[pairs_df["place_a"] < pairs_df["place_b"]]
            w = pairs_df.groupby(["place_a", "place_b"], sort=True).size()
            for a, b, n in zip(
                w.index.get_level_values(0), w.index.get_level_values(1), w.to_numpy(), strict=True
            ):
                if n >= minimum:
                    g.add_edge(str(a), str(b), weight=int(n))
        return g

    def twinning_graph(
        self, *, country: str | None = None, among: Iterable[str] | None = None
    ) -> nx.Graph:
        """Places linked by twinnings (edge attribute ``since`` where known).

        ``country`` (an IRI) keeps the ties of that country's places (with
        their partners abroad); ``among`` keeps only ties between the given places.
        """
        nx = require("networkx")
        t = self.table("twinning-ties")
        if among is not None:
            keep = set(among)
            t = t[t["placeA"].isin(keep) & t["placeB"].isin(keep)]
        attrs = self._place_attrs()
        if country is not None:
            in_country = {p for p, a in attrs.items() if a.get("country") == country}
            t = t[t["placeA"].isin(in_country) | t["placeB"].isin(in_country)]
        g = nx.Graph(name="twinning")
        for a, b, since in zip(t["placeA"], t["placeB"], t["since"], strict=True):
            for p in (str(a), str(b)):
                if p not in g:
                    self._add_place(g, p, attrs.get(p, {}))
            data = {"since": str(since)} if _text(since) else {}
            g.add_edge(str(a), str(b), **data)
        return g

    def partners(self, relation: str | None = None, network: str | None = None) -> pd.DataFrame:
        """Coordinators and supporters of memberships, with the membership's member and place.

        One row per membership and partner: ``relation`` (coordinator or
        supporter), ``partner``, ``partner_label``, then the membership's columns
        (:meth:`memberships`). Filter with ``relation`` and ``network``.
        """
        p = self.table("membership-partners").rename(columns={"partnerLabel": "partner_label"})
        if relation is not None:
            p = p[p["relation"] == relation]
        m = self.memberships(network)
        out = p.merge(m, how="inner", on="membership")
        return out.reset_index(drop=True)

    def partner_table(self, relation: str, network: str | None = None) -> pd.DataFrame:
        """Coordinators (or supporters) with how many members, places and countries they back.

        Columns: ``partner, partner_label, members, places, countries, first, last``;
        most members first.
        """
        p = self.partners(relation, network)
        cols = ["partner", "partner_label", "members", "places", "countries", "first", "last"]
        if p.empty:
            return pd.DataFrame(columns=cols)
        g = p.groupby(["partner", "partner_label"], dropna=False)
        out = pd.DataFrame(
            {
                "members": g["member"].nunique(),
                "places": g["place"].nunique(),
                "countries": g["country"].nunique(),
                "first": g["joined"].min(),
                "last": g["joined"].max(),
            }
        ).reset_index()
        return out.sort_values(
            ["members", "partner_label", "partner"], ascending=[False, True, True], kind="stable"
        ).reset_index(drop=True)[cols]

    def partner_graph(
        self, relation: str = "coordinator", network: str | None = None, *, as_of: int | None = None
    ) -> nx.Graph:
        """The bipartite graph of coordinators (or supporters) and the places whose membership they back.

        Partner nodes have ``kind`` = the relation and ``bipartite=1``; places
        (or members without a place) ``bipartite=0``. Edge attribute ``joined``.
        """
        nx = require("networkx")
        p = self.partners(relation, network)
        if as_of is not None:
            p = p[
                p["joined"].notna()
                & (p["joined"] <= as_of)
                & (p["left"].isna() | (p["left"] >= as_of))
            ]
        g = nx.Graph(name=f"{relation}s")
        attrs = self._place_attrs()
        for row in p.itertuples(index=False):
            node = self._add_member(g, row, attrs)
            partner = str(row.partner)
            if partner not in g:
                g.add_node(
                    partner, label=_text(row.partner_label) or partner, kind=relation, bipartite=1
                )
            joined = year_of(row.joined)
            data = {} if joined is None else {"joined": joined}
            g.add_edge(node, partner, **data)
        return g

    # --- measures ----------------------------------------------------------------

    def hubs(
        self, g: nx.Graph, *, top: int | None = None, samples: int | None = None
    ) -> pd.DataFrame:
        """Centrality of every node: degree, weighted degree, betweenness, PageRank, community.

        Betweenness is exact up to :data:`BETWEENNESS_EXACT_LIMIT` nodes, else
        estimated from ``samples`` (default :data:`BETWEENNESS_SAMPLES`) source
        nodes drawn with a fixed seed; communities are Louvain's with a fixed
        seed. Sorted by weighted degree, then label and IRI.
        """
        nx = require("networkx")
        cols = [
            "node", "label", "kind", "country_label", "degree", "weighted_degree",
            "betweenness", "pagerank", "community",
        ]  # fmt: skip
        if g.number_of_nodes() == 0:
            return pd.DataFrame(columns=cols)
        n = g.number_of_nodes()
        k = (
            None
            if n <= BETWEENNESS_EXACT_LIMIT and samples is None
            else min(n, samples or BETWEENNESS_SAMPLES)
        )
        between = nx.betweenness_centrality(g, k=k, seed=SEED if k else None, weight=None)
        pagerank = (
            nx.pagerank(g, weight="weight") if g.number_of_edges() else dict.fromkeys(g, 1 / n)
        )
        community = self.communities(g)
        rows = []
        for node, data in g.nodes(data=True):
            rows.append(
                (
                    node,
                    data.get("label", node),
                    data.get("kind"),
                    data.get("country_label"),
                    g.degree(node),
                    g.degree(node, weight="weight"),
                    round(float(between[node]), 6),
                    round(float(pagerank[node]), 6),
                    community.get(node),
                )
            )
        df = pd.DataFrame(rows, columns=cols)
        df = df.sort_values(
            ["weighted_degree", "label", "node"], ascending=[False, True, True], kind="stable"
        ).reset_index(drop=True)
        return df.head(top) if top else df

    def communities(self, g: nx.Graph) -> dict[str, int]:
        """Louvain communities (fixed seed), numbered from 0 by size, largest first."""
        nx = require("networkx")
        if g.number_of_edges() == 0:
            return {node: i for i, node in enumerate(sorted(g))}
        parts = nx.community.louvain_communities(g, weight="weight", seed=SEED)
        parts = sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p[0]))
        return {node: i for i, part in enumerate(parts) for node in part}

    def country_assortativity(self, g: nx.Graph) -> float | None:
        """Assortativity of the graph by country (nodes without a country left out).

        1 when ties stay within countries, near 0 when they ignore borders,
        negative when they cross them more than chance would; None when undefined.
        """
        nx = require("networkx")
        sub = g.subgraph([n for n, d in g.nodes(data=True) if d.get("country")])
        if sub.number_of_edges() == 0:
            return None
        value = nx.attribute_assortativity_coefficient(sub, "country")
        return None if pd.isna(value) else round(float(value), 6)

    def cross_border(self, g: nx.Graph) -> dict[str, float | int | None]:
        """Ties between places of different countries: counts and share.

        ``ties`` all ties, ``known`` those whose two ends have a country,
        ``crossing`` those of them that cross a border, ``share`` = crossing / known.
        """
        known = cross = 0
        for a, b in g.edges():
            ca, cb = g.nodes[a].get("country"), g.nodes[b].get("country")
            if ca and cb:
                known += 1
                cross += ca != cb
        share = round(cross / known, 6) if known else None
        return {"ties": g.number_of_edges(), "known": known, "crossing": cross, "share": share}

    def multiscalar_profile(self, network: str | None = None) -> pd.DataFrame:
        """Members per level of government (local, regional, national, international, other).

        One row per network and level that has members; ``levels`` in
        :meth:`summary` counts the distinct levels of a network.
        """
        m = self.memberships(network)
        cols = ["network", "network_label", "level", "members"]
        if m.empty:
            return pd.DataFrame(columns=cols)
        df = (
            m.groupby(["network", "network_label", "level"], dropna=False)["member"]
            .nunique()
            .reset_index(name="members")
        )
        df["order"] = df["level"].map({lv: i for i, lv in enumerate(LEVELS)})
        return df.sort_values(["network", "order"]).drop(columns="order").reset_index(drop=True)

    def adhesions_per_year(
        self, network: str | None = None, *, by_country: bool = False
    ) -> pd.DataFrame:
        """How many members joined each year (``year, joined``), optionally per country.

        A member counts once per network for its membership's start year;
        memberships without a start date are counted apart (``year`` empty).
        """
        m = self.memberships(network)
        m = m.drop_duplicates(["membership"])
        keys = ["year"] + (["country", "country_label"] if by_country else [])
        if m.empty:
            return pd.DataFrame(columns=[*keys, "joined"])
        m = m.assign(year=m["joined"])
        out = m.groupby(keys, dropna=False).size().reset_index(name="joined")
        out = out.sort_values(keys, na_position="last").reset_index(drop=True)
        out["joined"] = out["joined"].astype("Int64")
        return out

    def members_per_country(self, network: str | None = None) -> pd.DataFrame:
        """Distinct members per country of the place they stand for (``country, country_label, members``)."""
        m = self.memberships(network)
        cols = ["country", "country_label", "members"]
        if m.empty:
            return pd.DataFrame(columns=cols)
        out = (
            m.groupby(["country", "country_label"], dropna=False)["member"]
            .nunique()
            .reset_index(name="members")
        )
        return out.sort_values(["members", "country_label"], ascending=[False, True]).reset_index(
            drop=True
        )

    def twinning_degrees(self, country: str | None = None) -> pd.DataFrame:
        """Twins per place (``place, label, country_label, twins, twins_abroad``), most first."""
        t = self.twinning_ties()
        a = t.rename(
            columns={"place_a": "place", "place_b": "twin", "country_a": "c1", "country_b": "c2"}
        )
        b = t.rename(
            columns={"place_b": "place", "place_a": "twin", "country_b": "c1", "country_a": "c2"}
        )
        both = pd.concat([a[["place", "twin", "c1", "c2"]], b[["place", "twin", "c1", "c2"]]])
        both = both.drop_duplicates(["place", "twin"])
        both["abroad"] = both["c1"].notna() & both["c2"].notna() & (both["c1"] != both["c2"])
        g = both.groupby("place")
        out = pd.DataFrame({"twins": g["twin"].nunique(), "twins_abroad": g["abroad"].sum()})
        out = out.reset_index()
        p = self.places()[["place", "label", "country", "country_label"]]
        out = out.merge(p, how="left", on="place")
        if country is not None:
            out = out[out["country"] == country]
        out = out.astype({"twins": "Int64", "twins_abroad": "Int64"})
        return (
            out[["place", "label", "country_label", "twins", "twins_abroad"]]
            .sort_values(["twins", "label", "place"], ascending=[False, True, True])
            .reset_index(drop=True)
        )

    # --- figures (matplotlib Figures; see citykg.figures) -------------------------

    def map_figure(
        self, network: str | None = None, *, country: str | None = None, as_of: int | None = None
    ) -> Figure:
        """A map of the member places of a network (or of all networks), coloured by country.

        ``country`` (an IRI) keeps that country's places; ``as_of`` a year's members.
        """
        from . import figures

        m = self.memberships(network, as_of=as_of)
        if country is not None:
            m = m[m["country"] == country]
        pts = m.drop_duplicates("place")[["place", "label", "country_label", "lon", "lat"]]
        title = f"Members of {self._network_label(network)}" if network else "Members of networks"
        if as_of is not None:
            title += f" in {as_of}"
        return figures.map_figure(pts, title=title, color_by="country_label")

    def timeline_figure(self, network: str | None = None, *, top_countries: int = 7) -> Figure:
        """Members joining a network (or any network) per year, stacked by country."""
        from . import figures

        title = "Members joining per year"
        if network:
            title = f"{self._network_label(network)}: members joining per year"
        return figures.timeline_figure(
            self.adhesions_per_year(network),
            by_country=self.adhesions_per_year(network, by_country=True),
            title=title,
            top_countries=top_countries,
        )

    def network_figure(self, g: nx.Graph, *, title: str = "", labels: int = 12) -> Figure:
        """A drawing of a graph of this module (spring layout with a fixed seed)."""
        from . import figures

        return figures.network_figure(g, title=title or str(g.graph.get("name", "")), labels=labels)

    def hubs_figure(self, g: nx.Graph, *, measure: str = "degree", top: int = 15) -> Figure:
        """Bars of the ``top`` nodes of a graph by a measure of :meth:`hubs`."""
        from . import figures

        return figures.hubs_figure(self.hubs(g), measure=measure, top=top)

    def _network_label(self, network: str | None) -> str:
        if network is None:
            return "all networks"
        nets = self.networks()
        hit = nets[nets["network"] == network]
        if len(hit) and isinstance(hit["label"].iloc[0], str):
            return str(hit["label"].iloc[0])
        return network.rsplit("/", 1)[-1]

    def summary(self, g: nx.Graph) -> dict[str, Any]:
        """Size, density, components, cross-border share and assortativity of a graph."""
        nx = require("networkx")
        n = g.number_of_nodes()
        comps = sorted((len(c) for c in nx.connected_components(g)), reverse=True) if n else []
        out: dict[str, Any] = {
            "nodes": n,
            "edges": g.number_of_edges(),
            "density": round(float(nx.density(g)), 6) if n > 1 else 0.0,
            "components": len(comps),
            "largest_component": comps[0] if comps else 0,
            "country_assortativity": self.country_assortativity(g),
        }
        out.update({f"cross_border_{k}": v for k, v in self.cross_border(g).items()})
        return out


def to_graphml(g: nx.Graph) -> bytes:
    """A graph as GraphML (for Gephi, yEd, Cytoscape), deterministic for the same graph."""
    return _write(g, "graphml")


def to_gexf(g: nx.Graph) -> bytes:
    """A graph as GEXF 1.2 (Gephi's format), deterministic for the same graph."""
    return _write(g, "gexf")


def _write(g: nx.Graph, fmt: str) -> bytes:
    import io

    nx = require("networkx")
    h = nx.Graph(name=g.graph.get("name", ""))
    h.add_nodes_from(sorted(g.nodes(data=True)))
    h.add_edges_from(sorted((min(a, b), max(a, b), d) for a, b, d in g.edges(data=True)))
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(h, buf, encoding="utf-8")
        return buf.getvalue()
    nx.write_gexf(h, buf, encoding="utf-8", version="1.2draft")
    text = buf.getvalue().decode("utf-8")
    # networkx stamps the day of writing into <meta lastmodifieddate=...>: drop it.
    text = re.sub(r'\s*lastmodifieddate="[^"]*"', "", text)
    return text.encode("utf-8")


__all__ = [
    "Analytics",
    "Runner",
    "kg_runner",
    "parse_point",
    "require",
    "store_runner",
    "to_gexf",
    "to_graphml",
    "year_of",
]
