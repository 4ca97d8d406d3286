"""Organisations, memberships, settings, switching between organisations and the language switch."""

from __future__ import annotations

from sqlalchemy import select

from auditkit.accounts.models import User
from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation


def members_of(organisation) -> dict[str, str]:
    rows = db.session.execute(select(User.email, Membership.role).join(Membership)
                              .where(Membership.organisation_id == organisation.id))
    return dict(rows.all())


def test_a_manager_adds_a_new_person_who_gets_a_one_time_password(login, manager, org, app):
    client = login(manager)
    response = client.post(f"/o/{org.slug}/members",
                           data={"email": "New.Person@Example.org", "name": "New Person", "role": "handler"})
    assert response.status_code == 200
    assert 'id="temporary-password"' in response.get_data(as_text=True)
    assert members_of(org)["new.person@example.org"] == "handler"
    user = db.session.execute(select(User).where(User.email == "new.person@example.org")).scalar_one()
    assert user.must_change_password


def test_a_manager_adds_an_existing_account_and_not_twice(login, manager, org, make):
    existing = make.user(email="known@example.org")
    client = login(manager)
    assert client.post(f"/o/{org.slug}/members", data={"email": existing.email, "role": "viewer"}).status_code == 302
    response = client.post(f"/o/{org.slug}/members", data={"email": existing.email, "role": "auditor"})
    assert response.status_code == 422
    assert "is already a member" in response.get_data(as_text=True)
    assert members_of(org)[existing.email] == "viewer"


def test_bad_member_input_names_the_field_and_writes_nothing(login, manager, org):
    client = login(manager)
    before = members_of(org)
    response = client.post(f"/o/{org.slug}/members", data={"email": "not-an-email", "role": "boss"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and 'id="role-error"' in page
    assert members_of(org) == before


def test_the_last_manager_can_be_neither_removed_nor_demoted(login, manager, org):
    membership = manager.memberships[0]
    client = login(manager)
    response = client.post(f"/o/{org.slug}/members/{membership.id}", data={"role": "viewer"})
    assert response.status_code == 422
    assert "at least one manager" in response.get_data(as_text=True)
    client.post(f"/o/{org.slug}/members/{membership.id}/remove")
    assert members_of(org)[manager.email] == "manager"


def test_a_manager_removes_a_member(login, manager, viewer, org):
    client = login(manager)
    response = client.post(f"/o/{org.slug}/members/{viewer.memberships[0].id}/remove")
    assert response.status_code == 302
    assert viewer.email not in members_of(org)


def test_settings_refuse_a_stale_version_with_409(login, manager, org):
    client = login(manager)
    data = {"name": "New name", "locale": "fa", "timezone": "Asia/Tehran", "version": str(org.version)}
    assert client.post(f"/o/{org.slug}/settings", data=data).status_code == 302
    response = client.post(f"/o/{org.slug}/settings", data={**data, "name": "Lost update"})
    assert response.status_code == 409
    db.session.expire_all()
    saved = db.session.get(Organisation, org.id)
    assert (saved.name, saved.locale, saved.timezone, saved.version) == ("New name", "fa", "Asia/Tehran", 2)


def test_settings_name_the_bad_field(login, manager, org):
    client = login(manager)
    response = client.post(f"/o/{org.slug}/settings",
                           data={"name": "", "locale": "xx", "timezone": "Mars/Olympus", "version": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and 'id="locale-error"' in page and 'id="timezone-error"' in page


def test_a_consultant_switches_between_client_organisations(login, make, org, other_org):
    consultant = make.member(org, Role.CONSULTANT)
    make.member(other_org, Role.CONSULTANT, user=consultant)
    client = login(consultant)
    page = client.get(f"/o/{org.slug}/members").get_data(as_text=True)
    # One click to the same page of the other organisation.
    assert f'href="/o/{other_org.slug}/members" data-org="{other_org.slug}"' in page
    assert client.get(f"/o/{other_org.slug}/members").status_code == 200
    assert client.get("/").location.endswith(f"/o/{other_org.slug}/")  # remembers the last one


def test_the_administrator_creates_an_organisation(login, admin):
    client = login(admin)
    response = client.post("/admin/organisations/", data={
        "name": "Gamma Bank", "slug": "gamma-bank", "locale": "zh_Hant", "timezone": "Asia/Taipei"})
    assert response.status_code == 302
    created = db.session.execute(select(Organisation).where(Organisation.slug == "gamma-bank")).scalar_one()
    assert created.locale == "zh_Hant"
    response = client.post(f"/admin/organisations/{created.id}",
                           data={"email": "boss@gamma.example", "role": "manager"})
    assert 'id="temporary-password"' in response.get_data(as_text=True)
    assert members_of(created) == {"boss@gamma.example": "manager"}


def test_organisation_slugs_are_checked(login, admin, org):
    client = login(admin)
    for slug, message in (("Bad Slug!", "lower-case letters"), (org.slug, "taken")):
        response = client.post("/admin/organisations/", data={
            "name": "X", "slug": slug, "locale": "en", "timezone": "UTC"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_unknown_organisation_and_record_answer_404(login, manager, org):
    client = login(manager)
    assert client.get("/o/no-such-org/").status_code == 404
    assert client.get(f"/o/{org.slug}/members/999999").status_code == 404


def test_language_switch_gives_a_right_to_left_page(login, manager, org):
    client = login(manager)
    response = client.post("/language", data={"locale": "fa", "next": f"/o/{org.slug}/"})
    assert response.status_code == 302 and response.location.endswith(f"/o/{org.slug}/")
    page = client.get(f"/o/{org.slug}/").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page and "vazirmatn" in page
    db.session.expire_all()
    assert db.session.get(User, manager.id).locale == "fa"


def test_the_organisation_language_applies_until_a_person_chooses(login, make):
    chinese = make.organisation(slug="zh-org", locale="zh_Hans")
    user = make.member(chinese, Role.VIEWER)
    page = login(user).get("/o/zh-org/").get_data(as_text=True)
    assert '<html lang="zh-Hans" dir="ltr">' in page
