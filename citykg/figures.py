"""Static pictures of city diplomacy: a map of members, a timeline, a network drawing, hub bars.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot, no global
state); :func:`save` writes it as SVG or PNG, deterministic for the same input:
no date, a fixed creator, a fixed SVG id salt, text kept as text, layouts with a
fixed seed. Maps are drawn on Natural Earth's country outlines shipped with
citykg (``data/raw/naturalearth/naturalearth-countries-50m.geojson``, public
domain), in longitude and latitude: no tile server, no network.
Needs the ``analytics`` extra (matplotlib, networkx).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import SourceNotFoundError
from .extras import require as _require

#: The seed of every random layout (the same as :data:`citykg.analytics.SEED`).
SEED = 42


def require(module: str) -> Any:
    """Import an optional module of the ``analytics`` extra, or raise a one-line error naming it."""
    return _require(module, "analytics", "citykg figures")


if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.figure import Figure

OUTLINES = Path("raw") / "naturalearth" / "naturalearth-countries-50m.geojson"
RC = {
    "svg.hashsalt": "citykg",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
#: Colours (colour-blind safe, Okabe-Ito) for categories; grey for the rest.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OTHER = "#BBBBBB"


@contextmanager
def _style() -> Iterator[None]:
    mpl = require("matplotlib")
    with mpl.rc_context(RC):
        yield


def _figure(width: float, height: float) -> Figure:
    require("matplotlib")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save(fig: Figure, target: Path | io.BytesIO | None = None, fmt: str = "svg") -> bytes:
    """Render a figure as SVG or PNG bytes (and write them to ``target`` if given)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown figure format {fmt!r}: use svg or png")
    meta: dict[str, Any] = (
        {"Date": None, "Creator": "citykg"} if fmt == "svg" else {"Software": "citykg"}
    )
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format=fmt, metadata=meta)
    data = buf.getvalue()
    if isinstance(target, Path):
        from .files import write_atomic

        write_atomic(target, data)
    elif target is not None:
        target.write(data)
    return data


@functools.lru_cache(maxsize=2)
def outlines(
    path: Path | None = None,
) -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Country outlines as ``(ISO alpha-3 or name, rings)``, each ring a tuple of (lon, lat)."""
    if path is None:
        from .resources import resource_dir

        path = resource_dir("data") / OUTLINES
    if not path.is_file():
        raise SourceNotFoundError(f"{path}: the Natural Earth country outlines are missing")
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for feat in doc.get("features", []):
        geom = feat.get("geometry") or {}
        props = feat.get("properties") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        elif geom.get("type") != "MultiPolygon":
            continue
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in poly[0]) for poly in polys if poly)
        out.append((str(props.get("ISO_A3") or props.get("NAME") or ""), rings))
    return tuple(out)


def _extent(lons: Sequence[float], lats: Sequence[float]) -> tuple[float, float, float, float]:
    if not lons:
        return -180.0, 180.0, -60.0, 85.0
    if len(lons) >= 100:  # a few far-off points (overseas territories, errors) do not set the frame
        xs, ys = pd.Series(lons), pd.Series(lats)
        x0, x1 = float(xs.quantile(0.005)), float(xs.quantile(0.995))
        y0, y1 = float(ys.quantile(0.005)), float(ys.quantile(0.995))
    else:
        x0, x1, y0, y1 = min(lons), max(lons), min(lats), max(lats)
    pad_x = max(4.0, (x1 - x0) * 0.08)
    pad_y = max(3.0, (y1 - y0) * 0.08)
    x0, x1 = max(-180.0, x0 - pad_x), min(180.0, x1 + pad_x)
    y0, y1 = max(-90.0, y0 - pad_y), min(90.0, y1 + pad_y)
    # keep a pleasant aspect: at least 1.3 wide for 1 high
    w, h = x1 - x0, y1 - y0
    if w < 1.3 * h:
        extra = (1.3 * h - w) / 2
        x0, x1 = max(-180.0, x0 - extra), min(180.0, x1 + extra)
    return x0, x1, y0, y1


def map_figure(
    points: pd.DataFrame,
    *,
    title: str = "",
    color_by: str | None = None,
    max_categories: int = 7,
) -> Figure:
    """Points (columns ``lon``, ``lat``; optional ``color_by`` column) on country outlines.

    With 100 points or more the frame leaves out the farthest 0.5% on each side.
    """
    from matplotlib.collections import PolyCollection

    pts = points.dropna(subset=["lon", "lat"])
    pts = pts.sort_values(["lat", "lon"], kind="stable")
    lons = [float(v) for v in pts["lon"]]
    lats = [float(v) for v in pts["lat"]]
    x0, x1, y0, y1 = _extent(lons, lats)
    many = len(pts) > 2000  # thousands of dots are drawn as an image inside the SVG
    with _style():
        fig = _figure(8.0, 5.2)
        ax = fig.add_subplot()
        rings = [
            list(r)
            for _, rs in outlines()
            for r in rs
            if max(x for x, _ in r) >= x0 and min(x for x, _ in r) <= x1
            and max(y for _, y in r) >= y0 and min(y for _, y in r) <= y1
        ]  # fmt: skip
        # Outlines are drawn as an image inside the SVG: small files, same look.
        ax.add_collection(
            PolyCollection(
                rings, facecolors="#EEEEEE", edgecolors="#999999", linewidths=0.3, rasterized=True
            )
        )
        if color_by and color_by in pts:
            cats = pts[color_by].astype("string").fillna("unknown")
            order = cats[cats != "unknown"].value_counts().sort_index()
            top = list(order.sort_values(ascending=False, kind="stable").index[:max_categories])
            for i, cat in enumerate(top):
                sel = cats == cat
                ax.scatter(
                    pts.loc[sel, "lon"].astype(float), pts.loc[sel, "lat"].astype(float),
                    s=9, color=PALETTE[i % len(PALETTE)], label=f"{cat} ({int(sel.sum())})",
                    linewidths=0, alpha=0.8, rasterized=many,
                )  # fmt: skip
            rest = ~cats.isin(top)
            if rest.any():
                ax.scatter(
                    pts.loc[rest, "lon"].astype(float), pts.loc[rest, "lat"].astype(float),
                    s=7, color=OTHER, label=f"other or unknown ({int(rest.sum())})", linewidths=0,
                    rasterized=many,
                )  # fmt: skip
            ax.legend(loc="lower left", fontsize=7, frameon=True)
        else:
            ax.scatter(lons, lats, s=9, color=PALETTE[0], linewidths=0, alpha=0.8, rasterized=many)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.set_title(title or f"{len(pts):,} places")
        fig.text(
            1.0,
            0.0,
            "Outlines: Natural Earth (public domain)",
            ha="right",
            va="bottom",
            fontsize=6,
            color="#666666",
        )
    return fig


def timeline_figure(
    per_year: pd.DataFrame,
    *,
    by_country: pd.DataFrame | None = None,
    title: str = "",
    top_countries: int = 7,
) -> Figure:
    """Adhesions per year (``year, joined``): bars, stacked by country when ``by_country`` is given.

    ``by_country`` has columns ``year, country_label, joined``; the
    ``top_countries`` with most adhesions get a colour each, the rest are grey.
    """
    data = per_year.dropna(subset=["year"])
    with _style():
        fig = _figure(8.0, 4.0)
        ax = fig.add_subplot()
        years = [int(y) for y in data["year"]]
        if by_country is not None and not by_country.empty:
            bc = by_country.dropna(subset=["year"]).copy()
            bc["country_label"] = bc["country_label"].astype("string").fillna("unknown")
            totals = bc.groupby("country_label")["joined"].sum()
            totals = totals.sort_index().sort_values(ascending=False, kind="stable")
            top = list(totals.index[:top_countries])
            bc["group"] = [c if c in top else "other" for c in bc["country_label"]]
            table = bc.pivot_table(
                index="year", columns="group", values="joined", aggfunc="sum", fill_value=0
            )
            table = table.reindex(sorted(set(years)), fill_value=0)
            bottom = [0.0] * len(table)
            for i, grp in enumerate([*top, "other"]):
                if grp not in table:
                    continue
                vals = [float(v) for v in table[grp]]
                colour = OTHER if grp == "other" else PALETTE[i % len(PALETTE)]
                ax.bar(
                    [int(y) for y in table.index],
                    vals,
                    bottom=bottom,
                    color=colour,
                    label=grp,
                    width=0.8,
                )
                bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
            ax.legend(fontsize=7, ncols=2, loc="upper left")
        else:
            ax.bar(years, [float(v) for v in data["joined"]], color=PALETTE[0], width=0.8)
        ax.set_xlabel("year joined")
        ax.set_ylabel("members joining")
        if years:
            ax.set_xticks(sorted(set(years))[:: max(1, len(set(years)) // 12)])
        ax.set_title(title or "Adhesions per year")
    return fig


def network_figure(
    g: nx.Graph,
    *,
    title: str = "",
    labels: int = 12,
    max_nodes: int = 400,
    color_by: str = "country_label",
) -> Figure:
    """A drawing of a network (spring layout, fixed seed): size by degree, colour by country.

    Graphs larger than ``max_nodes`` are cut to their biggest hubs with their
    neighbours (the title says so); the ``labels`` nodes of highest degree are named.
    """
    nx = require("networkx")
    cut = g.number_of_nodes() > max_nodes
    h = g.subgraph(sorted(_hub_clusters(g, max_nodes))).copy() if cut else g
    with _style():
        fig = _figure(8.0, 6.5)
        ax = fig.add_subplot()
        ax.set_axis_off()
        if h.number_of_nodes():
            ordered = nx.Graph()
            ordered.add_nodes_from(sorted(h.nodes(data=True)))
            ordered.add_edges_from(
                sorted((min(a, b), max(a, b), d) for a, b, d in h.edges(data=True))
            )
            pos = nx.spring_layout(ordered, seed=SEED, weight="weight")
            cats = pd.Series([str(ordered.nodes[n].get(color_by) or "unknown") for n in ordered])
            order = cats[cats != "unknown"].value_counts().sort_index()
            top = list(order.sort_values(ascending=False, kind="stable").index[:7])
            colours = [PALETTE[top.index(c)] if c in top else OTHER for c in cats]
            deg = [ordered.degree(n, weight="weight") for n in ordered]
            biggest = max(deg) or 1
            sizes = [12 + 220 * (d / biggest) for d in deg]
            segs = [(pos[a], pos[b]) for a, b in ordered.edges()]
            from matplotlib.collections import LineCollection

            ax.add_collection(LineCollection(segs, colors="#999999", linewidths=0.4, alpha=0.6))
            xs = [float(pos[n][0]) for n in ordered]
            ys = [float(pos[n][1]) for n in ordered]
            ax.scatter(xs, ys, s=sizes, c=colours, linewidths=0.3, edgecolors="white", zorder=2)
            by_degree = sorted(ordered, key=lambda n: (-ordered.degree(n, weight="weight"), str(n)))
            named = [n for n in by_degree if ordered.degree(n) > 1][:labels]
            for n in named:
                ax.annotate(
                    str(ordered.nodes[n].get("label", n)), (float(pos[n][0]), float(pos[n][1])),
                    fontsize=7, xytext=(3, 3), textcoords="offset points", zorder=3,
                )  # fmt: skip
            from matplotlib.lines import Line2D

            handles = [
                Line2D([0], [0], marker="o", linestyle="", color=PALETTE[i], label=c)
                for i, c in enumerate(top)
            ]
            if handles:
                ax.legend(handles=handles, fontsize=7, loc="lower left")
            ax.autoscale_view()
        shown = (
            f"{h.number_of_nodes():,} of {g.number_of_nodes():,} nodes"
            if cut
            else f"{g.number_of_nodes():,} nodes"
        )
        ax.set_title(f"{title or 'Network'} ({shown}, {h.number_of_edges():,} ties)")
    return fig


def _hub_clusters(g: nx.Graph, limit: int) -> set[str]:
    """Up to ``limit`` nodes: the biggest hubs, biggest first, each with up to
    ``limit // 8`` of its neighbours (the best connected), so that several hubs show."""
    order = sorted(g.nodes, key=lambda n: (-g.degree(n, weight="weight"), str(n)))
    rank = {n: i for i, n in enumerate(order)}
    per_hub = max(10, limit // 8)
    keep: set[str] = set()
    for hub in order:
        if len(keep) >= limit:
            break
        near = sorted(g.neighbors(hub), key=lambda n: rank[n])[:per_hub]
        group = {hub, *near} - keep
        if len(keep) + len(group) <= limit:
            keep |= group
        else:  # the last hub that fits, with as many of its neighbours as there is room for
            room = limit - len(keep)
            keep |= set(sorted(group, key=lambda n: rank[n])[:room])
    return keep


def hubs_figure(
    hubs: pd.DataFrame, *, measure: str = "weighted_degree", top: int = 15, title: str = ""
) -> Figure:
    """Horizontal bars of the ``top`` nodes of a :meth:`Analytics.hubs` table by ``measure``."""
    df = hubs.sort_values([measure, "label"], ascending=[False, True], kind="stable").head(top)
    df = df.iloc[::-1]
    with _style():
        fig = _figure(7.0, 0.3 * max(len(df), 3) + 1.2)
        ax = fig.add_subplot()
        names = [
            f"{lab} ({c})" if isinstance(c, str) and c else str(lab)
            for lab, c in zip(df["label"], df.get("country_label", [None] * len(df)), strict=True)
        ]
        ax.barh(range(len(df)), [float(v) for v in df[measure]], color=PALETTE[0])
        ax.set_yticks(range(len(df)), names)
        ax.set_xlabel(measure.replace("_", " "))
        ax.set_title(title or f"Top {len(df)} by {measure.replace('_', ' ')}")
    return fig


__all__ = ["hubs_figure", "map_figure", "network_figure", "outlines", "save", "timeline_figure"]
