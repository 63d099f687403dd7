"""Commands that feature modules add to the command line (ingest, lint, docs...).

Every module in :mod:`citykg.commands` with a ``register(sub, common)`` function
contributes its sub-commands, in module-name order.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Any

from . import commands


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add every feature module's commands to the sub-command parser."""
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        reg = getattr(module, "register", None)
        if callable(reg):
            reg(sub, common)
