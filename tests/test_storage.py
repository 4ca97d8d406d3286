"""Stored files: temporary files live under tmp/ and are swept once older than an age (when another is saved,
and by `auditkit storage sweep`); permanent files never are; a key can never name a path outside the folder;
the complaint import keeps its upload and its rejected rows as temporary files."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from auditkit.complaints import transfer_views
from auditkit.core import storage

HEADER = "external_id,received_at,channel,complainant_name,email,phone,category,description,occurred_on"


@pytest.fixture
def uploads_folder(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def age(folder: Path, key: str, by: timedelta) -> None:
    """Make the stored file look `by` old."""
    then = time.time() - by.total_seconds()
    os.utime(folder / key, (then, then))


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_temporary_files_live_under_tmp_with_a_key_that_says_so(app, uploads_folder):
    with app.test_request_context():
        key = storage.save(b"a,b\n", suffix=".csv", temporary=True)
        assert re.fullmatch(r"tmp/[0-9a-f]{32}\.csv", key)
        assert (uploads_folder / key).read_bytes() == b"a,b\n" and storage.open(key) == b"a,b\n"
        assert storage.exists(key)
        storage.delete(key)
        assert not storage.exists(key) and files(uploads_folder) == []


def test_the_sweep_deletes_old_temporary_files_and_keeps_new_and_permanent_ones(app, uploads_folder):
    with app.test_request_context():
        old = storage.save(b"abandoned", suffix=".csv", temporary=True)
        new = storage.save(b"in use", suffix=".csv", temporary=True)
        permanent = storage.save(b"%PDF-1.4 attachment", suffix=".pdf")
        age(uploads_folder, old, timedelta(days=3))
        age(uploads_folder, new, timedelta(hours=5))
        age(uploads_folder, permanent, timedelta(days=3000))
        assert storage.sweep_temporary(timedelta(days=2)) == 1
        assert not storage.exists(old) and storage.open(new) == b"in use"
        assert storage.open(permanent) == b"%PDF-1.4 attachment"
        assert storage.sweep_temporary(timedelta(days=2)) == 0


def test_the_sweep_of_a_folder_never_written_finds_nothing(app, uploads_folder):
    with app.test_request_context():
        assert storage.sweep_temporary(timedelta(0)) == 0
        storage.save(b"permanent", suffix=".txt")
        assert storage.sweep_temporary(timedelta(0)) == 0  # no tmp area yet


def test_saving_a_temporary_file_sweeps_the_old_ones(app, uploads_folder):
    with app.test_request_context():
        old = storage.save(b"old", suffix=".csv", temporary=True)
        recent = storage.save(b"recent", suffix=".csv", temporary=True)
        permanent = storage.save(b"permanent", suffix=".txt")
        age(uploads_folder, old, storage.TEMPORARY_MAX_AGE + timedelta(minutes=1))
        age(uploads_folder, recent, storage.TEMPORARY_MAX_AGE - timedelta(hours=1))
        age(uploads_folder, permanent, storage.TEMPORARY_MAX_AGE * 10)
        storage.save(b"permanent too", suffix=".txt")  # saving a permanent file sweeps nothing
        assert storage.exists(old)
        newest = storage.save(b"new", suffix=".csv", temporary=True)
        assert not storage.exists(old)
        assert all(storage.exists(key) for key in (recent, permanent, newest))


def test_temporary_files_outlive_every_token_that_names_them():
    longest = max(transfer_views.UPLOAD_MAX_AGE, transfer_views.REJECTED_MAX_AGE)
    assert timedelta(seconds=longest) < storage.TEMPORARY_MAX_AGE


def test_keys_never_name_a_path_outside_the_folder(app, uploads_folder):
    with app.test_request_context():
        key = storage.save(b"x", suffix=".csv", temporary=True)
        name = key.removeprefix("tmp/")
        for bad in ("../secret_key", f"../{name}", f"tmp/../{name}", f"tmp/../../{name}", f"{key}/..",
                    f"tmp//{name}", f"tmp/tmp/{name}", "/" + key, f"TMP/{name}", f"tmp\\{name}",
                    f"uploads/{name}", f"./{name}", "tmp/", "tmp", "/etc/passwd", "x" * 32):
            for verb in (storage.open, storage.exists, storage.delete):
                with pytest.raises(ValueError):
                    verb(bad)
        with pytest.raises(ValueError):
            storage.save(b"x", suffix="/../../x", temporary=True)
        assert storage.open(key) == b"x"


def test_the_command_sweeps_for_cron(app, uploads_folder):
    with app.test_request_context():
        old = storage.save(b"old", suffix=".csv", temporary=True)
        kept = storage.save(b"kept", suffix=".csv", temporary=True)
        permanent = storage.save(b"permanent", suffix=".txt")
        for key in (old, permanent):
            age(uploads_folder, key, storage.TEMPORARY_MAX_AGE + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 temporary file(s)" in result.output
    assert files(uploads_folder) == sorted([kept, permanent])


# The complaint import's files -------------------------------------------------------------------------------

def upload(client, base: str, content: bytes) -> str:
    page = client.post(f"{base}/", data={"file": (io.BytesIO(content), "crm.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_the_import_keeps_its_upload_and_rejected_rows_as_temporary_files(login, handler, org, uploads_folder):
    client = login(handler)
    base = f"/o/{org.slug}/complaints/transfer"
    content = (f"{HEADER}\n"
               "t-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "t-2,2025-03-01,email,Sara,broken,,,No signal,\n").encode()
    token = upload(client, base, content)
    [stored] = files(uploads_folder)
    assert re.fullmatch(r"tmp/[0-9a-f]{32}\.csv", stored) and (uploads_folder / stored).read_bytes() == content
    mapping = {f"column_{i}": name for i, name in enumerate(HEADER.split(","))}
    imported = client.post(f"{base}/run", data={"token": token, "action": "import", "skip_invalid": "y", **mapping})
    assert imported.status_code == 200
    [rejected] = files(uploads_folder)  # the upload is gone, the rejected rows are there
    assert rejected != stored and re.fullmatch(r"tmp/[0-9a-f]{32}\.csv", rejected)
    link = re.search(r'href="([^"]+/rejected/[^"]+)"', imported.get_data(as_text=True)).group(1)
    assert "t-2,2025-03-01" in client.get(link).get_data(as_text=True)
    age(uploads_folder, rejected, storage.TEMPORARY_MAX_AGE + timedelta(hours=1))
    with client.application.test_request_context():
        assert storage.sweep_temporary(storage.TEMPORARY_MAX_AGE) == 1
    assert client.get(link).status_code == 404


def test_an_abandoned_upload_is_swept_when_the_next_one_is_saved(login, handler, org, uploads_folder):
    client = login(handler)
    base = f"/o/{org.slug}/complaints/transfer"
    abandoned = upload(client, base, f"{HEADER}\na-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n".encode())
    [stored] = files(uploads_folder)
    age(uploads_folder, stored, storage.TEMPORARY_MAX_AGE + timedelta(hours=1))
    upload(client, base, f"{HEADER}\na-2,2025-03-01,email,Sara,sara@example.org,,,No signal,\n".encode())
    assert stored not in files(uploads_folder) and len(files(uploads_folder)) == 1
    mapping = {f"column_{i}": name for i, name in enumerate(HEADER.split(","))}
    gone = client.post(f"{base}/run", data={"token": abandoned, "action": "check", **mapping})
    assert gone.status_code == 422 and "no longer available" in gone.get_data(as_text=True)
