"""The layout of `portal/`: no two modules import each other, not even through others or inside a function.

A cycle makes the order of imports matter and hides which module a rule belongs to; the graph is read from the source,
so an import written inside a function to dodge the cycle at import time counts as well."""
import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """{module: the portal modules it imports}, every import statement counted wherever it stands."""
    files = {_module_name(p): p for p in PORTAL.rglob("*.py")}
    graph = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    graph = import_graph()
    assert "portal.extensions" in graph["portal.auth.models"]
    assert "portal.auth.views" in graph["portal"]  # inside create_app


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_among_portal_modules():
    assert cycles(import_graph()) == []


def test_only_the_app_factory_imports_the_navigation():
    """The menu reads every domain's count query: a domain importing it back would close a circle."""
    assert {m for m, targets in import_graph().items() if "portal.navigation" in targets} == {"portal"}


def _ends_a_transaction(node) -> bool:
    """A call that commits or rolls back, or opens a transaction block of its own: `db.session.commit()`,
    `session.rollback()`, `db.session.begin()`, `db.engine.begin()`, `connection.commit()` …"""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback", "begin", "begin_nested"))


def test_changes_end_through_saving_or_the_seat_service():
    """One way to end a transaction: `saving()` (portal/core/errors.py) everywhere, `holding()` for seats. The seat
    service also ends its pre-lock reads; the core plumbing (error pages, the database, submit-once) ends its own."""
    root = Path(__file__).resolve().parent.parent
    allowed = ("portal/core/", "portal/registrations/services.py")
    scanned, found = 0, []
    for path in sorted((root / "portal").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(allowed):
            continue
        scanned += 1
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{rel}:{n.lineno}" for n in ast.walk(tree) if _ends_a_transaction(n)]
    assert scanned > 100 and found == []
