"""The import graph of src/unseen: no circle anywhere, and the layers between media/ and scrub/.

Every ``import``/``from ... import`` in every module counts, those inside functions too (a lazy
import closes a circle at run time just the same). All circles found in ``src/unseen`` are
printed (``pytest -s``). Issue 12: image.py, video.py and check.py imported the detector cache back
up from api.py (a circle of five pipeline modules); media/ and scrub/ imported each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted((SRC / "unseen").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ``unseen`` it imports (``from pkg import module`` names the module)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        here = name.split(".") if package else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
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
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read():
    graph = import_graph()
    assert "unseen.scrub.image" in graph["unseen.pipeline.image"]
    assert "unseen.media.containers.jpeg" in graph["unseen.media.jpeg_check"]
    # a lazy import inside a function is an edge too
    assert "unseen.media.pillow_open" in graph["unseen.scrub.image"]


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_through_media_or_scrub():
    found = cycles(import_graph())
    for comp in found:
        print("import circle:", " <-> ".join(comp))
    touching = [c for c in found if any(_in("unseen.media", m) or _in("unseen.scrub", m) for m in c)]
    assert touching == []


def test_no_import_circle_anywhere():
    assert cycles(import_graph()) == []


def test_the_pipelines_take_the_detector_from_detect_not_from_the_public_api():
    graph = import_graph()
    for module in ("unseen.pipeline.image", "unseen.pipeline.video", "unseen.pipeline.check"):
        assert "unseen.pipeline.api" not in graph[module], module
        assert "unseen.detect.cache" in graph[module], module


def test_container_walkers_and_sniffing_sit_below_media_and_scrub():
    # The walkers and the sniffer are the bottom layer: scrub's allow-lists and verifier and
    # media's reader and limits all use them, so they import nothing of either.
    graph = import_graph()
    bottom = [m for m in graph if _in("unseen.media.containers", m)] + ["unseen.media.kinds"]
    for module in bottom:
        above = {d for d in graph[module] if not _in("unseen.media.containers", d) and d != "unseen.errors"}
        assert above == set(), (module, above)


def test_scrub_uses_media_only_to_walk_and_to_read_back():
    # scrub's rules use media's walkers and sniffer; its verifiers re-open a written file through
    # media's readers. Nothing else: scrub never imports the photo reader/writer that applies it.
    allowed = {"unseen.media.kinds", "unseen.media.pillow_open", "unseen.media.video_reader"}
    graph = import_graph()
    for module, deps in graph.items():
        if not _in("unseen.scrub", module):
            continue
        media = {d for d in deps if _in("unseen.media", d) and not _in("unseen.media.containers", d)}
        assert media <= allowed, (module, media - allowed)
