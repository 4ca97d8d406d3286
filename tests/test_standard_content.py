"""The ISO 10002:2018 library that ships in checklists/: complete clause tree, three checklists in four
languages, every principle and requirement of the two seed documents covered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from auditkit.extensions import db
from auditkit.standard import queries
from auditkit.standard.models import Checklist

LIBRARY = "iso10002:2018"
SUB_CLAUSES = ([f"4.{n}" for n in range(1, 16)] + [f"5.{n}" for n in range(1, 5)] + [f"6.{n}" for n in range(1, 5)]
               + [f"7.{n}" for n in range(1, 10)] + [f"8.{n}" for n in range(1, 8)])
ANNEXES = ["interrelationship", "small-business", "complaint-form", "objectivity", "follow-up-form", "response",
           "flowchart", "monitoring", "auditing"]

# Every principle and requirement the two seeds name, and the clause or topic tag that covers it.
SEEDS = {
    "fa: customer focus (مشتری‌مداری)": ("4.11", "customer-focus"),
    "fa: transparency (شفافیت)": ("4.4", "transparency"),
    "fa: fairness and impartiality (عدالت و بی‌طرفی)": ("4.7", "impartiality"),
    "fa: confidentiality of complainants' data": ("4.10", "confidentiality"),
    "fa: accountability (پاسخگویی و مسئولیت‌پذیری)": ("4.12", "accountability"),
    "fa: continual improvement (بهبود مستمر)": ("8.7", "continual-improvement"),
    "fa: accessibility (دسترس‌پذیری)": ("4.5", "accessibility"),
    "fa: policy and objectives": ("5.3", "objectives"),
    "fa: performance indicators": ("6.2", "performance-indicators"),
    "fa: adequate resources": ("6.4", "resources"),
    "fa: training and empowering staff": ("6.4", "training"),
    "fa: customer-focus culture": ("4.11", "customer-focus-culture"),
    "fa: recording and archiving complaints and responses": ("8.1", "records"),
    "fa: monitoring and evaluating performance": ("8.4", "monitoring"),
    "fa: internal audit": ("8.5", "internal-audit"),
    "fa: reporting to top management": ("8.6", "reporting-to-top-management"),
    "zh: transparency (透明性)": ("4.4", "transparency"),
    "zh: accessibility (可行性)": ("4.5", "accessibility"),
    "zh: responsiveness (回应)": ("4.6", "responsiveness"),
    "zh: objectivity (客观性)": ("4.7", "objectivity"),
    "zh: charges (费用)": ("4.8", "charges"),
    "zh: confidentiality (保密性)": ("4.10", "confidentiality"),
    "zh: customer-focused approach (顾客为重)": ("4.11", "customer-focus"),
    "zh: accountability (责任)": ("4.12", "accountability"),
    "zh: continual improvement (持续改善)": ("4.13", "continual-improvement"),
    "zh: organising roles and responsibilities (整顿体制)": ("5.4", "roles-and-responsibilities"),
    "zh: process flowchart (流程图)": ("6.1", "process-flowchart"),
    "zh: risk analysis (评估风险)": ("6.1", "risk-analysis"),
    "zh: monitoring mechanism (建立监测机制)": ("8.4", "monitoring"),
    "zh: satisfaction surveys (满意度调查)": ("8.3", "satisfaction-survey"),
    "zh: sharing complaint information (客诉资讯共享)": ("8.2", "data-sharing"),
    "zh: analysis methods (研讨分析方法)": ("8.2", "complaint-analysis"),
    "zh: documents (整顿书面系统)": ("6.4", "documentation"),
    "zh: internal audit (内部稽核)": ("8.5", "internal-audit"),
    "zh: management review (管理审查)": ("8.6", "management-review"),
    "zh: self-declaration of conformity (自行发布符合标准的宣告)": ("8.6", "self-declaration"),
}

def latest(key: str):
    checklist = db.session.execute(select(Checklist).where(Checklist.key == key, Checklist.organisation_id.is_(None))
                                   ).scalar_one()
    return queries.latest_version(checklist)


def test_the_shipped_files_validate(app):
    result = app.test_cli_runner().invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output


def test_the_clause_tree_is_complete_and_translated():
    version = queries.latest_framework_version(queries.framework_by_key(LIBRARY, None))
    keys = [c.key for c in version.clauses]
    expected = [f"{LIBRARY}:{n}" for n in ("4", "5", "6", "7", "8")] + [f"{LIBRARY}:{n}" for n in SUB_CLAUSES]
    expected += [f"{LIBRARY}:annex-{a}" for a in ANNEXES]
    assert sorted(keys) == sorted(expected)
    for clause in version.clauses:
        assert set(clause.title) == {"en", "fa", "zh_Hans", "zh_Hant"}
        assert set(clause.guidance or {}) == {"en", "fa", "zh_Hans", "zh_Hant"}, clause.key
    uncertain = {c.number: c.uncertain for c in version.clauses}
    assert uncertain["4.10"] == "numbering" and uncertain["B"] is None and uncertain["C"] == "letter"


def test_the_gap_assessment_asks_three_questions_per_sub_clause():
    version = latest("iso10002-2018-gap-assessment")
    for number in SUB_CLAUSES:
        on_clause = [q for q in version.questions if q.clause_key == f"{LIBRARY}:{number}"]
        assert len(on_clause) >= 3, f"{number} has {len(on_clause)} questions"
    for question in version.questions:
        assert question.guidance and question.evidence, question.key
        assert set(question.text) == {"en", "fa", "zh_Hans", "zh_Hant"}
    assert sum(1 for q in version.questions if q.metric) >= 15


def test_the_internal_audit_tests_a_record_for_every_step_of_clause_7():
    version = latest("iso10002-2018-internal-audit")
    record_tests = {q.clause_key for q in version.questions if q.method == "record_sample" and q.sample}
    for number in ("7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "8.3"):
        assert f"{LIBRARY}:{number}" in record_tests, f"no record test for {number}"


def test_the_small_business_form_is_short():
    assert 25 <= len(latest("iso10002-2018-small-business").questions) <= 35


@pytest.mark.parametrize("seed_item", sorted(SEEDS))
def test_every_seed_principle_and_requirement_is_covered(seed_item):
    clause, tag = SEEDS[seed_item]
    questions = [q for key in ("iso10002-2018-gap-assessment", "iso10002-2018-internal-audit",
                               "iso10002-2018-small-business") for q in latest(key).questions]
    assert any(q.clause_key == f"{LIBRARY}:{clause}" for q in questions), f"{seed_item}: no question on {clause}"
    assert any(tag in (q.tags or []) for q in questions), f"{seed_item}: no question tagged {tag}"
