"""The layers of house-style.md import one way, and no module imports itself round a circle.

Every `import` statement counts, those inside functions too: an import moved into a
function to dodge a circle is still a circle. A new module must be given a layer here: a name
is one module, `name.*` a whole package (its modules and subpackages); a module no row names
fails test_every_module_has_a_layer.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clinic", "education", "consultations", "twofactor")

# Lowest first. A module may import from its own layer (without a circle) or from a lower one.
LAYERS = [
    (
        # clinic's base modules: the lowest layer, which education and consultations import.
        "clinic base: settings, conf, formatting, text, forms, logging, middleware",
        {
            "clinic",
            "clinic.settings",
            "clinic.formatting",
            "clinic.logging",
            "clinic.reporting",
            "clinic.middleware",
            "clinic.context_processors",
            "clinic.seo",
            "clinic.conf",
            "clinic.forms",
            "clinic.absolute",
            "clinic.clientip",
            "clinic.lockout",
            "clinic.i18n",
            "clinic.text",
            "clinic.formats.*",
            "clinic.backup",
            "clinic.metrics",
            "clinic.pagecache",
            # The admin's lookup guard: the admin site puts it on every ModelAdmin (issue 23).
            "clinic.adminlookups",
        },
    ),
    (
        "education models",
        {
            "education",
            "education.rendering",
            "education.models",
            "education.signals",
            "education.translation",
            "education.content",
        },
    ),
    (
        "consultations models and permissions",
        {"consultations", "consultations.models", "consultations.permissions", "consultations.translation"},
    ),
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
            # The waitlist's offers of freed times (issue 27): workflow calls it, it never calls workflow.
            "consultations.waitlist",
            "consultations.reminders",
            "consultations.recalls",
            "consultations.aftercare",
            "consultations.forms.*",
        },
    ),
    (
        "views, admin, queries, commands, template tags, URLs",
        {
            # clinic's project-level parts, above the apps: they read education and consultations.
            "clinic.urls",
            "clinic.views",
            "clinic.wsgi",
            "clinic.apps",
            "clinic.checks",
            "clinic.management.*",
            "clinic.templatetags.*",
            "clinic.asgi",
            "education.apps",
            "education.admin",
            "education.approval",
            "education.views",
            "education.urls",
            "education.sitemaps",
            "education.management.*",
            "education.migrations.*",
            "consultations.apps",
            # Providers are people: the Provider group's membership keeps a Provider profile (apps.ready).
            "consultations.signals",
            "consultations.views",
            # How each patient form looks (crispy layouts), attached by the views that show them.
            "consultations.layouts",
            "consultations.formpage",
            "consultations.selfservice",
            "consultations.aftercare_views",
            "consultations.staff_views",
            "consultations.calfeed",
            "consultations.access",
            "consultations.admin",
            "consultations.queries",
            "consultations.urls",
            "consultations.tasks",
            "consultations.management.*",
            "consultations.templatetags.*",
            "consultations.migrations.*",
            # The staff second factor: sign-in pages and admin, over django-otp; nothing imports it
            # but the URLs and the admin site.
            "twofactor.*",
        },
    ),
]


def layer_of(module):
    """Index in LAYERS of the row naming the module, or of the deepest `package.*` holding it;
    None for a module no row names (a new module gets its row before it lands)."""
    parts = module.split(".")
    for index, (_name, modules) in enumerate(LAYERS):
        if module in modules:
            return index
    for length in range(len(parts), 0, -1):
        package = ".".join(parts[:length]) + ".*"
        for index, (_name, modules) in enumerate(LAYERS):
            if package in modules:
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


@pytest.mark.parametrize("module", ["consultations.sms", "clinic.newthing", "education.extra"])
def test_a_module_no_row_names_has_no_layer(module):
    # Not the lowest layer of its package: a new module must be given its row.
    assert layer_of(module) is None


def test_a_whole_package_row_covers_its_modules():
    assert layer_of("consultations.forms") == layer_of("consultations.forms.intake") == layer_of("consultations.intake")
    assert layer_of("twofactor.views") == len(LAYERS) - 1


# Installed by requirements-dev.txt only: production (requirements.txt) does not have them.
DEV_ONLY = {"pytest", "pytest_django", "xdist", "pytest_env", "pytest_playwright", "playwright"}
DEV_ONLY |= {"time_machine", "ruff", "uvicorn", "moto", "gunicorn"}


def test_app_code_imports_no_dev_only_package():
    files = [*project_modules().values(), ROOT / "serve.py", ROOT / "manage.py"]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in DEV_ONLY]
    assert found == []


# Modules other helpers were editing when these rules came in; the merge moves them to the rule.
NOT_YET = set()


def sources():
    for path in project_modules().values():
        relative = str(path.relative_to(ROOT))
        if relative != "clinic/settings.py" and relative not in NOT_YET and "/migrations/" not in relative:
            yield relative, path.read_text()


def test_the_clinic_details_are_read_through_clinic_conf():
    # settings.CLINIC (name, address, hours) in one reader, so a second location changes one module.
    reads = re.compile(r"settings\.CLINIC(?!\w)")
    assert sorted(name for name, text in sources() if reads.search(text)) == ["clinic/conf.py"]


def test_the_clinic_day_comes_from_clinic_formatting_not_the_process_time_zone():
    # clinic_today() and clinic_tz(): the active time zone of a thread is not the clinic's.
    # clinic/formatting.py is where clinic_today() asks for the date in the clinic's own zone.
    NOT_YET_TZ = {"clinic/formatting.py"}
    users = sorted(
        name
        for name, text in sources()
        if name not in NOT_YET_TZ and ("timezone.localdate(" in text or "timezone.localtime(" in text)
    )
    assert users == []


def test_the_second_factor_does_not_import_the_consultations_app():
    # Its code form is plain Django, written out by its own admin templates (admin/twofactor/code_form.html).
    graph = import_graph()
    assert (
        sorted(
            f"{module} imports {target}"
            for module, targets in graph.items()
            if module.startswith("twofactor")
            for target in targets
            if target.startswith("consultations")
        )
        == []
    )


def test_clinic_is_an_app_with_the_site_wide_pieces():
    from django.apps import apps
    from django.core.management import get_commands

    config = apps.get_app_config("clinic")
    assert (ROOT / "clinic/templatetags/clinic_tags.py").exists() and (ROOT / "clinic/forms.py").exists()
    assert config.path == str(ROOT / "clinic")
    assert get_commands()["seed_demo"] == "clinic"


def test_clinic_base_modules_sit_below_the_apps_and_its_project_parts_above():
    base, top = layer_of("clinic.conf"), layer_of("clinic.checks")
    assert base == 0 and {layer_of(m) for m in ("clinic.formatting", "clinic.text", "clinic.forms")} == {0}
    assert top == layer_of("clinic.management.commands.seed_demo") == len(LAYERS) - 1
    graph = import_graph()
    for app in ("education.models", "consultations.models"):
        assert {target for target in graph[app] if target.startswith("clinic.")} <= LAYERS[base][1]
        assert any(target.startswith("clinic.") for target in graph[app])
    assert {"education.models", "consultations.models"} <= graph["clinic.management.commands.seed_demo"]


def test_no_models_module_imports_a_cache():
    # Caches are kept by signals (and read by the pages), not by models: a model saved in a
    # migration, a shell or a test has no cache to keep.
    graph = import_graph()
    models = [module for module in graph if module.rpartition(".")[2] == "models"]
    cached = []
    for module in models:
        path = project_modules()[module]
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            cached += [f"{module}: {name}" for name in names if name.startswith("django.core.cache")]
        cached += [f"{module}: {target}" for target in graph[module] if target == "clinic.pagecache"]
    assert models and cached == []
