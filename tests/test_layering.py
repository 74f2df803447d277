"""Layering (DESIGN.md §3): no module imports from a higher layer, at module or function level."""

from __future__ import annotations

import ast
from pathlib import Path

import lossproj

PACKAGE = Path(lossproj.__file__).resolve().parent

#: Layers, lowest first: a module may import from its own layer and those below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("lossproj", "lossproj.conventions", "lossproj.variables", "lossproj.errors", "lossproj.paths",
     "lossproj.regions"),
    ("lossproj.config",),
    ("lossproj.data", "lossproj.plausibility"),
    ("lossproj.rates",),
    # the readers of raw source tables reuse the rates' graduation and life tables
    ("lossproj.scenarios", "lossproj.sources"),
    ("lossproj.engines",),
    ("lossproj.aggregate", "lossproj.summary"),
    ("lossproj.outputs", "lossproj.plotting", "lossproj.plot_data", "lossproj.validate",
     "lossproj.planner", "lossproj.planner_plots", "lossproj.report", "lossproj.workbook",
     "lossproj.calibration"),
    ("lossproj.api",),
    ("lossproj.cli", "lossproj.cli_data", "lossproj.__main__"),
)


def layer_of(module: str) -> int | None:
    """Index of the layer of ``module`` (the longest matching prefix), or None."""
    best, rank = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, rank = len(name), i
    return rank


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) of every lossproj import in ``tree``, function-level ones included."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from lossproj import data``: the submodule when it is one
            for a in node.names:
                sub = f"{target}.{a.name}"
                is_sub = (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*sub.split("."))).is_dir()
                out.append((node.lineno, sub if is_sub else target))
    return [(line, m) for line, m in out if m == "lossproj" or m.startswith("lossproj.")]


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    missing = [module_name(p) for p in modules() if layer_of(module_name(p)) is None]
    assert not missing, f"modules without a layer in tests/test_layering.py LAYERS: {missing}"


def test_no_import_from_a_higher_layer():
    violations = []
    for path in modules():
        name = module_name(path)
        rank = layer_of(name)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target in imported(tree, name, path.name == "__init__.py"):
            other = layer_of(target)
            if rank is not None and other is not None and other > rank:
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name} (layer {rank}) "
                                  f"imports {target} (layer {other})")
    assert not violations, "imports against the layering (DESIGN.md §3):\n" + "\n".join(violations)


#: Beside the model chain: only the data build (``lossproj data build``, ``api.build_data``) may
#: import the source readers.
SOURCES_USERS = ("lossproj.sources", "lossproj.api", "lossproj.cli", "lossproj.cli_data")


def test_only_the_data_build_imports_the_source_readers():
    users = []
    for path in modules():
        name = module_name(path)
        if layer_of(name) is None or any(name == u or name.startswith(u + ".") for u in SOURCES_USERS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        users += [f"{name}:{line} imports {target}" for line, target in
                  imported(tree, name, path.name == "__init__.py")
                  if target == "lossproj.sources" or target.startswith("lossproj.sources.")]
    assert not users, "the model imports the source readers:\n" + "\n".join(users)


def test_the_walk_sees_function_level_imports():
    tree = ast.parse("def f():\n    from lossproj import api\n")
    assert imported(tree, "lossproj.rates.assemble", False) == [(2, "lossproj.api")]
