"""No import cycle inside src/unseen: every module's imports (module level and inside functions),
read with ``ast``, form a graph without strongly connected components of more than one module.

Issue 12: image.py, video.py and check.py imported the detector cache back up from api.py, a
circle of five pipeline modules. The media <-> scrub circle is issue 12 item 5's (its own test).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
# media/image_io <-> scrub/image: removed by the container-walker change (issue 12 item 5).
ELSEWHERE = {frozenset({"unseen.media.image_io", "unseen.scrub.image"})}


def _modules() -> dict[str, Path]:
    out = {}
    for p in (SRC / "unseen").rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        package = m.split(".") if path.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                name = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{name}.{a.name}" if f"{name}.{a.name}" in mods else name for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != m:
                    graph[m].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_pipeline_imports():
    graph = _graph(_modules())
    assert "unseen.detect.cache" in graph["unseen.pipeline.video"]
    assert "unseen.geometry.rotation" in graph["unseen.pipeline.check"]  # a function-level import


def test_no_import_cycle_inside_unseen():
    cycles = [sorted(c) for c in _cycles(_graph(_modules())) if c not in ELSEWHERE]
    assert cycles == []
