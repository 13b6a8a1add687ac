"""Conformance: the real `simple-salesforce` client (pinned in requirements.txt) against a running
`orgsync sim --tls`. Run by ../run.sh, which starts the simulator and sets:

  SIM_URL             https://127.0.0.1:PORT (simple-salesforce only speaks https)
  SIM_CONTACTS        the --contacts the simulator was seeded with (more than one 2,000-record batch)
  REQUESTS_CA_BUNDLE  the simulator's self-signed certificate (GET /__sim/certificate)

The control API (/__sim/...) is the independent view of the org every assertion is checked against.
"""

import datetime as dt
import os
import re
import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import (
    Salesforce,
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

SIM_URL = os.environ["SIM_URL"].rstrip("/")
SEEDED_CONTACTS = int(os.environ["SIM_CONTACTS"])
API = "62.0"
CLIENT_ID = "3MVG9orgsyncSIMULATORconnectedAppConsumerKey0000000000000000000000000000000"
CLIENT_SECRET = "ORGSYNC5IMULAT0R5ECRET"
ADMIN = "admin@orgsync-sim.example"
ADMIN_PASSWORD = "sim-password-0"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def control(method, path, **kwargs):
    response = requests.request(method, f"{SIM_URL}/__sim{path}", timeout=30, **kwargs)
    assert response.status_code < 300, f"{method} /__sim{path}: {response.status_code} {response.text}"
    return response


def contact_ids(include_deleted=False):
    """Every Contact id (sorted) as the control API sees them."""
    suffix = "?include_deleted=true" if include_deleted else ""
    body = control("GET", f"/records/Contact{suffix}").json()
    assert body["totalSize"] == len(body["records"])
    return sorted(r["Id"] for r in body["records"])


def password_grant(username=ADMIN, password=ADMIN_PASSWORD):
    response = requests.post(
        f"{SIM_URL}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": username,
            "password": password,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def salesforce_for(token):
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], version=API)


@pytest.fixture
def sf():
    """A simple-salesforce client on a fresh access token (direct session: no re-login)."""
    return salesforce_for(password_grant())


def salesforce_time(at):
    """A datetime in the REST API's format, to the millisecond: 2025-03-01T10:00:00.000+0000."""
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def test_the_org_holds_the_seeded_contacts(sf):
    # Runs first (pytest keeps file order): nothing has been created or deleted yet.
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == SEEDED_CONTACTS
    assert len(contact_ids(include_deleted=True)) == SEEDED_CONTACTS


def test_password_grant_token_points_at_the_simulator():
    token = password_grant()
    assert token["token_type"] == "Bearer"
    assert token["instance_url"] == SIM_URL
    org = control("GET", "/org").json()
    admin = org["users"][0]
    assert token["id"] == f"{SIM_URL}/id/{org['org_id']}/{admin['id']}"
    assert token["access_token"].startswith(org["org_id"][:15] + "!")
    assert re.fullmatch(r"\d{13}", token["issued_at"])


def test_query_pages_in_batches_of_2000(sf):
    expected = contact_ids()
    assert len(expected) > 2000, "the simulator must hold more than one batch of Contacts"
    users = {u["Id"]: u["Name"] for u in control("GET", "/records/User").json()["records"]}

    first = sf.query("SELECT Id, LastName, Owner.Name FROM Contact ORDER BY Id")
    assert first["totalSize"] == len(expected)
    assert first["done"] is False
    assert len(first["records"]) == 2000
    assert re.fullmatch(r"/services/data/v62\.0/query/01g\w+-2000", first["nextRecordsUrl"])
    record = first["records"][0]
    assert list(record) == ["attributes", "Id", "LastName", "Owner"]
    assert record["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v62.0/sobjects/Contact/{record['Id']}",
    }
    owner = control("GET", f"/records/Contact/{record['Id']}").json()["OwnerId"]
    assert record["Owner"]["attributes"]["type"] == "User"
    assert record["Owner"]["Name"] == users[owner]

    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["totalSize"] == len(expected)
    assert len(second["records"]) == min(2000, len(expected) - 2000)
    paged = [r["Id"] for r in first["records"] + second["records"]]
    assert paged == expected[: len(paged)]

    everything = sf.query_all("SELECT Id FROM Contact ORDER BY Id")
    assert everything["totalSize"] == len(expected)
    assert [r["Id"] for r in everything["records"]] == expected


def test_batch_size_header_sets_the_page_size(sf):
    expected = contact_ids()
    calls = []
    sf.session.hooks["response"].append(lambda response, *args, **kwargs: calls.append(response.url))
    options = {"Sforce-Query-Options": "batchSize=500"}
    first = sf.query("SELECT Id FROM Contact ORDER BY Id", headers=options)
    assert len(first["records"]) == 500
    assert first["nextRecordsUrl"].endswith("-500")
    calls.clear()
    everything = sf.query_all("SELECT Id FROM Contact ORDER BY Id", headers=options)
    assert [r["Id"] for r in everything["records"]] == expected
    assert len(calls) == -(-len(expected) // 500), "one request per 500-record page"
    assert sum("/query/01g" in url for url in calls) == len(calls) - 1


def test_create_update_delete_contact(sf):
    created = sf.Contact.create(
        {"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@example.com", "Phone": "+1 202 555 0100"}
    )
    assert created["success"] is True
    assert created["errors"] == []
    contact_id = created["id"]
    assert re.fullmatch(r"003\w{15}", contact_id)

    record = sf.Contact.get(contact_id)
    assert record["Id"] == contact_id
    assert record["Name"] == "Grace Hopper"
    assert record["Email"] == "grace@example.com"
    assert record["IsDeleted"] is False
    assert record["OwnerId"] == control("GET", "/org").json()["users"][0]["id"]

    assert sf.Contact.update(contact_id, {"Phone": "+1 202 555 0199", "Title": "Rear Admiral"}) == 204
    record = sf.Contact.get(contact_id)
    assert (record["Phone"], record["Title"]) == ("+1 202 555 0199", "Rear Admiral")
    assert record["LastModifiedDate"] >= record["CreatedDate"]
    assert control("GET", f"/records/Contact/{contact_id}").json()["Title"] == "Rear Admiral"
    found = sf.query("SELECT Id, Title FROM Contact WHERE Email = 'GRACE@example.com'")
    assert found["totalSize"] == 1
    assert found["records"][0]["Title"] == "Rear Admiral"

    assert sf.Contact.delete(contact_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as deleted:
        sf.Contact.get(contact_id)
    assert deleted.value.status == 404
    assert deleted.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert control("GET", f"/records/Contact/{contact_id}").json()["IsDeleted"] is True

    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Contact.create({"FirstName": "NoLastName"})
    assert missing.value.status == 400
    assert missing.value.content == [
        {"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}
    ]


def test_query_all_includes_deleted_records(sf):
    last_name = f"Recycled-{uuid.uuid4().hex[:12]}"
    created = sf.Contact.create({"FirstName": "Deleted", "LastName": last_name})
    assert sf.Contact.delete(created["id"]) == 204
    soql = f"SELECT Id, IsDeleted, LastName FROM Contact WHERE LastName = '{last_name}'"
    assert sf.query_all(soql)["totalSize"] == 0
    recycled = sf.query_all(soql, include_deleted=True)
    assert recycled["totalSize"] == 1
    assert recycled["records"][0]["Id"] == created["id"]
    assert recycled["records"][0]["IsDeleted"] is True

    live, every = contact_ids(), contact_ids(include_deleted=True)
    assert len(every) > len(live) > 2000
    first = sf.query("SELECT Id, IsDeleted FROM Contact ORDER BY Id", include_deleted=True)
    assert first["totalSize"] == len(every)
    assert "/query/01g" in first["nextRecordsUrl"], "queryAll pages through /query/ too"
    everything = sf.query_all("SELECT Id, IsDeleted FROM Contact ORDER BY Id", include_deleted=True)
    assert [r["Id"] for r in everything["records"]] == every
    assert sorted(r["Id"] for r in everything["records"] if r["IsDeleted"]) == sorted(set(every) - set(live))


def test_describe(sf):
    described = sf.describe()
    assert list(described) == ["encoding", "maxBatchSize", "sobjects"]
    assert (described["encoding"], described["maxBatchSize"]) == ("UTF-8", 200)
    by_name = {s["name"]: s for s in described["sobjects"]}
    assert {"Contact", "Lead", "Task", "User"} <= set(by_name)
    assert by_name["Contact"]["keyPrefix"] == "003"
    assert by_name["Lead"]["keyPrefix"] == "00Q"
    assert by_name["Contact"]["urls"]["describe"] == "/services/data/v62.0/sobjects/Contact/describe"

    contact = sf.Contact.describe()
    assert contact["name"] == "Contact"
    assert contact["keyPrefix"] == "003"
    fields = {f["name"]: f for f in contact["fields"]}
    assert (fields["Id"]["type"], fields["Id"]["createable"]) == ("id", False)
    assert (fields["LastName"]["type"], fields["LastName"]["nillable"]) == ("string", False)
    assert fields["Email"]["type"] == "email"
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert [v["value"] for v in fields["Salutation"]["picklistValues"]][:2] == ["Mr.", "Ms."]


def test_updated_and_deleted(sf):
    now = dt.datetime.now(dt.timezone.utc)
    stamp = (now - dt.timedelta(minutes=5)).replace(microsecond=0)
    changed, removed = contact_ids()[-2:]
    control("PATCH", f"/records/Contact/{changed}", params={"stamp": salesforce_time(stamp)}, json={"Title": "Changed earlier"})
    control("DELETE", f"/records/Contact/{removed}", params={"stamp": salesforce_time(stamp)})

    start = now - dt.timedelta(minutes=10)
    covered = salesforce_time(now.replace(second=0, microsecond=0))
    updated = sf.Contact.updated(start, now)
    assert changed in updated["ids"]
    assert removed not in updated["ids"]
    assert updated["latestDateCovered"] == covered

    deleted = sf.Contact.deleted(start, now)
    assert {"id": removed, "deletedDate": salesforce_time(stamp)} in deleted["deletedRecords"]
    assert changed not in [d["id"] for d in deleted["deletedRecords"]]
    assert deleted["latestDateCovered"] == covered
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000\+0000", deleted["earliestDateAvailable"])

    with pytest.raises(SalesforceMalformedRequest) as backwards:
        sf.Contact.updated(now, start)
    assert backwards.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_limits_and_api_usage(sf):
    limits = sf.limits()
    daily = limits["DailyApiRequests"]
    usage = sf.api_usage["api-usage"]
    org = control("GET", "/org").json()
    assert daily["Max"] == usage.total == org["daily_api_max"]
    assert daily["Remaining"] == daily["Max"] - usage.used
    assert usage.used == org["api_usage"]
    sf.query("SELECT Id FROM Contact LIMIT 1")
    assert sf.api_usage["api-usage"].used == usage.used + 1


def test_expired_access_token_raises_salesforce_expired_session(sf):
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == len(contact_ids())
    control("POST", "/tokens/expire-access")
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM Contact LIMIT 1")
    assert type(expired.value) is SalesforceExpiredSession
    assert expired.value.status == 401
    assert expired.value.content == INVALID_SESSION
    with pytest.raises(SalesforceExpiredSession):
        sf.Contact.get(contact_ids()[0])
    # A new token works again.
    assert salesforce_for(password_grant()).query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1


class LoginToSimulator(HTTPAdapter):
    """simple-salesforce's password login posts to https://login.salesforce.com: send it to the
    simulator instead (everything after the login goes to the returned instance_url)."""

    def send(self, request, **kwargs):
        request.url = SIM_URL + request.url[len("https://login.salesforce.com") :]
        return super().send(request, **kwargs)


def login_session():
    session = requests.Session()
    session.mount("https://login.salesforce.com/", LoginToSimulator())
    return session


def test_username_password_login_and_relogin_after_expiry():
    sf = Salesforce(
        username=ADMIN,
        password=ADMIN_PASSWORD,
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        session=login_session(),
        version=API,
    )
    assert f"https://{sf.sf_instance}" == SIM_URL
    before = sf.session_id
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == len(contact_ids())
    control("POST", "/tokens/expire-access")
    # simple-salesforce logs in again on INVALID_SESSION_ID and retries.
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == len(contact_ids())
    assert sf.session_id != before

    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(
            username=ADMIN,
            password="wrong-password",
            consumer_key=CLIENT_ID,
            consumer_secret=CLIENT_SECRET,
            session=login_session(),
            version=API,
        )
    assert refused.value.code == "invalid_grant"
    assert refused.value.auth_message == "authentication failure"
