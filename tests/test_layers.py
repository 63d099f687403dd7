"""The package imports only downwards (ARCHITECTURE.md): no cycles, no import of a higher layer.

Every ``import`` counts, also those inside functions; imports under
``if TYPE_CHECKING:`` are for type hints only and are left out.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "citykg"

#: The layers, lowest first. A module may import modules of its own layer or lower.
#: (Modules of branches not yet merged are placed too: guard, countries, reconcile,
#: analytics, figures, report, buildcache.)
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"errors", "namespaces", "resources", "files", "terms", "http", "extras",
                    "sparqltext", "guard", "config", "countries"}),
    ("store", {"results", "store", "loader", "turtle", "queries", "void", "limits", "sandbox"}),
    ("features", {"validation", "shacl_sparql", "reasoning", "lint", "ingest", "wikidata",
                  "linking", "reconcile", "enrichment", "publish", "push", "docs", "querydocs",
                  "analytics", "figures", "report"}),
    ("api", {"api", "buildcache"}),
    ("clients", {"commands", "server", "showcase"}),
    ("entry", {"cli", "__main__", "__init__"}),
]


def unit(module: str) -> str:
    """The unit a dotted module belongs to (``citykg.commands.link`` -> ``commands``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(module: str) -> int:
    name = unit(module)
    for i, (_, names) in enumerate(LAYERS):
        if name in names:
            return i
    raise AssertionError(f"{module} is in no layer of ARCHITECTURE.md: add it to LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else [*parts[:-1], "__init__"]
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    """The citykg modules a file imports (resolved), outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py" or package[-1] == "__init__":
        package = package[:-1]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("citykg")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("citykg"):
                continue
            for a in node.names:  # `from . import pages` names a module
                sub = f"{target}.{a.name}"
                found.add(sub if (ROOT / Path(*sub.split("."))).with_suffix(".py").exists()
                          else target)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer() -> None:
    for module in graph():
        layer_of(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
        for a, targets in graph().items()
        for b in targets
        if b != "citykg" and layer_of(b) > layer_of(a)
    ]
    assert upward == []


def test_only_the_entry_points_import_the_package_root() -> None:
    assert [a for a, t in graph().items() if "citykg" in t and unit(a) != "__init__"] == []


def test_no_import_cycles() -> None:
    nodes = set(graph())
    g = {a: {b for b in t if b in nodes} for a, t in graph().items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(g.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_command_modules_import_no_other_command_module() -> None:
    for a, targets in graph().items():
        if a.startswith("citykg.commands.") and a != "citykg.commands.common":
            others = {b for b in targets if b.startswith("citykg.commands")} - {
                "citykg.commands.common"}
            assert not others, f"{a} imports {others}"
            assert "citykg.cli" not in targets


def test_every_command_module_is_registered() -> None:
    from citykg.cli import COMMAND_MODULES

    registered = {m.__name__ for m in COMMAND_MODULES}
    present = {f"citykg.commands.{p.stem}" for p in (PACKAGE / "commands").glob("*.py")
               if p.stem not in ("__init__", "common")}
    assert registered == present


def test_public_names_never_shadow_a_module() -> None:
    """``citykg.X`` of the API must not be a submodule's name: importing the submodule
    would replace the function on the package (``citykg.docs`` was both)."""
    import citykg

    modules = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert not set(citykg.__all__) & modules


def test_the_checker_sees_upward_and_lazy_imports(tmp_path: Path) -> None:
    f = PACKAGE / "store.py"
    assert "citykg.errors" in imports_of(f)
    assert "citykg.terms" in imports_of(f)
    api = imports_of(PACKAGE / "api.py")
    assert "citykg.linking" in api  # imported inside a method
    assert "citykg.docs" in api  # inside a function (the TYPE_CHECKING one is not counted)


if __name__ == "__main__":  # `python tests/test_layers.py`: today's edges, layer by layer
    for name, _ in LAYERS:
        print(f"# {name}")
        for a, targets in sorted(graph().items()):
            if LAYERS[layer_of(a)][0] == name:
                print(f"{a} -> {', '.join(sorted(targets)) or '-'}")
