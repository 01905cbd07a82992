"""The house's rooms hold: imports point down (api -> ingest -> kb, and inside kb from the facades down to the
ground), no module imports itself back through others, and `import kb.contract` stays light.

Every import is read from the source with `ast`: at module level, inside functions and under
TYPE_CHECKING alike, since a circle or an upward arrow is one whether or not it runs at start-up.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# kb's rooms from the bottom up: a module may import its own room and the rooms below it, never above.
RANKS = {
    "ground": 0,  # settings, contract, models, errors, boosted_trees
    "text": 1,
    "embedding": 1,
    "audio": 1,  # the speech model's assembly and transcription (settings and errors only)
    "reader": 2,  # built from the embedding room's weights and graph builder
    "store": 2,
    "bm25": 3,
    "search": 4,
    "people": 4,  # who is who: read beside search, from the store's records and the keyword index's rows
    "answers": 5,
    "top": 6,  # the facades and what sits beside them: knowledge_base, remote, protocol, opening, doctor, evaluation
}
GROUND = {"kb.settings", "kb.contract", "kb.models", "kb.errors", "kb.boosted_trees"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The project modules a file imports (`from kb.x import y` names kb.x, or kb.x.y when that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("kb", "ingest", "api")}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for top in ("kb", "ingest", "api") for p in (ROOT / top).rglob("*.py")}
    return {name: {i for i in _imports(path) if i in files and i != name} for name, path in files.items()}


def _room(module: str) -> str:
    if module in GROUND:
        return "ground"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or module in {f"kb.{room}" for room in RANKS} else "top"


def test_every_kb_module_has_a_room() -> None:
    rooms = {m: _room(m) for m in _graph() if m.startswith("kb.")}
    assert set(rooms.values()) <= set(RANKS), {m: r for m, r in rooms.items() if r not in RANKS}


def _upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} ({_room(module)}) imports {target} ({_room(target)})"
        for module, targets in graph.items()
        if module.startswith("kb.")
        for target in targets
        if target.startswith("kb.") and RANKS[_room(target)] > RANKS[_room(module)]
    )


def _circle(graph: dict[str, set[str]]) -> list[str]:
    """A circle of imports found by depth-first search (a back edge), or []. The package `kb` itself is left
    out: it only names what its modules define, loading each on first use."""
    graph = {m: {t for t in targets if t != "kb"} for m, targets in graph.items() if m != "kb"}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (circle := visit(target)):
                return circle
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (circle := visit(module)):
            return circle
    return []


def test_no_upward_arrow_inside_kb() -> None:
    assert _upward_arrows(_graph()) == []


def test_no_circle_of_imports() -> None:
    assert _circle(_graph()) == []


def test_layers_point_down_api_ingest_kb() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if (module.startswith("kb") and target.split(".")[0] in ("ingest", "api")) or (module.startswith("ingest") and target.startswith("api"))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_what_they_look_for() -> None:
    """Planted into today's graph: the doctor importing the facade back (the old circle) and records importing
    search's Candidate (the old upward arrow) are both caught."""
    graph = _graph()
    graph["kb.doctor"] = graph["kb.doctor"] | {"kb.knowledge_base"}
    graph["kb.store.records"] = graph["kb.store.records"] | {"kb.search.fusion"}
    assert _upward_arrows(graph) == ["kb.store.records (store) imports kb.search.fusion (search)"]
    assert set(_circle(graph)) == {"kb.doctor", "kb.knowledge_base"}


def test_public_names_load_on_first_use() -> None:
    """`import kb.contract` (what `kb --help` needs) loads no store, search, model or numpy; the public names still work."""
    code = (
        "import sys, kb.contract\n"
        "loaded = sorted(m for m in sys.modules if m == 'kb' or m.startswith('kb.'))\n"
        "assert loaded == ['kb', 'kb.contract'], loaded\n"
        "assert 'numpy' not in sys.modules and 'chromadb' not in sys.modules\n"
        "import kb\n"
        "assert sorted(kb.__all__) == sorted(kb._PUBLIC), 'kb.__all__ and kb._PUBLIC list the same names'\n"
        "from kb import KnowledgeBase, RemoteKnowledgeBase, open_knowledge_base, SearchFilters, StoreBusy, KnowledgeBaseLike\n"
        "assert KnowledgeBase.__module__ == 'kb.knowledge_base' and StoreBusy.__module__ == 'kb.errors'\n"
        "try:\n"
        "    kb.no_such_name\n"
        "except AttributeError as error:\n"
        "    assert 'no_such_name' in str(error)\n"
        "else:\n"
        "    raise AssertionError('an unknown name must raise AttributeError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
