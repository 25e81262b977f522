"""No import cycle between the project's modules.

The graph is grimp's (the library import-linter checks its contracts on): every import statement in
the packages below, at any depth in a module (inside functions and under `TYPE_CHECKING` too), one
node per module, a package's `__init__` being a module of its own. A cycle is a strongly connected
component of more than one module; the failure message prints each as a chain of imports with the
lines that make it. The layering rules themselves are import-linter's contracts (`[tool.importlinter]`
in pyproject.toml, run by `make lint`).
"""

from __future__ import annotations

from collections.abc import Iterable

import grimp

PACKAGES = ("autopilot", "bench", "scripts", "infra", "registry_autopilot")


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph.find_modules_directly_imported_by(root)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.find_modules_directly_imported_by(child))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def describe(graph: grimp.ImportGraph, component: Iterable[str]) -> str:
    """One cycle through the component's first module, as `a (line) -> b (line) -> a`."""
    members = sorted(component)
    start = members[0]
    back = min(
        (
            chain
            for importer in graph.find_modules_that_directly_import(start)
            if importer in members
            for chain in [graph.find_shortest_chain(importer=start, imported=importer)]
            if chain
        ),
        key=len,
    )
    links = []
    for importer, imported in zip(back, (*back[1:], start), strict=True):
        lines = sorted(
            {d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)}
        )
        links.append(f"{importer} (line {', '.join(map(str, lines))})")
    return " -> ".join([*links, start]) + f"   [{len(members)} modules: {', '.join(members)}]"


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    cycles = [describe(graph, component) for component in strongly_connected(graph)]

    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_finder_finds_a_cycle_and_names_its_imports() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=3, line_contents="import pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a", line_number=7, line_contents="import pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=1, line_contents="import pkg.a")

    (component,) = strongly_connected(graph)

    assert component == ["pkg.a", "pkg.b"]
    assert describe(graph, component).startswith("pkg.a (line 3) -> pkg.b (line 7) -> pkg.a")
