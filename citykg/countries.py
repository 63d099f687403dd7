"""Countries from what people write: names in many forms and languages, ISO codes, QIDs.

A reconciliation table names countries as people write them: "USA", "UK",
"The Netherlands", "México", "deutschland", "DE", "DEU", "Q183". This module
resolves all of those to a Wikidata QID without asking any endpoint, from two
sources:

- the gazetteer's Natural Earth countries (``data/raw/naturalearth/
  naturalearth-countries.csv``): names in 26 languages, long and
  administrative names, ISO 3166-1 alpha-2/alpha-3 codes and the Wikidata ID
  of each of 242 admin-0 units (and their sovereign state);
- pycountry (the ISO 3166-1 names, official and common names, and their
  translations in the iso-codes project's ~160 locales).

Names are compared folded (case, accents, punctuation and a leading "the"
ignored). The only codes added by hand are ISO 3166-1's *exceptionally
reserved* ``UK`` (United Kingdom) and ``EL`` (Greece, the EU's code), which
ISO reserves for exactly these countries.
"""

from __future__ import annotations

import csv
import gettext
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .resources import resource_dir

#: ISO 3166-1 exceptionally reserved alpha-2 codes that name a country (ISO's own list).
RESERVED_ALPHA2 = {"UK": "GB", "EL": "GR"}

_PUNCT = re.compile(r"[\W_]+")
_QID = re.compile(r"^(?:https?://www\.wikidata\.org/(?:entity|wiki)/|wd:)?(Q[1-9][0-9]*)$", re.I)


@lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name.

    >>> fold("  Saint-Étienne ")
    'saint etienne'
    >>> fold("Straße") == fold("STRASSE")
    True
    """
    if text.isascii():
        return " ".join(_PUNCT.sub(" ", text.casefold()).split())
    text = unicodedata.normalize("NFKD", text.casefold())
    # drop accents on Latin letters only: in other scripts combining marks are letters' vowels
    text = "".join(
        ch
        for i, ch in enumerate(text)
        if not (unicodedata.combining(ch) and i and ord(text[i - 1]) < 0x250)
    )
    text = text.replace("ł", "l").replace("ø", "o").replace("đ", "d").replace("ı", "i")
    return " ".join(_PUNCT.sub(" ", text).split())


def _country_key(text: str) -> str:
    key = fold(text)
    return key[4:] if key.startswith("the ") else key


@dataclass(frozen=True)
class Country:
    """A country as Natural Earth's admin-0 unit gives it."""

    qid: str
    name: str
    iso2: str | None
    iso3: str | None
    sovereign_qid: str

    @property
    def qids(self) -> frozenset[str]:
        """The unit's QID and its sovereign state's (``P17`` names the sovereign)."""
        return frozenset({self.qid, self.sovereign_qid})


class CountryIndex:
    """Resolve what a table says about a country to a :class:`Country`."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or resource_dir("data") / "raw" / "naturalearth" / "naturalearth-countries.csv"
        self.by_qid: dict[str, Country] = {}
        self._names: dict[str, set[str]] = {}  # Natural Earth names, ISO English names
        self._translated: dict[str, set[str]] = {}  # pycountry's translations
        self._subdivisions: dict[str, set[str]] = {}  # first-level subdivision -> country
        self._codes: dict[str, str] = {}
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        qid_of_admin = {r["ADMIN"]: r["WIKIDATAID"] for r in rows if r["WIKIDATAID"]}
        for r in rows:
            qid = r["WIKIDATAID"]
            if not qid:
                continue
            iso2 = r["ISO_A2"] if re.fullmatch(r"[A-Z]{2}", r["ISO_A2"]) else None
            iso3 = r["ISO_A3"] if re.fullmatch(r"[A-Z]{3}", r["ISO_A3"]) else None
            country = Country(
                qid, r["NAME_EN"] or r["ADMIN"], iso2, iso3, qid_of_admin.get(r["SOVEREIGNT"], qid)
            )
            self.by_qid[qid] = country
            for k, v in r.items():
                if (k.startswith("NAME") or k == "ADMIN") and v:
                    self._names.setdefault(_country_key(v), set()).add(qid)
            for code in (iso2, iso3):
                if code:
                    self._codes[code] = qid
        self._add_pycountry()

    def _add_pycountry(self) -> None:
        import pycountry

        by_name = {fold(c.name): q for q, c in self.by_qid.items()}
        locales = sorted(p.name for p in Path(pycountry.LOCALES_DIR).iterdir() if p.is_dir())
        translations = []
        for loc in locales:
            try:
                translations.append(
                    gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc])
                )
            except OSError:
                continue
        for c in pycountry.countries:
            qid = self._codes.get(c.alpha_2) or self._codes.get(c.alpha_3)
            forms = [c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)]
            if qid is None:  # Natural Earth writes -99 for a few codes (France, Norway)
                qid = next((by_name[fold(f)] for f in forms if f and fold(f) in by_name), None)
                if qid is None:
                    continue
                self._codes.setdefault(c.alpha_2, qid)
                self._codes.setdefault(c.alpha_3, qid)
                unit = self.by_qid[qid]
                if unit.iso2 is None:
                    self.by_qid[qid] = replace(unit, iso2=c.alpha_2, iso3=c.alpha_3)
            for form in forms:
                if not form:
                    continue
                self._names.setdefault(_country_key(form), set()).add(qid)
                for t in translations:
                    self._translated.setdefault(_country_key(t.gettext(form)), set()).add(qid)
        # first-level subdivisions (England, Scotland, Ontario ...) name their country
        for sub in pycountry.subdivisions:
            if getattr(sub, "parent_code", None) is None:
                qid = self._codes.get(sub.country_code)
                if qid:
                    name = sub.name.split(" [")[0]  # "Wales [Cymru GB-CYM]"
                    self._subdivisions.setdefault(_country_key(name), set()).add(qid)
        for reserved, code in RESERVED_ALPHA2.items():
            if code in self._codes:
                self._codes.setdefault(reserved, self._codes[code])

    def resolve(self, text: str | None) -> Country | None:
        """The country ``text`` names, or ``None`` when it names none (or several).

        >>> idx = default_index()
        >>> [idx.resolve(t).qid for t in ("USA", "UK", "The Netherlands", "México", "de", "Q183")]
        ['Q30', 'Q145', 'Q55', 'Q96', 'Q183', 'Q183']
        >>> idx.resolve("Atlantis") is None
        True
        """
        if text is None or not text.strip():
            return None
        raw = text.strip()
        m = _QID.match(raw)
        if m:
            q = m.group(1).upper()
            return self.by_qid.get(q) or Country(q, q, None, None, q)
        if re.fullmatch(r"[A-Za-z]{2,3}", raw):
            q = self._codes.get(raw.upper())
            if q:
                return self.by_qid[q]
        key = _country_key(re.sub(r"\s*\([^)]*\)\s*$", "", raw))  # "Georgia (country)"
        for names in (self._names, self._translated, self._subdivisions):
            hits = names.get(key, set())
            if len(hits) == 1:
                return self.by_qid[next(iter(hits))]
            if hits:
                return None
        if "," in raw:  # "Lower Saxony, Germany": the last part names the country
            return self.resolve(raw.rsplit(",", 1)[1])
        return None


@lru_cache(maxsize=1)
def default_index() -> CountryIndex:
    """The index over the shipped Natural Earth countries (built once)."""
    return CountryIndex()


__all__ = ["RESERVED_ALPHA2", "Country", "CountryIndex", "default_index", "fold"]
