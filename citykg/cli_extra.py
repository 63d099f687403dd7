"""Commands that later features add to the command line (ingest, lint, docs...)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the feature commands to the sub-command parser."""
    return None
