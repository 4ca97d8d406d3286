"""The organisation's complaint-handling settings and categories."""

from __future__ import annotations

from sqlalchemy import select

from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category
from auditkit.extensions import db
from auditkit.orgs.models import Organisation


def form(org, **overrides) -> dict:
    data = {"version": str(org.version), "reference_pattern": "ALP-{year}-{seq:04}", "working_days": ["5", "6", "0"],
            "holidays": "2026-03-21\n2026-03-22", "customers": "12000"}
    for severity in ("low", "medium", "high", "critical"):
        for step, value in (("acknowledge", "2"), ("respond", "20")):
            data[f"{severity}_{step}"], data[f"{severity}_{step}_unit"] = value, "business_days"
    return {**data, **overrides}


def test_a_manager_sets_targets_week_holidays_and_pattern(login, manager, org):
    response = login(manager).post(f"/o/{org.slug}/complaints/settings/", data=form(org, critical_acknowledge="4",
                                                                                   critical_acknowledge_unit="hours"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    saved = db.session.get(Organisation, org.id).settings["complaints"]
    assert saved["working_days"] == [0, 5, 6] and saved["holidays"] == ["2026-03-21", "2026-03-22"]
    assert saved["targets"]["critical"]["acknowledge"] == [4, "hours"] and saved["customers"] == 12000
    organisation = db.session.get(Organisation, org.id)
    complaint, _code = receive_complaint(organisation, NewComplaint(description="x", email="a@example.org"),
                                         actor_id=None, actor_label="t")
    assert complaint.reference.startswith("ALP-") and complaint.reference.endswith("-0001")


def test_bad_settings_name_the_field_and_change_nothing(login, manager, org):
    response = login(manager).post(f"/o/{org.slug}/complaints/settings/", data=form(
        org, reference_pattern="NOSEQ", working_days=[], holidays="21/03/2026", high_respond="0"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The pattern needs {seq}" in page and "21/03/2026 is not a date" in page
    db.session.expire_all()
    assert "complaints" not in (db.session.get(Organisation, org.id).settings or {})


def test_others_read_but_cannot_change_the_settings(login, viewer, org):
    client = login(viewer)
    assert client.get(f"/o/{org.slug}/complaints/settings/").status_code == 200
    assert client.post(f"/o/{org.slug}/complaints/settings/", data=form(org)).status_code == 403


def test_categories_start_from_the_default_tree_and_can_grow(login, manager, org):
    client = login(manager)
    client.get(f"/o/{org.slug}/complaints/settings/")
    billing = db.session.execute(select(Category).where(Category.organisation_id == org.id,
                                                        Category.code == "billing")).scalar_one()
    assert client.post(f"/o/{org.slug}/complaints/settings/categories", data={
        "code": "billing-roaming", "name": "Roaming charges", "parent_id": str(billing.id)}).status_code == 302
    page = client.get(f"/o/{org.slug}/complaints/settings/").get_data(as_text=True)
    assert "Roaming charges" in page
    client.post(f"/o/{org.slug}/complaints/settings/categories", data={"code": "billing", "name": "Again"})
    assert "This code is taken." in client.get(f"/o/{org.slug}/complaints/settings/").get_data(as_text=True)


def _category(org, code: str) -> Category:
    return db.session.execute(select(Category).where(Category.organisation_id == org.id,
                                                     Category.code == code)).scalar_one()


def test_a_category_is_renamed_and_moved_with_its_subcategories_never_under_itself(login, manager, viewer, org):
    client = login(manager)
    client.get(f"/o/{org.slug}/complaints/settings/")
    billing, service, refund = (_category(org, code) for code in ("billing", "service", "billing-refund"))
    url = f"/o/{org.slug}/complaints/settings/categories"
    # Billing (with its two subcategories) goes under customer service, renamed.
    assert client.post(f"{url}/{billing.id}", data={"name": "Charges", "parent_id": str(service.id)}).status_code == 302
    db.session.expire_all()
    assert (_category(org, "billing").name, _category(org, "billing").parent_id) == ("Charges", service.id)
    page = client.get(f"/o/{org.slug}/complaints/settings/").get_data(as_text=True)
    assert "Category changed." in page
    # The tree reads depth first: customer service, its own two, then Charges and its two.
    codes = [code for code in ("service", "service-attitude", "service-delay", "billing", "billing-error",
                               "billing-refund", "information") if f">{code}</code>" in page]
    assert sorted(codes, key=lambda code: page.index(f">{code}</code>")) == codes
    # Never under itself or its own subcategory; a name is needed; nothing changes then.
    for data, says in (({"name": "Charges", "parent_id": str(refund.id)}, "cannot go under itself"),
                       ({"name": "Charges", "parent_id": str(billing.id)}, "cannot go under itself"),
                       ({"name": " ", "parent_id": ""}, "")):
        client.post(f"{url}/{billing.id}", data=data)
        db.session.expire_all()
        assert (_category(org, "billing").name, _category(org, "billing").parent_id) == ("Charges", service.id)
        if says:
            assert says in client.get(f"/o/{org.slug}/complaints/settings/").get_data(as_text=True)
    # Back to the top; a viewer may not change it.
    assert client.post(f"{url}/{billing.id}", data={"name": "Billing", "parent_id": ""}).status_code == 302
    db.session.expire_all()
    assert _category(org, "billing").parent_id is None
    assert login(viewer).post(f"{url}/{billing.id}", data={"name": "X", "parent_id": ""}).status_code == 403


def test_a_new_category_comes_after_its_siblings(login, manager, org):
    client = login(manager)
    client.get(f"/o/{org.slug}/complaints/settings/")
    billing = _category(org, "billing")
    client.post(f"/o/{org.slug}/complaints/settings/categories", data={
        "code": "billing-roaming", "name": "Roaming charges", "parent_id": str(billing.id)})
    page = client.get(f"/o/{org.slug}/complaints/settings/").get_data(as_text=True)
    order = [page.index(f">{code}</code>") for code in ("billing", "billing-error", "billing-refund",
                                                        "billing-roaming", "service")]
    assert order == sorted(order)
