"""The command line's commands, one module per command group.

Each module parses its arguments, calls the public API (:mod:`citykg.api`)
and prints; it defines ``register(sub, common)``, and :mod:`citykg.cli` lists
it in ``COMMAND_MODULES``. Shared option and output helpers are in
:mod:`citykg.commands.common`; modules never import each other.
"""
