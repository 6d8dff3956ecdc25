"""The rooms keep their order: no import circles, no module too long to read.

Imports are read from the source (AST), at module level and inside functions
alike: a function-level import is a dependency too, only a later one.
Migrations are left out (Django imports them by itself, and they may name any
module of their app).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("home", "docs_library", "search", "cms")
MAX_LINES = 700


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


def imported_modules(name: str, path: Path, modules) -> set[str]:
    """The project's modules that ``name`` imports, anywhere in its body."""

    def known(dotted: str):
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(known(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                target = f"{source}.{alias.name}"
                found.add(target if target in modules else known(source))
    found.discard(None)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def circles(graph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_between_the_projects_modules():
    graph = import_graph()
    found = circles(graph)
    described = [
        f"{name} imports {sorted(graph[name] & set(group))}" for group in found for name in group
    ]
    assert not found, "Import circles:\n" + "\n".join(described)


def test_apps_depend_one_way():
    """search → docs_library → home; cms may import everything."""
    graph = import_graph()
    allowed = {"home": {"home"}, "docs_library": {"home", "docs_library"}}
    wrong = [
        f"{name} imports {target}"
        for name, targets in graph.items()
        for target in targets
        if name.split(".")[0] in allowed and target.split(".")[0] not in allowed[name.split(".")[0]]
    ]
    assert not wrong, wrong


# The rooms of docs_library from the bottom up (docs/architecture.md): each imports
# only rooms before it. Modules outside them (apps, signal handlers, feeds, demo,
# template tags, commands, wagtail_hooks) stand above all and may use any.
ROOMS = (
    "models",
    "lifecycle.states",
    "lifecycle.workflow",
    "access_tokens",
    "access",
    "files",
    "lifecycle.archive",
    "lifecycle.retention",
    "circulation",
    "admin",
)
# Wagtail declares panels on the page class; an upload is checked by a pure function.
MODEL_EXCEPTIONS = {
    ("docs_library.models.records", "docs_library.admin.panels"),
    ("docs_library.models.files", "docs_library.files.validation"),
}


def room_of(name: str) -> str | None:
    parts = name.split(".")[1:]
    for room in ROOMS:
        if parts[: len(room.split("."))] == room.split("."):
            return room
    return None


def test_the_rooms_of_docs_library_import_downwards_only():
    wrong = []
    for name, targets in import_graph().items():
        here = room_of(name) if name.startswith("docs_library.") else None
        if here is None:
            continue
        for target in targets:
            there = room_of(target) if target.startswith("docs_library.") else None
            if there is None or there == here or (name, target) in MODEL_EXCEPTIONS:
                continue
            if ROOMS.index(there) > ROOMS.index(here):
                wrong.append(f"{name} ({here}) imports {target} ({there})")
    assert not wrong, wrong


def test_no_module_is_longer_than_it_is_readable():
    long = {
        name: lines
        for name, path in project_modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long
