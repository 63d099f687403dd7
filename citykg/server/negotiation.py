"""HTTP content negotiation: ``Accept`` and ``Accept-Language`` with q-values and wildcards.

>>> best_match("text/html;q=0.9, application/json", ["text/html", "application/json"])
'application/json'
>>> best_match("text/*;q=0.5, */*;q=0.1", ["application/json", "text/csv"])
'text/csv'
>>> best_match("image/png", ["text/html"]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()
    order: int = 0

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: -1 not at all, 0-2 more specific."""
        t, _, s = media_type.lower().partition("/")
        if self.type == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def _q(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; a missing or empty header is ``*/*``.

    Ill-formed entries are skipped; ``q`` outside 0-1 counts as 0 (not acceptable).

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.8, */*;q=0.1")]
    [('text', 'turtle', 0.8), ('*', '*', 0.1)]
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    out = []
    for i, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        t, _, s = media.partition("/")
        if not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        params = []
        for p in pieces[1:]:
            k, _, v = p.partition("=")
            k, v = k.strip().lower(), v.strip().strip('"')
            if k == "q":
                q = _q(v)
            elif k:
                params.append((k, v))
        out.append(MediaRange(t, s, q, tuple(params), i))
    return out


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The q-value the client gives ``media_type``: that of the most specific matching range."""
    best_spec, best_q = -1, 0.0
    for r in ranges:
        spec = r.matches(media_type)
        if spec > best_spec:
            best_spec, best_q = spec, r.q
    return best_q if best_spec >= 0 else 0.0


def best_match(header: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None if it accepts none.

    Ties go to the server's order in ``offered``; an explicit type beats a
    wildcard only through its q-value, as RFC 9110 says.
    """
    ranges = parse_accept(header)
    best: str | None = None
    best_q = 0.0
    for media in offered:
        q = quality(ranges, media)
        if q > best_q:
            best, best_q = media, q
    return best


def prefers_html(header: str | None, others: Sequence[str]) -> bool:
    """Whether ``text/html`` is at least as acceptable as every type in ``others``.

    A missing header or ``*/*`` picks HTML: a person with a browser or curl.
    """
    ranges = parse_accept(header)
    html = quality(ranges, "text/html")
    return html > 0 and all(html >= quality(ranges, o) for o in others)


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an ``Accept-Language`` header, preferred first (``*`` and q=0 dropped).

    >>> parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5")
    ['fr-ch', 'fr', 'en']
    """
    if not header:
        return []
    items: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0].lower()
        if not tag or tag == "*":
            continue
        q = 1.0
        for p in pieces[1:]:
            k, _, v = p.partition("=")
            if k.strip().lower() == "q":
                q = _q(v.strip())
        if q > 0:
            items.append((-q, i, tag))
    return [tag for _, _, tag in sorted(items)]


def pick_language(
    available: Sequence[str], wanted: Sequence[str], fallback: Sequence[str] = ("en", "")
) -> str | None:
    """The available language tag that best fits the reader's preferences.

    A wanted ``fr`` takes ``fr-ca`` if that is all there is; ``fr-ca`` takes ``fr``.

    >>> pick_language(["en", "fr", "es"], ["es-mx", "en"])
    'es'
    >>> pick_language(["en", "de"], ["ja"])
    'en'
    """
    avail = {a.lower(): a for a in available}
    for w in wanted:
        if w in avail:
            return avail[w]
        primary = w.split("-")[0]
        if primary in avail:
            return avail[primary]
        for a_low, a in avail.items():
            if a_low.split("-")[0] == primary:
                return a
    for f in fallback:
        if f in avail:
            return avail[f]
    return available[0] if available else None
