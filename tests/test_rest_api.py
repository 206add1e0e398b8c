"""Twilio's REST API as the emulator serves it, over real HTTP."""

from __future__ import annotations

import email.utils
import json

import httpx
import pytest

from emulator.client import EmulatorClient, Provisioned
from emulator.server import EmulatorServer

FROM = "+15551230001"
TO = "+15557654321"


def test_bad_credentials_get_401_20003(emulator_server: EmulatorServer, account: Provisioned) -> None:
    url = f"{emulator_server.url}/2010-04-01/Accounts/{account.sid}/Messages.json"
    for auth in [None, (account.sid, "wrong"), ("AC" + "0" * 32, account.auth_token)]:
        response = httpx.get(url, auth=auth, trust_env=False)
        assert response.status_code == 401, response.text
        assert response.json() == {
            "code": 20003,
            "message": "Authenticate",
            "status": 401,
            "more_info": "https://www.twilio.com/docs/errors/20003",
        }
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_another_accounts_path_is_refused(
    emulator_server: EmulatorServer, emu: EmulatorClient, account: Provisioned
) -> None:
    other = emu.create_account()
    response = httpx.get(
        f"{emulator_server.url}/2010-04-01/Accounts/{other.sid}/Messages.json",
        auth=(account.sid, account.auth_token),
        trust_env=False,
    )
    assert response.status_code == 401


def test_create_message_shape(rest: httpx.Client, account: Provisioned) -> None:
    response = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "hello"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["account_sid"], body["from"], body["to"], body["body"]) == (account.sid, FROM, TO, "hello")
    assert (body["direction"], body["status"], body["num_segments"], body["num_media"]) == (
        "outbound-api",
        "queued",
        "1",
        "0",
    )
    assert body["uri"] == f"/2010-04-01/Accounts/{account.sid}/Messages/{body['sid']}.json"
    assert email.utils.parsedate_to_datetime(body["date_created"]).utcoffset().total_seconds() == 0
    assert body["date_created"].endswith("+0000")
    for key in (
        "messaging_service_sid",
        "error_code",
        "error_message",
        "price",
        "price_unit",
        "api_version",
        "date_sent",
        "date_updated",
        "subresource_uris",
    ):
        assert key in body


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": FROM, "Body": "x"}, 21604),
        ({"To": "5551234", "From": FROM, "Body": "x"}, 21211),
        ({"To": "+15005550001", "From": FROM, "Body": "x"}, 21211),
        ({"To": "+15005550002", "From": FROM, "Body": "x"}, 21612),
        ({"To": "+15005550003", "From": FROM, "Body": "x"}, 21408),
        ({"To": "+15005550004", "From": FROM, "Body": "x"}, 21610),
        ({"To": "+15005550009", "From": FROM, "Body": "x"}, 21614),
        ({"To": TO, "Body": "x"}, 21603),
        ({"To": TO, "From": "abc", "Body": "x"}, 21212),
        ({"To": TO, "From": "+15559990000", "Body": "x"}, 21606),
        ({"To": TO, "From": "+15005550001", "Body": "x"}, 21212),  # Twilio's magic From numbers
        ({"To": TO, "From": "+15005550007", "Body": "x"}, 21606),
        ({"To": TO, "From": "+15005550008", "Body": "x"}, 21611),
        ({"To": TO, "From": FROM}, 21602),
        ({"To": TO, "From": FROM, "Body": "x" * 1601}, 21617),
        ({"To": TO, "From": FROM, "Body": "x", "MediaUrl": [f"https://m.test/{i}.png" for i in range(11)]}, 21623),
        ({"To": TO, "MessagingServiceSid": "MG" + "0" * 32, "Body": "x"}, 21701),
        ({"To": "+442071838750", "From": FROM, "Body": "x"}, 21614),  # a UK landline
    ],
)
def test_create_validation_errors(rest: httpx.Client, form: dict, code: int) -> None:
    response = rest.post("/Messages.json", data=form)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code and body["status"] == 400
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def test_magic_from_is_valid_and_1600_chars_is_fine(rest: httpx.Client) -> None:
    response = rest.post("/Messages.json", data={"To": TO, "From": "+15005550006", "Body": "é" * 1600})
    assert response.status_code == 201, response.text
    assert response.json()["num_segments"] == "11"
    unicode = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "ê" * 71}).json()
    assert unicode["num_segments"] == "2"


def test_trial_account_only_reaches_verified_numbers(emulator_server: EmulatorServer, emu: EmulatorClient) -> None:
    trial = emu.create_account(trial=True, verified_caller_ids=[TO], numbers=[{"phone_number": "+15551239999"}])
    url = f"{emulator_server.url}/2010-04-01/Accounts/{trial.sid}/Messages.json"
    auth = (trial.sid, trial.auth_token)
    refused = httpx.post(url, auth=auth, data={"To": "+15550001111", "From": "+15551239999", "Body": "x"})
    assert refused.status_code == 400 and refused.json()["code"] == 21608
    sent = httpx.post(url, auth=auth, data={"To": TO, "From": "+15551239999", "Body": "x"})
    assert sent.status_code == 201
    assert sent.json()["body"] == "Sent from your Twilio trial account - x"


def test_lifecycle_reaches_delivered(rest: httpx.Client, emu: EmulatorClient) -> None:
    sid = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "x"}).json()["sid"]
    done = emu.wait(match={"sid": sid, "status": "delivered"}, timeout=5)
    assert [s for s, _ in done["status_history"]] == ["queued", "sending", "sent", "delivered"]
    fetched = rest.get(f"/Messages/{sid}.json").json()
    assert fetched["status"] == "delivered" and fetched["date_sent"] and fetched["price"].startswith("-")


def test_list_filters_and_paging(rest: httpx.Client) -> None:
    sids = [rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": f"m{i}"}).json()["sid"] for i in range(5)]
    rest.post("/Messages.json", data={"To": "+15550002222", "From": FROM, "Body": "other"})
    page = rest.get("/Messages.json", params={"To": TO, "PageSize": 2}).json()
    assert [m["sid"] for m in page["messages"]] == sids[::-1][:2]  # newest first
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
    assert page["previous_page_uri"] is None and "Page=0" in page["first_page_uri"]
    seen = [m["sid"] for m in page["messages"]]
    while page["next_page_uri"]:
        page = httpx.get(str(rest.base_url.copy_with(raw_path=page["next_page_uri"].encode())), auth=rest.auth).json()
        seen += [m["sid"] for m in page["messages"]]
    assert seen == sids[::-1]
    assert page["previous_page_uri"] is not None
    today = rest.get("/Messages.json", params={"From": FROM}).json()["messages"][0]["date_sent"]
    assert today is None or today.endswith("+0000")
    bad = rest.get("/Messages.json", params={"PageSize": 0})
    assert bad.status_code == 400
    forged = rest.get("/Messages.json", params={"PageSize": 2, "Page": 1, "PageToken": "PAnot-a-sid"})
    assert forged.status_code == 400 and forged.json()["code"] == 20001


def test_a_message_created_between_page_fetches_is_neither_repeated_nor_skipped(rest: httpx.Client) -> None:
    sids = [rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": f"m{i}"}).json()["sid"] for i in range(4)]
    page = rest.get("/Messages.json", params={"To": TO, "PageSize": 2}).json()
    seen = [m["sid"] for m in page["messages"]]
    rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "newer"})  # lands on page 0, ahead of the cursor
    page = httpx.get(str(rest.base_url.copy_with(raw_path=page["next_page_uri"].encode())), auth=rest.auth).json()
    seen += [m["sid"] for m in page["messages"]]
    assert seen == sids[::-1] and page["next_page_uri"] is None


def test_fetch_redact_delete_and_404(rest: httpx.Client, emu: EmulatorClient) -> None:
    sid = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "secret"}).json()["sid"]
    emu.wait(match={"sid": sid, "status": "delivered"}, timeout=5)
    assert rest.post(f"/Messages/{sid}.json", data={"Body": ""}).json()["body"] == ""
    assert rest.delete(f"/Messages/{sid}.json").status_code == 204
    missing = rest.get(f"/Messages/{sid}.json")
    assert missing.status_code == 404 and missing.json()["code"] == 20404


def test_unknown_path_is_twilio_404(rest: httpx.Client) -> None:
    response = rest.get("/Nope.json")
    assert response.status_code == 404 and response.json()["code"] == 20404


def test_incoming_phone_numbers_list_fetch_update(rest: httpx.Client, sink_url: str) -> None:
    listing = rest.get("/IncomingPhoneNumbers.json", params={"PhoneNumber": FROM}).json()
    assert [n["phone_number"] for n in listing["incoming_phone_numbers"]] == [FROM]
    number = listing["incoming_phone_numbers"][0]
    assert number["sid"].startswith("PN") and number["sms_method"] == "POST"
    assert number["sms_url"] == f"{sink_url}/webhooks/sms" and number["capabilities"]["sms"] is True
    assert (
        rest.get("/IncomingPhoneNumbers.json", params={"PhoneNumber": "+15550000000"}).json()["incoming_phone_numbers"]
        == []
    )
    updated = rest.post(
        f"/IncomingPhoneNumbers/{number['sid']}.json",
        data={"SmsUrl": "https://gw.example.test/sms", "SmsMethod": "GET"},
    ).json()
    assert (updated["sms_url"], updated["sms_method"]) == ("https://gw.example.test/sms", "GET")
    assert rest.get(f"/IncomingPhoneNumbers/{number['sid']}.json").json()["sms_method"] == "GET"


def test_messaging_service_fetch_and_update(
    emulator_server: EmulatorServer, emu: EmulatorClient, account: Provisioned
) -> None:
    service = emu.add_service(account.sid, inbound_request_url="https://gw.example.test/sms", numbers=[FROM])
    url = f"{emulator_server.url}/v1/Services/{service['sid']}"
    auth = (account.sid, account.auth_token)
    body = httpx.get(url, auth=auth).json()
    assert body["sid"].startswith("MG") and body["inbound_request_url"] == "https://gw.example.test/sms"
    assert body["inbound_method"] == "POST" and body["use_inbound_webhook_on_number"] is False
    assert body["date_created"].endswith("Z")
    changed = httpx.post(url, auth=auth, data={"UseInboundWebhookOnNumber": "true"}).json()
    assert changed["use_inbound_webhook_on_number"] is True
    assert httpx.get(f"{emulator_server.url}/v1/Services/MG{'0' * 32}", auth=auth).json()["code"] == 20404


def test_messaging_service_send_picks_a_sender(rest: httpx.Client, emu: EmulatorClient, account: Provisioned) -> None:
    service = emu.add_service(account.sid, numbers=[FROM])
    created = rest.post("/Messages.json", data={"To": TO, "MessagingServiceSid": service["sid"], "Body": "x"}).json()
    assert created["status"] == "accepted" and created["from"] is None
    assert created["messaging_service_sid"] == service["sid"]
    done = emu.wait(match={"sid": created["sid"], "status": "delivered"}, timeout=5)
    assert done["from"] == FROM


def test_account_fetch(emulator_server: EmulatorServer, account: Provisioned, emu: EmulatorClient) -> None:
    body = httpx.get(
        f"{emulator_server.url}/2010-04-01/Accounts/{account.sid}.json", auth=(account.sid, account.auth_token)
    ).json()
    assert body["sid"] == account.sid and body["status"] == "active" and body["type"] == "Full"
    # Twilio itself returns the token here; the emulator's record of the call must not.
    recorded = emu.calls(path=f"/2010-04-01/Accounts/{account.sid}.json")[-1]
    assert account.auth_token not in str(recorded)


def test_every_call_is_recorded_without_the_token(
    rest: httpx.Client, emu: EmulatorClient, account: Provisioned
) -> None:
    after = emu.cursor()
    answer = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "rec"}).json()
    calls = emu.calls(after=after)
    assert len(calls) == 1
    call = calls[0]
    assert (call["method"], call["auth"], call["status"], call["account_sid"]) == ("POST", "ok", 201, account.sid)
    assert ["Body", "rec"] in call["form"] and call["response"] == answer  # the answer kept whole, as sent
    assert account.auth_token not in str(emu.calls()) + str(emu.state()) + str(emu.messages())


@pytest.mark.parametrize("keyword", ["STOP", "revoke", "OPTOUT", "stopall"])
def test_opted_out_recipient_gets_21610(rest: httpx.Client, emu: EmulatorClient, keyword: str) -> None:
    emu.send_inbound(TO, FROM, keyword)
    refused = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "x"})
    assert refused.status_code == 400 and refused.json()["code"] == 21610
    emu.send_inbound(TO, FROM, "start")
    assert rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "x"}).status_code == 201


def test_a_call_record_keeps_its_answer_through_a_snapshot() -> None:
    """The call log holds answers deflated; a snapshot holds their text and loads back the same record."""
    from emulator.recorder import Recorder

    recorder = Recorder(lambda: 0)
    answer = json.dumps({"sid": "SM" + "1" * 32, "body": "héllo ✓ " * 300, "price": None})
    kept = recorder.append(
        "calls",
        seq=1,
        at=1.0,
        method="POST",
        host="h",
        path="/p",
        query=[["a", "1"]],
        form=[["Body", "x"]],
        account_sid=None,
        auth="ok",
        status=201,
        response=answer,
        duration_ms=1.0,
    )
    assert kept.response == answer and len(kept.packed or b"") < len(answer) // 4
    snapshot = json.loads(json.dumps(recorder.to_json()))
    assert snapshot["calls"][0]["response"] == answer and "packed" not in snapshot["calls"][0]
    again = Recorder(lambda: 0)
    again.load(snapshot)
    assert again["calls"][0].view() == kept.view() and kept.view()["response"] == json.loads(answer)
    assert kept.view()["form"] == [["Body", "x"]] and kept.view()["query"] == [["a", "1"]]  # as a query matches them
    older = json.loads(json.dumps(snapshot))  # a snapshot of an older emulator kept the answer as its JSON value
    older["calls"][0]["response"] = json.loads(answer)
    again.load(older)
    assert again["calls"][0].view() == kept.view()


def test_the_call_log_keeps_a_listed_page_as_its_sids(
    emu: EmulatorClient, rest: httpx.Client, account: Provisioned
) -> None:
    for body in ("one", "two"):
        sent = rest.post("/Messages.json", data={"To": "+15557654321", "From": account.numbers[0], "Body": body})
        assert sent.status_code == 201, sent.text
    page = rest.get("/Messages.json").json()
    call = emu.calls(method="GET")[-1]
    assert call["response"]["messages"] == [m["sid"] for m in page["messages"]] and len(page["messages"]) == 2
    assert call["response"]["page_size"] == page["page_size"]


def test_an_accounts_messages_are_listed_newest_first_from_its_own_list() -> None:
    from emulator.models import Backend

    backend = Backend(seed=3)
    mine, theirs = backend.create_account(), backend.create_account()
    made = [
        backend.new_message(mine.sid, "+15551230001", "+15557654321", f"m{i}", "outbound-api", "queued")
        for i in range(7)
    ]
    other = backend.new_message(theirs.sid, "+15551230002", "+15557654321", "x", "outbound-api", "queued")
    view = backend.list_messages(mine)
    assert [m.body for m in view] == [f"m{i}" for i in reversed(range(7))]
    assert [m.body for m in view[2:5]] == ["m4", "m3", "m2"] and view[-1] is made[0]
    assert view.position(made[3]) == 3 and view.position(other) is None
    made[3].status = "delivered"
    backend.delete_message(made[3])
    assert [m.body for m in backend.list_messages(mine)] == ["m6", "m5", "m4", "m2", "m1", "m0"]
    assert [m.body for m in backend.list_messages(mine, to="+15557654321")][:2] == ["m6", "m5"]


def test_a_listed_message_shows_its_latest_state(rest: httpx.Client, emu: EmulatorClient) -> None:
    """Pages splice each message's cached JSON: a change (status, redaction) must show on the next page."""
    emu.settings(status_pace_ms=200)
    try:
        sid = rest.post("/Messages.json", data={"To": TO, "From": FROM, "Body": "secret"}).json()["sid"]
        first = next(m for m in rest.get("/Messages.json").json()["messages"] if m["sid"] == sid)
        assert first["status"] in ("queued", "sending") and first["body"] == "secret"
        emu.wait(match={"sid": sid, "status": "delivered"}, timeout=5)
    finally:
        emu.settings(status_pace_ms=0)
    rest.post(f"/Messages/{sid}.json", data={"Body": ""})
    latest = next(m for m in rest.get("/Messages.json").json()["messages"] if m["sid"] == sid)
    assert (latest["status"], latest["body"]) == ("delivered", "")
