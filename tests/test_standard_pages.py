"""The standard in the browser's pages and the API: the clause browser, checklists, copies, revisions,
differences, uploads (.xlsx, CISO Assistant YAML) and their refusals."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.standard import queries
from auditkit.standard.models import Checklist
from tests.conftest import actor_of


def shared(key: str = "mini-gap") -> Checklist:
    return db.session.execute(select(Checklist).where(Checklist.key == key, Checklist.organisation_id.is_(None))
                              ).scalar_one()


@pytest.fixture
def consultant_client(login, consultant):
    return login(consultant)


def test_clause_browser_search_and_deep_link(consultant_client, org):
    framework = queries.framework_by_key("mini:1", None)
    page = consultant_client.get(f"/o/{org.slug}/clauses?framework={framework.id}").get_data(as_text=True)
    assert "Acknowledgement" in page and 'id="clause-mini-1-7.4"' in page
    page = consultant_client.get(f"/o/{org.slug}/clauses?framework={framework.id}&q=acknow").get_data(as_text=True)
    assert "1 clause matches." in page
    page = consultant_client.get(f"/o/{org.slug}/clauses/mini:1:7.4").get_data(as_text=True)
    assert "Is every complaint acknowledged?" in page and "Mini gap assessment" in page
    assert consultant_client.get(f"/o/{org.slug}/clauses/mini:1:9.9").status_code == 404


@pytest.mark.parametrize(("locale", "expected", "direction"), [
    ("fa", "اعلام وصول", "rtl"), ("zh_Hans", "确认收到", "ltr"), ("zh_Hant", "確認收到", "ltr")])
def test_clauses_and_checklists_in_each_language(consultant_client, org, locale, expected, direction):
    consultant_client.post("/language", data={"locale": locale})
    page = consultant_client.get(f"/o/{org.slug}/clauses/mini:1:7.4").get_data(as_text=True)
    assert expected in page and f'dir="{direction}"' in page
    page = consultant_client.get(f"/o/{org.slug}/checklists/{shared().id}").get_data(as_text=True)
    assert expected in page


def test_copy_revise_and_see_what_changed(consultant_client, org):
    response = consultant_client.post(f"/o/{org.slug}/checklists/{shared().id}/copy")
    assert response.status_code == 302
    copy = db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).scalar_one()
    assert response.location.endswith(f"/checklists/{copy.id}/edit")
    form = {"based_on": "1",
            "questions-0-key": "q-7.4-01", "questions-0-text": "Is each complaint acknowledged within a day?",
            "questions-0-weight": "4", "questions-0-importance": "essential",
            "questions-1-key": "q-7-01", "questions-1-text": "Is the process written down?",
            "questions-1-weight": "1.5", "questions-1-importance": "recommended", "questions-1-retire": "y",
            "new_clause": "mini:1:annex-b", "new_text": "Is there a simple complaints log?",
            "new_importance": "good_practice", "new_weight": "2", "note": "Adapted for Alpha"}
    response = consultant_client.post(f"/o/{org.slug}/checklists/{copy.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    first, second = copy.versions
    assert [q.key for q in second.questions] == ["q-7.4-01", "own-2-01"]
    assert second.questions[0].text == {"en": "Is each complaint acknowledged within a day?"}
    assert second.questions[0].weight == 4 and len(first.questions) == 2  # version 1 untouched
    page = consultant_client.get(f"/o/{org.slug}/checklists/{copy.id}/diff?from=1&to=2").get_data(as_text=True)
    assert "1 question added" in page and "1 question retired" in page and "1 question changed" in page
    # A second save based on version 1 is stale: 409, nothing written.
    response = consultant_client.post(f"/o/{org.slug}/checklists/{copy.id}/edit", data=form)
    assert response.status_code == 409
    db.session.expire_all()
    assert len(copy.versions) == 2


def test_a_revision_with_bad_input_names_the_field(consultant_client, org):
    consultant_client.post(f"/o/{org.slug}/checklists/{shared().id}/copy")
    copy = db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).scalar_one()
    response = consultant_client.post(f"/o/{org.slug}/checklists/{copy.id}/edit", data={
        "based_on": "1", "questions-0-key": "q-7.4-01", "questions-0-text": "Fine",
        "questions-0-weight": "11", "questions-0-importance": "essential",
        "new_text": "A question without a clause", "new_weight": "1", "new_importance": "essential"})
    assert response.status_code == 422
    assert "Give a weight from 0.1 to 10." in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(copy.versions) == 1


def test_shared_checklists_cannot_be_edited(consultant_client, org):
    assert consultant_client.get(f"/o/{org.slug}/checklists/{shared().id}/edit").status_code == 403


def _filled_template(client, org, rows) -> bytes:
    template = client.get(f"/o/{org.slug}/checklists/template.xlsx")
    assert template.status_code == 404 or template.headers["Content-Type"].startswith("application/vnd.openxml")
    from openpyxl import Workbook

    from auditkit.standard.spreadsheets import HEADER

    workbook = Workbook()
    meta = workbook.active
    meta.title = "Checklist"
    for row in (["key", "value"], ["id", "alpha-own"], ["library", "mini:1"], ["kind", "custom"],
                ["title (en)", "Alpha's own checklist"]):
        meta.append(row)
    sheet = workbook.create_sheet("Questions")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row.get(name) for name in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, org, content: bytes, name: str):
    return client.post(f"/o/{org.slug}/checklists", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


ROWS = [{"id": "a-1", "clause": "7.4", "question (en)": "Do we answer within a day?", "importance": "essential",
         "weight": 3, "metric": "ack_within_target_pct", "question (fa)": "آیا ظرف یک روز پاسخ می‌دهیم؟"},
        {"id": "a-2", "clause": "mini:1:7", "question (en)": "Is there a written procedure?",
         "guidance (en)": "Ask for it.", "importance": "recommended", "weight": 1.5, "tags": "documentation"}]


def test_xlsx_import_and_round_trip(consultant_client, org, monkeypatch):
    monkeypatch.setattr("auditkit.standard.services.DEFAULT_LIBRARY", "mini:1")
    content = _filled_template(consultant_client, org, ROWS)
    response = upload(consultant_client, org, content, "alpha.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    own = db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).scalar_one()
    version = own.versions[0]
    assert [q.clause_key for q in version.questions] == ["mini:1:7.4", "mini:1:7"]
    assert version.questions[0].text == {"en": "Do we answer within a day?", "fa": "آیا ظرف یک روز پاسخ می‌دهیم؟"}
    exported = consultant_client.get(f"/o/{org.slug}/checklists/{own.id}/export.xlsx").data
    sheet = load_workbook(io.BytesIO(exported))["Questions"]
    header = [c.value for c in sheet[1]]
    cells = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    for original, written in zip(ROWS, cells, strict=True):
        # A clause given by its full id comes back as its number, which imports to the same clause.
        expected = dict(original, clause=original["clause"].rsplit(":", 1)[-1])
        assert {k: v for k, v in written.items() if v is not None} == expected
    again = upload(consultant_client, org, exported, "again.xlsx")
    assert again.status_code == 302
    db.session.expire_all()
    assert len(own.versions) == 1  # unchanged content: no new version


def test_xlsx_problems_name_the_row_and_column(consultant_client, org, monkeypatch):
    monkeypatch.setattr("auditkit.standard.services.DEFAULT_LIBRARY", "mini:1")
    rows = [dict(ROWS[0], clause="9.9"), dict(ROWS[1], weight=0, importance="vital")]
    response = upload(consultant_client, org, _filled_template(consultant_client, org, rows), "bad.xlsx")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "bad.xlsx#Questions:2: clause: 9.9 is not a clause of mini:1." in page
    assert "bad.xlsx#Questions:3: importance:" in page
    assert db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).first() is None


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"PK\x03\x04 this is no workbook", "broken.xlsx", "damaged or not an .xlsx file"),
    (b"format: auditkit/checklist@1\nchecklist: [unclosed\n", "looks.xlsx", "Not valid YAML"),
    (b"\x00\x01\x02binary", "picture.yaml", "neither an .xlsx workbook nor a YAML text file"),
    (b"", "empty.yaml", "The file is empty."),
    (b"just: a mapping\n", "other.yaml", "Expected format"),
])
def test_bad_uploads_get_one_clear_message(consultant_client, org, content, name, message):
    response = upload(consultant_client, org, content, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).first() is None


def test_a_50_mb_upload_is_refused_plainly(consultant_client, org):
    response = upload(consultant_client, org, b"x" * (50 * 1024 * 1024), "huge.yaml")
    assert response.status_code == 413
    assert "The upload is too large." in response.get_data(as_text=True)


CISO = """\
urn: urn:test:risk:library:mini-framework
locale: en
ref_id: MINI-FW
name: Mini framework
version: 2
objects:
  framework:
    urn: urn:test:risk:framework:mini-framework
    ref_id: MINI-FW
    name: Mini framework
    translations:
      fa: {name: چارچوب کوچک}
    requirement_nodes:
      - urn: urn:test:req:1
        assessable: false
        depth: 1
        ref_id: "1"
        name: Governance
      - urn: urn:test:req:1.1
        assessable: true
        depth: 2
        parent_urn: urn:test:req:1
        ref_id: "1.1"
        name: Policy
        description: A complaints policy is approved and published.
        translations:
          zh: {description: 投诉政策已批准并公布。}
          zh-TW: {description: 申訴政策已核准並公布。}
"""


def test_a_ciso_assistant_framework_imports_as_clauses_and_questions(consultant_client, org):
    response = upload(consultant_client, org, CISO.encode(), "mini-framework.yaml")
    assert response.status_code == 302, response.get_data(as_text=True)
    framework = queries.framework_by_key("ciso:mini-fw", org.id)
    assert framework.organisation_id == org.id
    clauses = queries.latest_framework_version(framework).clauses
    assert [(c.key, c.parent_key) for c in clauses] == [("ciso:mini-fw:1", None),
                                                        ("ciso:mini-fw:1.1", "ciso:mini-fw:1")]
    own = db.session.execute(select(Checklist).where(Checklist.organisation_id == org.id)).scalar_one()
    question = own.versions[0].questions[0]
    assert question.text == {"en": "A complaints policy is approved and published.",
                             "zh_Hans": "投诉政策已批准并公布。", "zh_Hant": "申訴政策已核准並公布。"}
    exported = consultant_client.get(f"/o/{org.slug}/checklists/{own.id}/export.yaml").get_data(as_text=True)
    assert "ciso:mini-fw:1.1" in exported
    page = consultant_client.get(f"/o/{org.slug}/clauses/ciso:mini-fw:1.1").get_data(as_text=True)
    assert "A complaints policy is approved and published." in page


def test_roles_without_checklist_manage_cannot_import(login, make, org):
    viewer = make.member(org, Role.VIEWER)
    response = upload(login(viewer), org, CISO.encode(), "x.yaml")
    assert response.status_code == 403


def test_the_api_reads_libraries_checklists_and_versions(client, make, org):
    from auditkit.accounts.tokens import create_token

    user = make.member(org, Role.AUDITOR)
    headers = {"Authorization": f"Bearer {create_token(actor_of(user, org), name='t')[1]}"}
    frameworks = client.get("/api/v1/frameworks", headers=headers).get_json()
    mini = next(f for f in frameworks if f["key"] == "mini:1")
    assert mini["shared"] is True and mini["latest_version"] == 1
    clauses = client.get(f"/api/v1/frameworks/{mini['id']}/clauses", headers=headers).get_json()
    assert [c["key"] for c in clauses["clauses"]] == ["mini:1:7", "mini:1:7.4", "mini:1:annex-b"]
    lists = client.get("/api/v1/checklists", headers=headers).get_json()
    gap = next(c for c in lists if c["key"] == "mini-gap")
    version = client.get(f"/api/v1/checklists/{gap['id']}/versions/1", headers=headers).get_json()
    assert [q["key"] for q in version["questions"]] == ["q-7.4-01", "q-7-01"]
    assert client.get(f"/api/v1/checklists/{gap['id']}/versions/9", headers=headers).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/checklists/{checklist_id}/versions/{number}" in spec["paths"]
