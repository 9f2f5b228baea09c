"""The layers of docs/architecture.md, enforced: who may import whom, no cycles, small modules,
every package installed under the policytrack namespace."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"pipeline": "policytrack.pipeline", "crawler": "policytrack.crawler",
           "sample": "policytrack.sample"}  # fmt: skip
MAX_LINES = 600

# Layer of a module: the first matching prefix. Lower layers never import higher ones.
LAYERS = {
    "policytrack.pipeline.core": "core",
    "policytrack.pipeline.text": "text",
    "policytrack.pipeline.store": "store",
    "policytrack.pipeline.analysis": "analysis",
    "policytrack.pipeline.report": "report",
    "policytrack.crawler": "crawler",
    "policytrack.sample": "sample",
    "policytrack.pipeline.jobs": "jobs",
    "policytrack.pipeline.cli": "cli",
    "policytrack.pipeline": "core",  # the package itself (data files, __init__)
}
ALLOWED = {
    "core": set(),
    "text": {"core"},
    "store": {"core", "text"},
    "analysis": {"core", "text", "store"},
    "report": {"core", "text", "store", "analysis"},
    "crawler": {"core", "text", "store"},
    "sample": {"core", "text", "store"},
    "jobs": {"core", "text", "store", "analysis", "report", "crawler", "sample"},
    "cli": {"core", "text", "store", "analysis", "report", "crawler", "sample", "jobs"},
}


def layer(module: str) -> str | None:
    for prefix, name in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def module_files() -> Iterator[tuple[str, Path]]:
    for folder, package in FOLDERS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            yield ".".join([package, *parts]), path


def imports(source: str, module: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of the source."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the module's package
                pkg = module.split(".")[: -node.level] if node.level else []
                base = ".".join([*pkg, base]) if base else ".".join(pkg)
            names = [f"{base}.{a.name}" for a in node.names]
            # `from pkg import module` imports the module; `from module import name` the module.
            out += [(n, node.lineno, id(node) in top) for n in names]
    return out


def violations(module: str, source: str) -> list[str]:
    """Imports of `source` (as `module`) that break the layer rules, as readable lines."""
    mine = layer(module)
    found = []
    for target, line, _ in imports(source, module):
        head = target.split(".")[0]
        if head in ("pipeline", "crawler", "sample"):
            found.append(f"{module}:{line} imports bare {target!r} (use policytrack.{target})")
            continue
        theirs = layer(target)
        if theirs is None or theirs == mine or mine is None:
            continue
        if theirs not in ALLOWED[mine]:
            found.append(f"{module}:{line} ({mine}) imports {target} ({theirs})")
    return found


def test_the_checker_catches_a_lower_layer_importing_a_higher_one():
    """A deliberate violation, so the rule below is known to bite."""
    bad = "from policytrack.pipeline.report.plots import heatmap\n"
    assert violations("policytrack.pipeline.text.parse", bad) == [
        "policytrack.pipeline.text.parse:1 (text) imports "
        "policytrack.pipeline.report.plots.heatmap (report)"
    ]
    lazy = "def f():\n    from policytrack.pipeline.jobs import run\n"
    assert violations("policytrack.crawler.runner", lazy) == [
        "policytrack.crawler.runner:2 (crawler) imports policytrack.pipeline.jobs.run (jobs)"
    ]
    assert violations("policytrack.pipeline.store.tables", "import pipeline.errors\n") == [
        "policytrack.pipeline.store.tables:1 imports bare 'pipeline.errors' "
        "(use policytrack.pipeline.errors)"
    ]
    assert violations("policytrack.pipeline.cli.app", bad) == []


def test_no_module_imports_a_higher_layer():
    found = []
    for module, path in module_files():
        found += violations(module, path.read_text(encoding="utf-8"))
    assert found == []


def _graph() -> dict[str, set[str]]:
    modules = dict(module_files())
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for target, _, top in imports(path.read_text(encoding="utf-8"), module):
            if not top:
                continue  # a lazy import runs after both modules are loaded
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(_graph()) == []


def test_no_module_over_600_lines():
    long = {
        str(path.relative_to(REPO)): n
        for _, path in module_files()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_is_installed_under_policytrack():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {m for m, p in module_files() if p.name == "__init__.py"}
    assert on_disk == listed
    assert config["tool"]["setuptools"]["package-dir"] == {
        v: k for k, v in FOLDERS.items()
    } and all(name.startswith("policytrack.") for name in listed)


@pytest.mark.parametrize("name", ["pipeline", "crawler", "sample"])
def test_no_bare_top_level_package_is_importable_when_installed(name, tmp_path, monkeypatch):
    """Outside the checkout only policytrack.* exists (no generic names in site-packages)."""
    import importlib.util
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p or ".").resolve() != REPO])
    assert importlib.util.find_spec(name) is None
    assert importlib.util.find_spec(f"policytrack.{name}") is not None
