"""Inbound webhooks and status callbacks: form, headers, signature, failures, faults."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm
from werkzeug.datastructures import MultiDict

from emulator.client import EmulatorClient, EmulatorError, Provisioned
from emulator.faults import SIGNATURE_VARIANTS
from tests.sink import Answer, Sink

FROM_HANDSET = "+15557654321"
NUMBER = "+15551230001"
PUBLIC = "https://gw.example.test"


def valid(account: Provisioned, url: str, received) -> bool:
    signature = received.headers.get("X-Twilio-Signature")
    return signature is not None and RequestValidator(account.auth_token).validate(
        url, MultiDict(received.form), signature
    )


def test_inbound_form_headers_and_signature(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    result = emu.send_inbound(FROM_HANDSET, NUMBER, "héllo 👋", [{"content_type": "image/png", "size": 2048}])
    (received,) = sink.wait_for(1)
    form = dict(received.form)
    message = result["message"]
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == message["sid"]
    assert (form["From"], form["To"], form["Body"]) == (FROM_HANDSET, NUMBER, "héllo 👋")
    assert (form["AccountSid"], form["SmsStatus"], form["ApiVersion"]) == (account.sid, "received", "2010-04-01")
    (media,) = message["media"]
    assert (form["NumMedia"], form["MediaUrl0"], form["MediaContentType0"]) == (
        "1",
        f"https://api.twilio.com/2010-04-01/Accounts/{account.sid}/Messages/{message['sid']}/Media/{media['sid']}",
        "image/png",
    )
    assert message["sid"].startswith("MM") and media["size"] == 2048
    assert form["NumSegments"] == "1" and form["FromCountry"] == "US" and form["ToCity"]
    assert "MessagingServiceSid" not in form
    assert received.headers["User-Agent"] == "TwilioProxy/1.1"
    assert received.headers["I-Twilio-Idempotency-Token"]
    assert received.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert valid(account, f"{sink.url}/webhooks/sms", received)
    assert message["direction"] == "inbound" and message["status"] == "received" and message["error_code"] is None
    (delivery,) = result["deliveries"]
    assert delivery["outcome"] == "delivered" and delivery["attempts"][0]["status"] == 200


def test_signature_covers_the_public_url_and_routes_deliver_locally(emu: EmulatorClient, sink: Sink) -> None:
    account = emu.create_account(
        numbers=[{"phone_number": "+15551230002", "sms_url": f"{PUBLIC}/webhooks/sms?tenant=a"}]
    )
    emu.add_route(PUBLIC, sink.url)
    emu.send_inbound(FROM_HANDSET, "+15551230002", "hi")
    (received,) = sink.wait_for(1)
    assert received.path == "/webhooks/sms" and received.query == "tenant=a"
    assert valid(account, f"{PUBLIC}/webhooks/sms?tenant=a", received)
    assert not valid(account, f"{sink.url}/webhooks/sms?tenant=a", received)


def test_unrouted_public_url_is_11210_without_any_connection(emu: EmulatorClient) -> None:
    emu.create_account(numbers=[{"phone_number": "+15551230003", "sms_url": "https://nowhere.example.test/sms"}])
    result = emu.send_inbound(FROM_HANDSET, "+15551230003", "hi")
    assert result["message"]["error_code"] == 11210
    assert result["deliveries"][0]["attempts"][0]["error"] == "bad_host"


@pytest.mark.parametrize("status", [403, 404, 405, 500])
def test_non_2xx_is_11200_on_the_message(emu: EmulatorClient, account: Provisioned, sink: Sink, status: int) -> None:
    sink.answers["/webhooks/sms"] = Answer(status=status, body="Invalid signature")
    result = emu.send_inbound(FROM_HANDSET, NUMBER, "hi")
    assert result["message"]["error_code"] == 11200
    assert result["deliveries"][0]["attempts"][0]["status"] == status
    assert result["deliveries"][0]["attempts"][0]["body"] == "Invalid signature"
    listed = emu.messages(sid=result["message"]["sid"])[0]
    assert listed["error_code"] == 11200 and listed["error_message"] == "HTTP retrieval failure"


def test_get_method_sends_params_in_query_and_signs_full_url(emu: EmulatorClient, sink: Sink) -> None:
    account = emu.create_account(
        numbers=[{"phone_number": "+15551230004", "sms_url": f"{sink.url}/sms", "sms_method": "GET"}]
    )
    emu.send_inbound(FROM_HANDSET, "+15551230004", "hi")
    (received,) = sink.wait_for(1)
    assert received.method == "GET" and "MessageSid=" in received.query and received.body == b""
    full = f"{sink.url}/sms?{received.query}"
    assert RequestValidator(account.auth_token).validate(full, {}, received.headers["X-Twilio-Signature"])


def test_messaging_service_webhook_and_number_override(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    service = emu.add_service(account.sid, inbound_request_url=f"{sink.url}/service", numbers=[NUMBER])
    emu.send_inbound(FROM_HANDSET, service["sid"], "to the service")
    emu.send_inbound(FROM_HANDSET, NUMBER, "to the number")
    first, second = sink.wait_for(2)
    assert first.path == second.path == "/service"
    assert dict(first.form)["MessagingServiceSid"] == service["sid"]
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        http.post(f"{emu.base_url}/v1/Services/{service['sid']}", data={"UseInboundWebhookOnNumber": "true"})
    emu.send_inbound(FROM_HANDSET, NUMBER, "number webhook now")
    assert sink.wait_for(3)[2].path == "/webhooks/sms"


def test_keywords_reply_and_still_reach_the_webhook(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    after = emu.cursor()
    emu.send_inbound(FROM_HANDSET, NUMBER, "stop")
    emu.send_inbound(FROM_HANDSET, NUMBER, "HELP")
    assert len(sink.wait_for(2)) == 2
    replies = emu.messages(after=after, direction="outbound-reply")
    assert [r["to"] for r in replies] == [FROM_HANDSET, FROM_HANDSET]
    assert "unsubscribed" in replies[0]["body"] and "Reply STOP" in replies[1]["body"]


def test_twiml_message_becomes_a_reply(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    sink.answers["/webhooks/sms"] = Answer(body="<Response><Message>pong</Message></Response>")
    after = emu.cursor()
    emu.send_inbound(FROM_HANDSET, NUMBER, "ping")
    reply = emu.wait(after=after, match={"direction": "outbound-reply", "status": "delivered"}, timeout=5)
    assert (reply["body"], reply["to"], reply["from"]) == ("pong", FROM_HANDSET, NUMBER)


def test_status_callbacks_are_signed_and_honour_overrides(
    emu: EmulatorClient, account: Provisioned, sink: Sink
) -> None:
    callback = f"{sink.url}/status#rp=ct,rt,5xx&rt=5000&rc=1"
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        sid = http.post(
            f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json",
            data={"To": FROM_HANDSET, "From": NUMBER, "Body": "x", "StatusCallback": callback},
        ).json()["sid"]
    received = sink.wait_for(2)
    assert [dict(r.form)["MessageStatus"] for r in received] == ["sent", "delivered"]  # none for queued
    for r in received:
        form = dict(r.form)
        assert (form["MessageSid"], form["AccountSid"], form["From"], form["To"]) == (
            sid,
            account.sid,
            NUMBER,
            FROM_HANDSET,
        )
        assert valid(account, f"{sink.url}/status", r)  # the fragment is not signed


@pytest.mark.parametrize("algorithm", ["HMAC_SHA256", "HMAC_SHA1"])
def test_a_number_that_opted_in_signs_with_its_shared_key(
    emu: EmulatorClient, account: Provisioned, sink: Sink, algorithm: str
) -> None:
    """As Twilio's SDK checks it: the SharedKey's secret and the algorithm the settings header names."""
    number = next(n for n in emu.state()["numbers"] if n["phone_number"] == NUMBER)
    key = emu.update_number(number["sid"], webhook_signing=algorithm)["webhook_signing"]
    assert key["key_sid"].startswith("webhooks_sharedkey_") and key["algorithm"] == algorithm
    listed = next(n for n in emu.state()["numbers"] if n["sid"] == number["sid"])["webhook_signing"]
    assert listed == dict(key, secret="[redacted]"), "the secret is shown once, as an auth token is"
    emu.send_inbound(FROM_HANDSET, NUMBER, "signed with a shared key")
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        http.post(
            f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json",
            data={"To": FROM_HANDSET, "From": NUMBER, "Body": "x", "StatusCallback": f"{sink.url}/status"},
        )
    received = sink.wait_for(3)  # the inbound webhook, then the callbacks for sent and delivered
    for request, url in zip(received, [f"{sink.url}/webhooks/sms"] + [f"{sink.url}/status"] * 2, strict=True):
        settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
        assert settings == f"key={key['key_sid']},algorithm={algorithm}"
        signature, form = request.headers["X-Twilio-Signature"], MultiDict(request.form)
        assert RequestValidator(key["secret"]).validate(url, form, signature, get_signature_algorithm(settings))
        assert not valid(account, url, request), "signed with the auth token, not the shared key"
    emu.update_number(number["sid"], webhook_signing=None)
    emu.send_inbound(FROM_HANDSET, NUMBER, "back to the auth token")
    last = sink.wait_for(4)[-1]
    assert SIGNATURE_SETTINGS_HEADER not in last.headers and valid(account, f"{sink.url}/webhooks/sms", last)


def test_webhook_signing_takes_only_twilios_algorithms(emu: EmulatorClient, account: Provisioned) -> None:
    number = emu.state()["numbers"][0]
    with pytest.raises(EmulatorError) as refused:
        emu.update_number(number["sid"], webhook_signing="MD5")
    assert refused.value.status == 400 and "HMAC_SHA256" in str(refused.value.body)


def test_status_callback_retries_on_5xx_when_policy_says(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    sink.answers["/status"] = Answer(status=503)
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        http.post(
            f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json",
            data={"To": FROM_HANDSET, "From": NUMBER, "Body": "x", "StatusCallback": f"{sink.url}/status#rp=5xx&rc=2"},
        )
    delivery = emu.wait("deliveries", match={"kind": "status_callback", "outcome": "failed"}, timeout=5)
    assert [a["status"] for a in delivery["attempts"]] == [503, 503, 503]


@pytest.mark.parametrize("variant", SIGNATURE_VARIANTS)
def test_signature_faults_break_the_signature(emu: EmulatorClient, sink: Sink, variant: str) -> None:
    account = emu.create_account(
        numbers=[{"phone_number": "+15551230005", "sms_url": f"{PUBLIC}:8443/webhooks/sms?x=1"}]
    )
    emu.add_route(f"{PUBLIC}:8443", sink.url)
    emu.add_fault("signature", {"variant": variant}, phone_number="+15551230005")
    emu.send_inbound(FROM_HANDSET, "+15551230005", "tampered")
    emu.send_inbound(FROM_HANDSET, "+15551230005", "clean again")  # the fault was for one delivery
    tampered, clean = sink.wait_for(2)
    url = f"{PUBLIC}:8443/webhooks/sms?x=1"
    signature = tampered.headers.get("X-Twilio-Signature")
    exact = signature is not None and signature == RequestValidator(account.auth_token).compute_signature(
        url, MultiDict(tampered.form)
    )
    assert not exact, f"{variant} left the signature valid"
    assert valid(account, url, clean)


def test_unreachable_timeout_slow_duplicate_faults(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    emu.add_fault("webhook_unreachable", account_sid=account.sid)
    assert emu.send_inbound(FROM_HANDSET, NUMBER, "a")["message"]["error_code"] == 11205
    sink.answers["/webhooks/sms"] = Answer(delay=1.0)
    emu.add_fault("webhook_timeout", {"timeout_ms": 200})
    timed_out = emu.send_inbound(FROM_HANDSET, NUMBER, "b")
    assert timed_out["message"]["error_code"] == 11200
    # rc=1 would retry, but tt (= rt here, as Twilio's defaults) bounds both attempts together
    assert [a["error"] for a in timed_out["deliveries"][0]["attempts"]] == ["timeout"]
    sink.answers.clear()
    emu.add_fault("webhook_slow", {"delay_ms": 300})
    slow = emu.send_inbound(FROM_HANDSET, NUMBER, "c")
    assert slow["message"]["error_code"] is None and slow["deliveries"][0]["faults"]
    emu.add_fault("duplicate_delivery", {"copies": 3})
    dup = emu.send_inbound(FROM_HANDSET, NUMBER, "d")
    assert len(dup["deliveries"]) == 3
    sids = {dict(r.form)["MessageSid"] for r in sink.received if dict(r.form).get("Body") == "d"}
    assert sids == {dup["message"]["sid"]}


def test_status_out_of_order_and_message_outcome(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    emu.add_fault("status_out_of_order")
    emu.add_fault("message_outcome", {"status": "undelivered", "error_code": 30006}, times=None)
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        sid = http.post(
            f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json",
            data={"To": FROM_HANDSET, "From": NUMBER, "Body": "x", "StatusCallback": f"{sink.url}/status"},
        ).json()["sid"]
    received = sink.wait_for(2)
    statuses = [dict(r.form)["MessageStatus"] for r in received]
    assert statuses == ["undelivered", "sent"]
    assert dict(received[0].form)["ErrorCode"] == "30006"
    message = emu.messages(sid=sid)[0]
    assert message["status"] == "undelivered" and message["error_code"] == 30006
    assert message["error_message"] == "Landline or unreachable carrier"  # each code says its own reason


def test_rest_faults(emu: EmulatorClient, account: Provisioned) -> None:
    emu.add_fault("rest_error", {"status": 429, "code": 20429, "path_contains": "Messages"}, times=2)
    url = f"{emu.base_url}/2010-04-01/Accounts/{account.sid}/Messages.json"
    with httpx.Client(auth=(account.sid, account.auth_token)) as http:
        codes = [http.get(url).status_code for _ in range(3)]
        assert codes == [429, 429, 200]
        assert http.get(url).status_code == 200
        emu.add_fault("rest_error", {"status": 400, "code": 21610}, phone_number=FROM_HANDSET)
        refused = http.post(url, data={"To": FROM_HANDSET, "From": NUMBER, "Body": "x"})
        assert refused.json()["code"] == 21610
        emu.add_fault("rest_error", {"status": 400, "code": 21610, "body_contains": "second"})
        bodies = ["first part", "second part", "second again"]
        codes = [http.post(url, data={"To": FROM_HANDSET, "From": NUMBER, "Body": b}).status_code for b in bodies]
        assert codes == [201, 400, 201]  # only the matching create, and only once
        emu.add_fault("rest_latency", {"delay_ms": 300})
        assert http.get(url).elapsed.total_seconds() >= 0.3


def test_tt_bounds_every_attempt_together(emu: EmulatorClient, account: Provisioned) -> None:
    """`#rt=1000&rc=3&tt=1500` against a webhook that never answers fails within 1.5 s, not 4 attempts of 1 s."""
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        emu.add_number(
            account.sid, phone_number="+15551230077", sms_url=f"http://127.0.0.1:{port}/sms#rt=1000&rc=3&tt=1500"
        )
        started = time.monotonic()
        result = emu.send_inbound(FROM_HANDSET, "+15551230077", "hello?")
        elapsed = time.monotonic() - started
    delivery = result["deliveries"][0]
    assert delivery["outcome"] == "failed" and delivery["error_code"] == 11200
    assert len(delivery["attempts"]) == 2 and elapsed < 2.5, (elapsed, delivery["attempts"])


def test_after_the_primary_webhook_fails_the_fallback_url_is_requested(
    emu: EmulatorClient, account: Provisioned, sink: Sink
) -> None:
    emu.add_number(
        account.sid,
        phone_number="+15551230088",
        sms_url="http://127.0.0.1:9/closed",
        sms_fallback_url=f"{sink.url}/fallback",
    )
    sink.answers["/fallback"] = Answer(body="<Response><Message>from the fallback</Message></Response>")
    result = emu.send_inbound(FROM_HANDSET, "+15551230088", "hello")
    primary, fallback = result["deliveries"]
    assert (primary["kind"], primary["outcome"], primary["error_code"]) == ("inbound", "failed", 11205)
    assert (fallback["kind"], fallback["outcome"]) == ("inbound_fallback", "delivered")
    assert result["message"]["error_code"] == 11205  # the primary's failure stays logged
    received = sink.wait_for(1)[0]
    url = f"{sink.url}/fallback"
    assert RequestValidator(account.auth_token).validate(
        url, dict(received.form), received.headers["X-Twilio-Signature"]
    )
    reply = emu.wait("messages", match={"direction": "outbound-reply", "to": FROM_HANDSET}, timeout=5)
    assert reply["body"] == "from the fallback"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Answer(body="<Response>" + "x" * 70_000 + "</Response>"), 11750),
        (Answer(body='{"ok": true}', content_type="application/json"), 12300),
    ],
)
def test_an_answer_twilio_cannot_use_is_logged_and_not_retried(
    emu: EmulatorClient, account: Provisioned, sink: Sink, answer: Answer, code: int
) -> None:
    sink.answers["/webhooks/sms"] = answer
    result = emu.send_inbound(FROM_HANDSET, NUMBER, "hello")
    delivery = result["deliveries"][0]
    assert (delivery["outcome"], delivery["error_code"], len(delivery["attempts"])) == ("failed", code, 1)
    assert result["message"]["error_code"] == code


def test_forged_forms_are_the_forms_the_emulator_posts(emu: EmulatorClient, account: Provisioned, sink: Sink) -> None:
    """The harness forges a webhook with the same fields, in the same order, as Twilio's (the emulator's)."""
    from types import SimpleNamespace

    from faker import Faker

    from harness.forged import Forged

    emu.send_inbound(FROM_HANDSET, NUMBER, "hi")
    posted = list(MultiDict(sink.wait_for(1)[0].form).keys())
    world = SimpleNamespace(
        fake=Faker(),
        account=lambda name="main": SimpleNamespace(sid=account.sid, number=NUMBER),
        phone=lambda name: FROM_HANDSET,
    )
    forged = Forged(world).inbound_form("A", "hi")  # type: ignore[arg-type]
    assert list(forged) == posted
    assert (forged["From"], forged["To"], forged["AccountSid"], forged["NumSegments"]) == (
        FROM_HANDSET,
        NUMBER,
        account.sid,
        "1",
    )


def test_a_restart_resumes_every_outbound_lifecycle_under_way_and_only_those() -> None:
    """What a restart picks up (the dispatcher's `resume`): a REST create still under way; not an
    inbound message, nor Twilio's own auto-reply (already delivered)."""
    from emulator.models import Backend

    backend = Backend(seed=4)
    account = backend.create_account()
    backend.add_number(account.sid, NUMBER)
    created = backend.create_message(account, to=FROM_HANDSET, from_=NUMBER, body="x")
    backend.receive(FROM_HANDSET, NUMBER, "STOP", [])  # inbound, then an auto-reply already delivered
    assert len(backend.messages) == 3
    assert backend.under_way() == [created]
