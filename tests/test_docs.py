"""The README says what the tree holds: every test it names exists where it says, every file and
folder it points at exists, and every figure it quotes is in docs/benchmarks.md."""
import ast
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def _section(text, title):
    start = text.index("## " + title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def _tests_in(path):
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_the_readme_names_exists_where_it_says():
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", README)
    assert len(named) >= 60, named
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / path).is_file() or name not in _tests_in(ROOT / path)]
    assert missing == []


def test_every_path_the_readme_names_exists():
    paths = set(re.findall(r"`((?:tests|plugins|playbooks|roles|bench|scripts|docs|examples|molecule)/[\w./-]+)`",
                           README))
    assert len(paths) >= 20, paths
    assert sorted(p for p in paths if not (ROOT / p.split("::")[0]).exists()) == []


def test_the_layout_names_every_plugin():
    layout = _section(README, "Layout")
    for folder in ("action", "modules", "filter", "module_utils"):
        for path in (ROOT / "plugins" / folder).glob("*.py"):
            assert f"`{path.stem}`" in layout, f"plugins/{folder}/{path.name} is not in the README's layout"


def test_every_figure_the_readme_quotes_is_in_the_benchmarks():
    """A ratio (2.35x), a duration (1.90 s) or a count (293 177) in the README's Benchmarks section
    must appear in docs/benchmarks.md, so the two cannot drift apart."""
    quoted = _section(README, "Benchmarks")
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text()
    figures = re.findall(r"\b\d+(?:\.\d+)?x\b|\b\d+(?:\.\d+)? s\b|\b\d{3} \d{3}\b", quoted)
    assert len(figures) >= 10, figures
    assert sorted({f for f in figures if f not in benchmarks}) == []
