"""Feature commands of the CLI, one module each.

Each module here defines ``register(sub, common)`` that adds its sub-command(s)
to the ``citykg`` parser; :mod:`citykg.cli_extra` finds them, so a feature adds
a command without touching the CLI core.
"""
