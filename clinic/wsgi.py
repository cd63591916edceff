import os
import tempfile

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
# /metrics must add up every worker of this server, not show whichever worker answered: the
# workers (granian's, all children of one server process) write their numbers
# to one directory, named after that parent, before prometheus_client is imported
# (clinic/metrics.py). A service manager may choose the directory (deploy/systemd does).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(tempfile.gettempdir(), f"clinic-metrics-{os.getppid()}")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], mode=0o700, exist_ok=True)

application = get_wsgi_application()
