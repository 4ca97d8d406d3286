def test_healthz_reports_the_database(client, engine_name):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["engine"] == engine_name
    assert body["database"]["revision"]


def test_dashboard_for_a_member(login, manager, org):
    response = login(manager).get(f"/o/{org.slug}/")
    assert response.status_code == 200
    assert "Alpha Telecom" in response.get_data(as_text=True)
