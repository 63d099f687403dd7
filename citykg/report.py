"""Reports: the figures and tables of a network, a country or the whole graph, as HTML and CSV.

:func:`build_report` computes a :class:`Report` from :class:`~citykg.analytics.Analytics`
(every number from the stored queries in ``queries/analytics/``);
:func:`write_report` writes ``index.html``, one SVG per figure and one CSV per
table into a folder; :func:`report_html` renders the page (the server uses it
too). Needs the ``analytics`` extra.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import figures as F
from .analytics import Analytics
from .errors import QueryParameterError

Progress = Callable[[str, int, int], None]


@dataclass
class Table:
    """A table of the report, written as ``<name>.csv``."""

    name: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Figure:
    """A figure of the report, written as ``<name>.svg``."""

    name: str
    title: str
    svg: bytes
    caption: str = ""


@dataclass
class Report:
    """What a report shows: its scope, key figures, pictures and tables."""

    title: str
    scope: dict[str, str]
    numbers: list[tuple[str, object]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """A table by name."""
        for t in self.tables:
            if t.name == name:
                return t.frame
        raise KeyError(name)

    def figure(self, name: str) -> Figure:
        """A figure by name."""
        for f in self.figures:
            if f.name == name:
                return f
        raise KeyError(name)


def _label_of(a: Analytics, network: str) -> str:
    nets = a.networks()
    hit = nets[nets["network"] == network]
    if len(hit) and isinstance(hit["label"].iloc[0], str):
        return str(hit["label"].iloc[0])
    return network.rsplit("/", 1)[-1]


def build_report(
    a: Analytics,
    *,
    network: str | None = None,
    country: str | None = None,
    top: int = 20,
    progress: Progress | None = None,
) -> Report:
    """The report of one network, one country (an IRI, ISO code or QID) or the whole graph."""
    steps = 6
    done = [0]

    def step(label: str) -> None:
        done[0] += 1
        if progress:
            progress(f"report {label}", done[0], steps)

    country_iri = a.country_iri(country) if country else None
    country_label = None
    if country_iri:
        c = a.countries()
        country_label = str(c[c["country"] == country_iri]["label"].iloc[0])
    scope: dict[str, str] = {}
    parts = []
    if network:
        scope["network"] = network
        parts.append(_label_of(a, network))
    if country_iri:
        scope["country"] = country_iri
        parts.append(country_label or country_iri)
    title = " · ".join(parts) if parts else "citykg: networks and twinning"
    report = Report(title=title, scope=scope)

    # --- memberships ---------------------------------------------------------
    members = a.memberships(network)
    if network and members.empty:
        raise QueryParameterError(
            f"the graph holds no membership of <{network}>: see `citykg query networks-overview`"
        )
    if country_iri:
        members = members[members["country"] == country_iri]
    step("memberships")
    member_places = sorted({str(p) for p in members["place"].dropna()})
    report.numbers += [
        ("memberships", int(members["membership"].nunique())),
        ("members", int(members["member"].nunique())),
        ("member places", len(member_places)),
        ("countries of members", int(members["country"].nunique())),
    ]
    if network is None:
        nets = a.networks()
        if country_iri:
            keep = set(members["network"].dropna())
            nets = nets[nets["network"].isin(keep)]
        report.tables.append(Table("networks", "Networks and their members", nets))
        report.numbers.append(("networks with members", len(nets)))

    per_year = _per_year(members, by_country=False)
    per_year_country = _per_year(members, by_country=True)
    report.tables.append(
        Table("adhesions-per-year", "Members joining per year", per_year,
              "A membership counts once, for the year it began; undated ones have no year.")
    )  # fmt: skip
    report.tables.append(
        Table("adhesions-per-year-and-country", "Members joining per year and country",
              per_year_country)
    )  # fmt: skip
    per_country = (
        members.groupby(["country", "country_label"], dropna=False)["member"]
        .nunique()
        .reset_index(name="members")
        .sort_values(["members", "country_label"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    report.tables.append(Table("members-per-country", "Members per country", per_country))
    profile = (
        members.groupby(["network", "network_label", "level"], dropna=False)["member"]
        .nunique()
        .reset_index(name="members")
    )
    report.tables.append(
        Table("multiscalar-profile", "Members per level of government", profile,
              "local: city governments; regional: subnational governments; national: "
              "national governments; international: international organisations.")
    )  # fmt: skip
    roles = (
        members.assign(role=members["role"].astype("string").str.rsplit("#", n=1).str[-1])
        .groupby(["network", "network_label", "role"], dropna=False)["member"]
        .nunique()
        .reset_index(name="members")
    )
    report.tables.append(Table("members-per-role", "Members per role", roles))
    keep_members = set(members["membership"])
    partner_tables = {}
    for relation in ("coordinator", "supporter"):
        p = a.partners(relation, network)
        p = p[p["membership"].isin(keep_members)]
        if p.empty:
            continue
        g = p.groupby(["partner", "partner_label"], dropna=False)
        t = (
            pd.DataFrame(
                {
                    "members": g["member"].nunique(),
                    "countries": g["country"].nunique(),
                    "first": g["joined"].min(),
                    "last": g["joined"].max(),
                }
            )
            .reset_index()
            .sort_values(["members", "partner_label"], ascending=[False, True], kind="stable")
            .reset_index(drop=True)
        )
        partner_tables[relation] = t
        report.tables.append(
            Table(f"{relation}s", f"{relation.capitalize()}s and the members they back", t,
                  "Covenant Coordinators guide signatories (ckg:coordinatedBy); Covenant "
                  "Supporters back them (ckg:supportedBy); counted over the memberships shown.")
        )  # fmt: skip
        report.numbers.append((f"{relation}s", len(t)))
        report.numbers.append((f"members with a {relation}", int(p["member"].nunique())))
    dated = per_year.dropna(subset=["year"])
    if len(dated):
        report.numbers.append(("first adhesion", int(dated["year"].min())))
        report.numbers.append(("last adhesion", int(dated["year"].max())))
    step("tables")

    # --- twinning ------------------------------------------------------------
    if network is not None:
        tw = a.twinning_graph(among=member_places)
        tw_title = "Twinnings between members"
    elif country_iri:
        tw = a.twinning_graph(country=country_iri)
        tw_title = f"Twinnings of {country_label}"
    else:
        tw = a.twinning_graph()
        tw_title = "Twinnings"
    summary = a.summary(tw)
    report.numbers += [
        ("twinning ties", summary["edges"]),
        ("twinned places", summary["nodes"]),
        ("ties with both countries known", summary["cross_border_known"]),
        ("of them crossing a border", summary["cross_border_crossing"]),
        ("cross-border share", summary["cross_border_share"]),
        ("assortativity by country", summary["country_assortativity"]),
        ("connected components", summary["components"]),
        ("largest component", summary["largest_component"]),
    ]
    hubs = a.hubs(tw)
    step("measures")
    report.tables.append(
        Table("hubs", f"{tw_title}: top {top} hubs", hubs.head(top).drop(columns=["kind"]),
              "degree: twins; betweenness: exact up to 1,000 places, else estimated from "
              "64 sampled sources (fixed seed); community: Louvain (fixed seed).")
    )  # fmt: skip

    # --- figures -------------------------------------------------------------
    if member_places:
        places = a.places()
        pts = places[places["place"].isin(member_places)]
        what = "member places"
    else:
        pts = pd.DataFrame(
            [
                (n, d.get("lon"), d.get("lat"), d.get("country_label"))
                for n, d in tw.nodes(data=True)
            ],
            columns=["place", "lon", "lat", "country_label"],
        )
        what = "twinned places"
    pts = pts.dropna(subset=["lon", "lat"])
    report.figures.append(
        Figure("map", "Map", F.save(F.map_figure(pts, title=f"{len(pts):,} {what} with coordinates", color_by="country_label")),
               f"{what.capitalize()} that have coordinates in the graph, on Natural Earth outlines.")
    )  # fmt: skip
    step("map")
    report.figures.append(
        Figure("timeline", "Timeline",
               F.save(F.timeline_figure(per_year, by_country=per_year_country,
                                        title="Members joining per year" + (" (no dated memberships)" if dated.empty else ""))),
               "Adhesions per year, stacked by country.")
    )  # fmt: skip
    step("timeline")
    report.figures.append(
        Figure("network", "Network", F.save(F.network_figure(tw, title=tw_title)),
               "Spring layout with a fixed seed; node size by degree, colour by country.")
    )  # fmt: skip
    report.figures.append(
        Figure("hubs", "Hubs", F.save(F.hubs_figure(hubs, measure="degree", top=15, title=f"{tw_title}: most ties")),
               "The places with most ties in the network drawn above.")
    )  # fmt: skip
    if "coordinator" in partner_tables:
        cg = a.partner_graph("coordinator", network)
        if country_iri:
            shown = [
                n
                for n, d in cg.nodes(data=True)
                if d.get("country") == country_iri or d.get("kind") == "coordinator"
            ]
            cg = cg.subgraph(shown).copy()
            cg.remove_nodes_from([n for n in list(cg) if cg.degree(n) == 0])
        report.figures.append(
            Figure("coordination", "Coordination",
                   F.save(F.network_figure(cg, title="Coordinators and the members they coordinate", labels=10)),
                   "Coordinators (regions, provinces, agencies) linked to the places whose membership they coordinate.")
        )  # fmt: skip
    step("drawings")
    return report


def _per_year(members: pd.DataFrame, *, by_country: bool) -> pd.DataFrame:
    m = members.drop_duplicates(["membership"])
    keys = ["year"] + (["country", "country_label"] if by_country else [])
    if m.empty:
        return pd.DataFrame(columns=[*keys, "joined"])
    m = m.assign(year=m["joined"])
    out = m.groupby(keys, dropna=False).size().reset_index(name="joined")
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ r.title }} · citykg report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: .85rem; }
</style></head>
<body>
<main class="report">
<h1 id="report-title">{{ r.title }}</h1>
<p class="note">Every number comes from the stored queries in <code>queries/analytics/</code>
(places, countries, network-memberships, membership-partners, twinning-ties), computed with pandas and networkx.
{% if r.scope %}Scope: {% for k, v in r.scope.items() %}{{ k }} <code>{{ v }}</code> {% endfor %}{% endif %}</p>
<h2>Key figures</h2>
<table class="numbers"><tbody>
{% for k, v in r.numbers %}<tr><th>{{ k }}</th><td class="num">{{ fmt(v, k) }}</td></tr>
{% endfor %}</tbody></table>
{% for f in r.figures %}
<figure class="figure" id="figure-{{ f.name }}">
<img src="{{ src(f) }}" alt="{{ f.title }}: {{ f.caption }}">
<figcaption>{{ f.caption }}</figcaption>
</figure>
{% endfor %}
{% for t in r.tables %}
<h2 id="table-{{ t.name }}">{{ t.title }}</h2>
{% if t.note %}<p class="note">{{ t.note }}</p>{% endif %}
{% if csv %}<p class="note"><a href="{{ t.name }}.csv">{{ t.name }}.csv</a> ({{ t.frame | length }} rows)</p>{% endif %}
<table class="data" data-table="{{ t.name }}"><thead><tr>{% for c in t.frame.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows(t) %}<tr>{% for c, v in zip(t.frame.columns, row) %}<td{% if num(v) %} class="num"{% endif %}>{{ fmt(v, c) }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if t.frame | length > limit %}<p class="note">The first {{ limit }} of {{ t.frame | length }} rows.</p>{% endif %}
{% endfor %}
</main>
</body>
</html>
"""


YEAR_NAMES = frozenset({"year", "first", "last", "first adhesion", "last adhesion"})


def format_value(v: object, name: str = "") -> str:
    """A cell of a report table as text: thousands separators (not in years), no NA.

    >>> format_value(12326), format_value(2008, "year"), format_value(None), format_value(0.976190)
    ('12,326', '2008', '', '0.9762')
    """
    if isinstance(v, np.generic):  # numpy scalars from DataFrame rows
        v = v.item()
    if name in YEAR_NAMES and isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.6g}" if abs(v) >= 1 else f"{v:.4g}"
    return str(v)


def report_html(
    r: Report,
    *,
    figure_src: Callable[[Figure], str] | None = None,
    csv_links: bool = True,
    limit: int = 50,
) -> str:
    """The report as an HTML page; ``figure_src`` gives each figure's URL (default ``<name>.svg``)."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.from_string(_TEMPLATE)

    def rows(t: Table) -> list[list[Any]]:
        return [list(row) for row in t.frame.head(limit).itertuples(index=False)]

    return tpl.render(
        r=r,
        fmt=format_value,
        num=lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool),
        rows=rows,
        src=figure_src or (lambda f: f"{f.name}.svg"),
        zip=zip,
        csv=csv_links,
        limit=limit,
    )


def write_report(r: Report, out: Path) -> list[Path]:
    """Write ``index.html``, ``<figure>.svg`` and ``<table>.csv`` into ``out``; return the paths."""
    from .files import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for f in r.figures:
        path = out / f"{f.name}.svg"
        write_atomic(path, f.svg)
        written.append(path)
    for t in r.tables:
        path = out / f"{t.name}.csv"
        write_atomic(path, t.frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        written.append(path)
    path = out / "index.html"
    write_atomic(path, report_html(r).encode("utf-8"))
    written.append(path)
    return written


__all__ = [
    "Figure",
    "Report",
    "Table",
    "build_report",
    "format_value",
    "report_html",
    "write_report",
]
