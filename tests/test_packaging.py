"""`pip install .` gives a working application: the wheel carries the checklists, Word templates,
migrations, compiled catalogs and vendored front-end assets, and the installed app migrates a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_independent
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, timeout=300)
    return next(out.glob("auditkit-*.whl"))


def test_the_wheel_carries_data_and_built_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("auditkit/_data/checklists/README.md", "auditkit/_data/templates/README.md",
                     "auditkit/_data/migrations/env.py", "auditkit/_data/migrations/versions/0001_foundation.py",
                     "auditkit/web/static/vendor/bootstrap/bootstrap.rtl.min.css",
                     "auditkit/web/static/vendor/htmx/htmx.min.js",
                     "auditkit/web/templates/base.html",
                     "auditkit/translations/fa/LC_MESSAGES/messages.mo"):
        assert required in names, f"{required} missing from the wheel"
    assert any(name.startswith("auditkit/web/static/vendor/fonts/vazirmatn/files/") for name in names)


def test_the_installed_package_migrates_and_serves(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    script = (
        "import json, auditkit\n"
        "from auditkit.cli import main\n"
        "from auditkit.core.resources import data_dir\n"
        "app = auditkit.create_app()\n"
        "with app.app_context():\n"
        "    from flask_migrate import upgrade\n"
        "    upgrade()\n"
        "health = app.test_client().get('/healthz').get_json()\n"
        "print(json.dumps({'package': auditkit.__file__, 'migrations': str(data_dir('migrations')),"
        " 'health': health}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "AUDITKIT_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("AUDITKIT_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["package"].startswith(str(target))
    assert report["migrations"].startswith(str(target))
    assert report["health"]["status"] == "ok"
