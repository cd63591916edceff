"""The layers of house-style.md import one way, and no module imports itself round a circle.

Every `import` statement counts, those inside functions too: an import moved into a
function to dodge a circle is still a circle. A new module must be given a layer here.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clinic", "education", "consultations", "twofactor")

# Lowest first. A module may import from its own layer (without a circle) or from a lower one.
LAYERS = [
    (
        "clinic: settings, formatting, logging, middleware",
        {
            "clinic",
            "clinic.settings",
            "clinic.formatting",
            "clinic.logging",
            "clinic.reporting",
            "clinic.middleware",
            "clinic.context_processors",
            "clinic.seo",
        },
    ),
    ("education models", {"education", "education.rendering", "education.models", "education.signals"}),
    ("consultations models and permissions", {"consultations", "consultations.models", "consultations.permissions"}),
    (
        "pure helpers",
        {
            "consultations.availability",
            "consultations.links",
            "consultations.ics",
            "consultations.fhir",
            "consultations.photos",
            "consultations.ratelimit",
        },
    ),
    ("mail transport", {"consultations.mail"}),
    ("notices", {"consultations.notices"}),
    (
        "use cases and their forms",
        {
            "consultations.intake",
            "consultations.booking",
            "consultations.workflow",
            "consultations.reminders",
            "consultations.forms",
        },
    ),
    (
        "views, admin, queries, commands, template tags, URLs",
        {
            "clinic.urls",
            "clinic.views",
            "clinic.wsgi",
            "clinic.asgi",
            "education.apps",
            "education.admin",
            "education.views",
            "education.urls",
            "education.sitemaps",
            "education.management",
            "education.templatetags",
            "education.migrations",
            "consultations.apps",
            # Providers are people: the Provider group's membership keeps a Provider profile (apps.ready).
            "consultations.signals",
            "consultations.views",
            "consultations.formpage",
            "consultations.selfservice",
            "consultations.staff_views",
            "consultations.calfeed",
            "consultations.access",
            "consultations.admin",
            "consultations.queries",
            "consultations.urls",
            "consultations.tasks",
            "consultations.management",
            "consultations.templatetags",
            "consultations.migrations",
            # The staff second factor: sign-in pages and admin, over django-otp; nothing imports it
            # but the URLs and the admin site.
            "twofactor",
        },
    ),
]


def layer_of(module):
    """Index in LAYERS of the longest listed prefix of the dotted module name."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        for index, (_name, modules) in enumerate(LAYERS):
            if prefix in modules:
                return index
    return None


def module_name(path):
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def imports_of(module, path, known):
    """The project modules this file imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from . import booking` imports a module; `from .models import X` imports .models.
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                # The deepest project module named (a.b.c for `import a.b.c.attr`).
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                if target in known and target != module:
                    found.add(target)
    return found


def import_graph():
    modules = project_modules()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def find_cycle(graph):
    """One import circle as a list of modules (first == last), or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        trail.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state and (cycle := visit(target, trail)):
                return cycle
        trail.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node, [])):
            return cycle
    return None


def upward_imports(graph):
    return sorted(
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in graph.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )


def test_every_module_has_a_layer():
    assert [module for module in project_modules() if layer_of(module) is None] == []


def test_no_import_circle():
    assert find_cycle(import_graph()) is None


def test_no_upward_import_between_layers():
    assert upward_imports(import_graph()) == []


def test_no_module_imports_the_admin_outside_the_admin_layer():
    # admin.py defines admin classes only: what others need lives in queries.py or clinic.formatting.
    graph = import_graph()
    assert sorted(module for module, targets in graph.items() if "consultations.admin" in targets) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set()}, None),
    ],
)
def test_find_cycle_finds_a_circle(graph, expected):
    assert find_cycle(graph) == expected


def test_imports_inside_functions_count(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from consultations import workflow\n")
    assert imports_of("consultations.models", path, {"consultations.workflow", "consultations"}) == {
        "consultations.workflow"
    }
