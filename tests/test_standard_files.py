"""The checklist format: validation names FILE:LINE: KEY, a file with any problem imports nothing,
versions by content hash, YAML round trips, and the CLI's exit codes."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from auditkit.extensions import db
from auditkit.standard import library, queries
from auditkit.standard.cli import dump_yaml
from auditkit.standard.formats import check, content_hash
from auditkit.standard.models import Checklist, ChecklistVersion
from auditkit.standard.yaml_source import parse_yaml
from tests.conftest import MINI


def versions() -> int:
    return db.session.execute(select(func.count()).select_from(ChecklistVersion)).scalar_one()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["checklists", *args])


def mini(name: str) -> dict:
    return parse_yaml((MINI / name).read_bytes(), name)[0]


def write(tmp_path: Path, name: str, document) -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else dump_yaml(document), encoding="utf-8")
    return path


def test_the_mini_library_validates(app):
    result = run(app, "validate", str(MINI))
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


BROKEN_CHECKLIST = """\
format: auditkit/checklist@1
checklist:
  id: broken
  library: mini:1
  kind: custom
  title: {en: Broken, fa: خراب, zh_Hans: 坏, zh_Hant: 壞}
questions:
  - id: a
    clause: mini:1:7.4
    text: {en: One, fa: یک}
    importance: essential
    weight: 12
    metric: happiness
    colour: blue
  - id: a
    clause: mini:1:9.9
    text: {en: Two, fa: دو, zh_Hans: 二, zh_Hant: 二}
    importance: vital
    weight: 1
    weight: 2
"""


def test_every_problem_is_named_with_file_line_and_key(app, tmp_path):
    path = write(tmp_path, "broken.yaml", BROKEN_CHECKLIST)
    before = versions()
    result = run(app, "import", str(path))
    assert result.exit_code == 1
    out = result.output
    for expected in (f"{path}:10: questions[0].text: Missing translation: zh_Hans, zh_Hant.",
                     f"{path}:12: questions[0].weight: Must be greater than 0",
                     f"{path}:13: questions[0].metric: Unknown metric key happiness",
                     f"{path}:14: questions[0].colour: Unknown field.",
                     f"{path}:20: weight: This key appears twice in the same mapping.",
                     f"{path}:18: questions[1].importance:",
                     "nothing imported"):
        assert expected in out, out
    assert versions() == before


def test_duplicate_ids_dangling_parents_and_unknown_clauses(tmp_path):
    document = mini("clauses.yaml")
    document["clauses"].append(copy.deepcopy(document["clauses"][1]))
    document["clauses"][1]["parent"] = "mini:1:99"
    result = check(document, "clauses.yaml")
    messages = [str(p) for p in result.problems]
    assert any("clauses[3].id: Duplicate id mini:1:7.4." in m for m in messages), messages
    assert any("clauses[1].parent: mini:1:99 is not a clause listed earlier" in m for m in messages), messages
    checklist = mini("checklist.yaml")
    checklist["questions"][1]["clause"] = "mini:1:8"
    result = check(checklist, "checklist.yaml", clause_keys=queries.clause_keys(None))
    assert [p.key for p in result.problems] == ["questions[1].clause"]
    assert result.problems[0].line == 16  # the line of that question's clause key


def test_one_bad_file_in_a_folder_imports_nothing(app, tmp_path):
    good = mini("checklist.yaml")
    good["checklist"]["id"] = "another-good-one"
    write(tmp_path, "a-good.yaml", good)
    write(tmp_path, "b-broken.yaml", BROKEN_CHECKLIST)
    before = versions()
    assert run(app, "import", str(tmp_path)).exit_code == 1
    assert versions() == before
    assert db.session.execute(select(Checklist).where(Checklist.key == "another-good-one")).first() is None


def test_malformed_yaml_is_one_clear_problem(app, tmp_path):
    path = write(tmp_path, "bad.yaml", "format: auditkit/checklist@1\nchecklist: [unclosed\n")
    result = run(app, "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:3: Not valid YAML" in result.output or f"{path}:2: Not valid YAML" in result.output


def test_reimporting_unchanged_content_does_nothing_and_a_change_makes_a_version(app, tmp_path):
    document = mini("checklist.yaml")
    document["checklist"]["id"] = "versioned"
    path = write(tmp_path, "versioned.yaml", document)
    assert "version 1 (new version)" in run(app, "import", str(path)).output
    assert "version 1 (unchanged)" in run(app, "import", str(path)).output
    document["questions"][0]["weight"] = 5
    write(tmp_path, "versioned.yaml", document)
    assert "version 2 (new version)" in run(app, "import", str(path)).output
    checklist = db.session.execute(select(Checklist).where(Checklist.key == "versioned")).scalar_one()
    first, second = checklist.versions
    assert first.questions[0].weight == 3 and second.questions[0].weight == 5
    assert first.content_hash != second.content_hash


def test_yaml_to_database_to_yaml_loses_nothing():
    shared = db.session.execute(select(Checklist).where(Checklist.key == "mini-gap")).scalar_one()
    version = queries.latest_version(shared)
    exported = library.checklist_document(version)
    original = check(mini("checklist.yaml"), "x", clause_keys=queries.clause_keys(None)).data
    assert content_hash(exported) == content_hash(original) == version.content_hash
    reread = check(yaml.safe_load(dump_yaml(exported)), "x", clause_keys=queries.clause_keys(None))
    assert reread.ok and content_hash(reread.data) == version.content_hash
    framework = queries.framework_by_key("mini:1", None)
    library_version = queries.latest_framework_version(framework)
    assert content_hash(library.library_document(library_version)) == library_version.content_hash


def test_export_and_list_commands(app, tmp_path):
    out = tmp_path / "mini.yaml"
    assert run(app, "export", "mini-gap", "-o", str(out)).exit_code == 0
    assert yaml.safe_load(out.read_text())["checklist"]["id"] == "mini-gap"
    xlsx = tmp_path / "mini.xlsx"
    assert run(app, "export", "mini-gap", "--format", "xlsx", "-o", str(xlsx)).exit_code == 0
    assert xlsx.read_bytes()[:2] == b"PK"
    assert "mini:1" in run(app, "export", "mini:1").output
    assert run(app, "export", "nothing-like-it").exit_code == 2
    listed = run(app, "list").output
    assert "mini-gap  v1  shared  2 questions" in listed


@pytest.mark.parametrize("field", ["weight", "importance", "text"])
def test_versions_are_immutable(field):
    from auditkit.core.db import ImmutableRecord

    version = queries.latest_version(db.session.execute(select(Checklist).where(Checklist.key == "mini-gap"))
                                     .scalar_one())
    question = version.questions[0]
    setattr(question, field, {"en": "x"} if field == "text" else ("recommended" if field == "importance" else 2))
    with pytest.raises(ImmutableRecord):
        db.session.flush()
    db.session.rollback()
