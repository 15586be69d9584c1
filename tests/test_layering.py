"""Layering of the package, read from the source with `ast` (imports inside functions included).

- the core (`metartt_tracker` except `meta`, `evaluation`, `integrations` and `cli`) imports none of
  `metartt_tracker.meta`, `.evaluation`, `.integrations`, `.cli`;
- tracking never imports training: `metartt_tracker.tracker` and the integrations (tracking
  harnesses) do not import `metartt_tracker.meta`;
- nothing but the CLI imports the CLI (`metartt_tracker.cli` and the `commands` modules that add its
  subcommands): the library never imports its own command line;
- no import cycle among the package's modules.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = 'metartt_tracker'
SOURCES = {PACKAGE: ROOT / 'metartt_tracker', f'{PACKAGE}.evaluation': ROOT / 'evaluation',
           f'{PACKAGE}.integrations': ROOT / 'integrations',
           f'{PACKAGE}.weights': ROOT / 'weights'}  # installed names -> folders (setup.py package_dir)
UPPER = tuple(f'{PACKAGE}.{p}' for p in ('meta', 'evaluation', 'integrations', 'cli'))  # never imported by the core


def _is_cli(module: str) -> bool:
    return module == f'{PACKAGE}.cli' or (module.startswith(PACKAGE + '.') and module.endswith('.commands'))


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + '.') for p in prefixes)


def find_modules(sources: dict[str, Path]) -> dict[str, Path]:
    """{module name: file} of every .py file under the source folders; a folder's own folder wins over
    its parent's (evaluation/ is metartt_tracker.evaluation even if it also sat inside metartt_tracker/)."""
    modules: dict[str, Path] = {}
    for prefix, folder in sorted(sources.items(), key=lambda kv: len(kv[0])):
        for path in sorted(folder.rglob('*.py')):
            parts = list(path.relative_to(folder).with_suffix('').parts)
            if parts[-1] == '__init__':
                parts.pop()
            modules['.'.join([prefix, *parts])] = path
    return modules


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ''
    base = module.split('.') if is_package else module.split('.')[:-1]
    base = base[:len(base) - (node.level - 1)]
    return '.'.join(base + ([node.module] if node.module else []))


def imports_of(path: Path, module: str, known: set[str]) -> list[tuple[int, str]]:
    """(line, package module imported) for every import statement in the file, functions included."""
    tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
    is_package = path.name == '__init__.py'
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module, is_package)
            subs = [f'{target}.{a.name}' for a in node.names if f'{target}.{a.name}' in known]
            found += [(node.lineno, s) for s in subs] or [(node.lineno, target)]
    return [(line, name) for line, name in found if _within(name, (PACKAGE,))]


def _owner(name: str, known: set[str]) -> str | None:
    """The package module an imported name lives in (the longest known prefix)."""
    while name and name not in known:
        name = name.rpartition('.')[0]
    return name or None


def _is_core(module: str) -> bool:
    return module == PACKAGE or (module.startswith(PACKAGE + '.') and not _within(module, UPPER))


def _rule_broken(module: str, target: str) -> str | None:
    if _is_core(module) and _within(target, UPPER):
        return 'the core imports meta / evaluation / integrations / cli'
    if _within(module, (f'{PACKAGE}.tracker', f'{PACKAGE}.integrations')) and _within(target, (f'{PACKAGE}.meta',)):
        return 'tracking imports training'
    if _is_cli(target) and not _is_cli(module):
        return 'only the CLI imports the CLI'
    return None


def import_graph(sources: dict[str, Path]) -> tuple[dict[str, Path], dict[str, dict[str, int]]]:
    """Modules and {module: {imported package module: line of the first such import}}."""
    modules = find_modules(sources)
    known = set(modules)
    graph: dict[str, dict[str, int]] = {m: {} for m in modules}
    for module, path in modules.items():
        for line, name in imports_of(path, module, known):
            target = _owner(name, known)
            if target and target != module:
                graph[module].setdefault(target, line)
    return modules, graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (a path back to its start) through every strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = {stack.pop()}
            while v not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(sorted(g)[0], g, graph) for g in groups]


def _cycle_in(start: str, group: set[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """Shortest path start -> ... -> start inside a strongly connected group (breadth first)."""
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in group:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f'{start} is not on a cycle')


def check_layering(sources: dict[str, Path]) -> list[str]:
    """Every broken rule and every import cycle, each naming the file, line and import."""
    modules, graph = import_graph(sources)
    problems = []
    for module, targets in sorted(graph.items()):
        for target, line in sorted(targets.items()):
            why = _rule_broken(module, target)
            if why:
                problems.append(f'{_where(modules, module, line)}: imports {target} ({why})')
    for cycle in find_cycles(graph):
        steps = ', '.join(f'{_where(modules, a, graph[a][b])} imports {b}' for a, b in zip(cycle, cycle[1:]))
        problems.append(f'import cycle {" -> ".join(cycle)}: {steps}')
    return problems


def _where(modules: dict[str, Path], module: str, line: int) -> str:
    path = modules[module]
    try:
        path = path.relative_to(ROOT)
    except ValueError:
        pass
    return f'{path}:{line}'


def test_package_layering():
    problems = check_layering(SOURCES)
    assert not problems, 'layering broken:\n' + '\n'.join(problems)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_checker_catches_forbidden_imports_and_cycles(tmp_path):
    pkg, ev = tmp_path / 'metartt_tracker', tmp_path / 'evaluation'
    _write(pkg, {'__init__.py': '', 'a.py': 'from . import b\n', 'b.py': 'def f():\n    from .c import x\n',
                 'c.py': 'import metartt_tracker.a\n', 'core.py': 'def g():\n    from .evaluation import m\n',
                 'tracker.py': 'from .meta.trainer import T\n', 'meta/__init__.py': '', 'meta/trainer.py': '',
                 'cli.py': 'from .evaluation import ok\n'})
    _write(ev, {'__init__.py': '', 'm.py': 'from ..cli import main\n', 'ok.py': 'from . import m\n',
                'commands.py': 'from .m import x\n', 'uses_commands.py': 'from .commands import y\n'})
    problems = check_layering({'metartt_tracker': pkg, 'metartt_tracker.evaluation': ev})
    text = '\n'.join(problems)
    assert 'metartt_tracker/core.py:2: imports metartt_tracker.evaluation.m (the core imports' in text
    assert 'metartt_tracker/tracker.py:1: imports metartt_tracker.meta.trainer' in text
    assert 'evaluation/m.py:1: imports metartt_tracker.cli (only the CLI imports the CLI)' in text
    cycle = 'import cycle metartt_tracker.a -> metartt_tracker.b -> metartt_tracker.c -> metartt_tracker.a'
    assert any(p.startswith(cycle) and 'metartt_tracker/b.py:2 imports metartt_tracker.c' in p for p in problems)
    assert 'import cycle metartt_tracker.cli -> metartt_tracker.evaluation.ok -> metartt_tracker.evaluation.m' in text
    assert 'evaluation/uses_commands.py:1: imports metartt_tracker.evaluation.commands (only the CLI' in text
    assert len(problems) == 6  # four broken rules and two cycles
