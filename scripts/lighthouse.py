"""`make lighthouse`: Lighthouse (mobile) on home, the Belotero page and the consultation form.

Starts the production-like server itself (scripts/prodserver.py), runs npm's Lighthouse
in Debian's Chromium against each page, prints the four category scores, the bytes
transferred and the requests to other hosts, and exits non-zero when a page misses the
budget: 100 in every category, under 60 KB, no other host. Full reports (HTML and JSON)
go to lighthouse-report/.
"""

# ruff: noqa: S603, S607 - the commands are fixed local tools (manage.py, serve.py, wrk, lighthouse), not input.

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from prodserver import ROOT, database, production_server

PAGES = [("home", "/"), ("belotero", "/treatments/belotero/"), ("form", "/consultations/new/")]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
MAX_BYTES = 60 * 1024
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
REPORTS = ROOT / "lighthouse-report"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking "
    "--disable-component-update --disable-sync --disable-quic --no-first-run"
)


def chrome_path():
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        sys.exit("make lighthouse needs Chromium: `apt-get install -y chromium` (or set CHROME_PATH).")
    return path


def audit(url, name, chrome, attempts=3):
    """The JSON report; retried because Chromium now and then records a trace Lighthouse cannot read."""
    out = REPORTS / name
    for attempt in range(1, attempts + 1):
        report = run_lighthouse(url, out, chrome)
        if report is not None and not report.get("runtimeError"):
            return report
        print(f"  Lighthouse could not finish ({attempt}/{attempts}), trying again", flush=True)
    sys.exit(f"Lighthouse failed {attempts} times on {url}")


def run_lighthouse(url, out, chrome):
    result = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--chrome-path={chrome}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--form-factor=mobile",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            "--output=html",
            f"--output-path={out}",
        ],
        env={**os.environ, "CHROME_PATH": chrome},
    )
    if result.returncode != 0:
        return None
    return json.loads(out.with_suffix(".report.json").read_text())


def summarise(report, origin):
    requests = report["audits"]["network-requests"]["details"]["items"]
    # The scored audits that cost points: what to fix when a category is below 100.
    failing = {}
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] > 0 and result["score"] is not None and result["score"] < 1:
                failing[ref["id"]] = result["title"]
    return {
        "scores": {category: round(report["categories"][category]["score"] * 100) for category in CATEGORIES},
        "bytes": int(report["audits"]["total-byte-weight"]["numericValue"]),
        "requests": len(requests),
        # data: URLs (Bootstrap's check marks) are not requests to anyone.
        "other_hosts": sorted(
            {urlsplit(item["url"]).netloc for item in requests if item["url"].startswith(("http:", "https:"))}
            - {origin}
        ),
        "failing": failing,
    }


def main():
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: run `make node_modules/.installed` (npm ci).")
    chrome = chrome_path()
    REPORTS.mkdir(exist_ok=True)
    results = {}
    with database("sqlite") as db_url, production_server(db_url) as server:
        origin = urlsplit(server.url).netloc
        for name, path in PAGES:
            print(f"Lighthouse: {server.url}{path}", flush=True)
            results[name] = summarise(audit(server.url + path, name, chrome), origin)

    ok = True
    header = f"{'page':10} " + " ".join(f"{c:>14}" for c in CATEGORIES) + f" {'KB sent':>8} {'requests':>8} other hosts"
    print("\n" + header + "\n" + "-" * len(header))
    for name, result in results.items():
        scores = " ".join(f"{result['scores'][c]:>14}" for c in CATEGORIES)
        hosts = ", ".join(result["other_hosts"]) or "0"
        print(f"{name:10} {scores} {result['bytes'] / 1024:>8.1f} {result['requests']:>8} {hosts}")
        page_ok = (
            all(score == 100 for score in result["scores"].values())
            and result["bytes"] < MAX_BYTES
            and not result["other_hosts"]
        )
        ok = ok and page_ok
    for name, result in results.items():
        for audit_id, title in result["failing"].items():
            print(f"  {name}: {audit_id}: {title}")
    print(f"\nBudget: 100 in every category, < {MAX_BYTES // 1024} KB, no other host. Reports: {REPORTS}/")
    if not ok:
        print("Budget missed (see above).")
        sys.exit(1)
    print("Budget met.")


if __name__ == "__main__":
    main()
