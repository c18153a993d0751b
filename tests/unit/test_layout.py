"""The package layout holds: dependencies run one way, no import cycles, Streamlit only in the UI
package, every runtime import declared, small folders, one authority-filter idiom, and every
registered mart has its DDL and its SQL file.

`lint-imports` checks the layer contracts in pyproject.toml, `deptry` the declared dependencies;
grimp (import-linter's graph) finds cycles.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from etl import sqlfile
from etl.marts import registry

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("etl", "insight")
STREAMLIT_ALLOWED = ("app_pages/", "dashboard.py", "insight/ui/")


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else (shutil.which(name) or pytest.fail(f"{name} is not installed"))


def _python_files():
    for folder in (*PACKAGES, "app_pages"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "dashboard.py"


def test__layers__the_import_contracts_in_pyproject_hold():
    run = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test__dependencies__every_runtime_import_is_declared_in_pyproject():
    run = subprocess.run([_tool("deptry"), "."], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test__imports__no_cycles_between_modules():
    assert _cycles(grimp.build_graph(*PACKAGES)) == []


def test__cycles__the_finder_sees_a_planted_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test__streamlit__imported_only_by_pages_the_frame_and_the_ui_package():
    offenders = [str(p.relative_to(ROOT)) for p in _python_files()
                 if "streamlit" in _imports(p) and not str(p.relative_to(ROOT)).startswith(STREAMLIT_ALLOWED)]
    assert offenders == []


@pytest.mark.parametrize("folder", sorted({p.parent for p in _python_files()}), ids=lambda p: str(p.name))
def test__folders__hold_at_most_twenty_modules(folder):
    assert len([p for p in folder.glob("*.py") if p.name != "__init__.py"]) <= 20


def test__fragments__every_one_checks_the_sign_in_on_its_own_reruns():
    """A fragment's rerun runs the fragment alone, not the dashboard's sign-in gate: every fragment
    of the pages is `ui.fragment`, which checks the sign-in first (a bare `st.fragment` kept the
    map's panel answering after a sign-out in another tab)."""
    bare = [f"{path.relative_to(ROOT)}:{n}" for path in _python_files()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"\bst\.fragment\b", line) and "return st.fragment(" not in line
            and not line.lstrip().startswith(("#", '"', "`"))]
    assert bare == []


def test__queries__one_authority_filter_idiom():
    other = re.compile(r"list_contains\(\$\w*codes|unnest\(\$\w*codes|in \(\s*select unnest")
    offenders = [f"{p.name}: {m.group(0)}" for p in sorted((ROOT / "insight").rglob("*.py"))
                 for m in other.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test__registry__every_mart_has_ddl_and_every_model_a_source():
    ddl = sqlfile.read("warehouse")
    for model in registry.MODELS:
        if model.kind == "mart":
            assert re.search(rf"create table {model.name} \(", ddl), f"{model.name} has no DDL in warehouse.sql"
        if model.python is None:
            assert sqlfile.read(model.name).strip(), model.name


def test__registry__every_mart_sql_file_is_registered():
    files = {p.stem for p in (ROOT / "etl" / "sql" / "marts").glob("*.sql")}
    files |= {p.stem for p in (ROOT / "etl" / "sql" / "intermediate").glob("int_*.sql")}
    assert files - set(registry.BY_NAME) <= {"int_incident_candidates"}  # run by etl/transform/dedupe.py


def test__registry__live_sql_inlines_what_a_mart_reads():
    sql = registry.live_sql("mart_statutory_returns")
    assert sql.startswith("with mart_review_turnaround as (") and "mart_statutory_exceptions as (" in sql
    with pytest.raises(ValueError, match="not evaluated live"):
        registry.live_sql("mart_hotspot_cells")
    with pytest.raises(ValueError, match="unknown mart"):
        registry.model("mart_nothing")
