"""Rebuild the generated data layers, in dependency order, and their ingest reports.

    python scripts/rebuild_layers.py                 # every layer
    python scripts/rebuild_layers.py covenant netzero

Each layer is ``data/<layer>.ttl`` made by ``citykg ingest`` from
``data/mappings/<layer>/<layer>.csv-metadata.json``; a layer with notes also
gets ``data/mappings/<layer>/REPORT.md``. The tests rebuild both byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

from citykg.ingest import ingest, notes_report
from citykg.turtle import write_atomic

ROOT = Path(__file__).resolve().parents[1]
#: Layers in the order their mappings require one another.
ORDER = ("gazetteer", "twinning", "covenant", "netzero")
#: Layers whose notes are kept as a report file.
REPORTED = ("covenant", "netzero")


def main(argv: list[str]) -> int:
    layers = argv or list(ORDER)
    for layer in layers:
        if layer not in ORDER:
            print(f"unknown layer {layer!r}; known: {', '.join(ORDER)}", file=sys.stderr)
            return 2
    for layer in (name for name in ORDER if name in layers):
        mapping = ROOT / "data" / "mappings" / layer / f"{layer}.csv-metadata.json"
        result = ingest(None, mapping, ROOT / "data" / f"{layer}.ttl")
        print(f"{layer}: {result.triples:,} triples in {result.seconds:.1f} s")
        if layer in REPORTED:
            write_atomic(
                ROOT / "data" / "mappings" / layer / "REPORT.md", notes_report(layer, result.notes)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
