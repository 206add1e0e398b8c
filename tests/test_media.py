"""Media: a handset's MMS files as Twilio hosts them, and outbound MediaUrls Twilio fetches."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from twilio.rest import Client

from emulator.client import EmulatorClient, EmulatorError, Provisioned
from emulator.server import EmulatorServer
from tests.sink import Answer, Sink

HANDSET = "+15557654321"
NUMBER = "+15551230001"


def send_picture(emu: EmulatorClient, size: int = 3000) -> dict:
    return emu.send_inbound(HANDSET, NUMBER, "look", [{"content_type": "image/png", "size": size}])["message"]


def test_a_handset_picture_is_a_media_resource_behind_basic_auth_and_a_cdn_redirect(
    emu: EmulatorClient, account: Provisioned, rest: httpx.Client, emulator_server: EmulatorServer
) -> None:
    message = send_picture(emu)
    (item,) = message["media"]
    assert message["num_media"] == "1" and item["size"] == 3000
    listing = rest.get(f"/Messages/{message['sid']}/Media.json").json()
    (resource,) = listing["media_list"]
    assert (resource["sid"], resource["parent_sid"], resource["content_type"]) == (
        item["sid"],
        message["sid"],
        "image/png",
    )
    assert resource["uri"].endswith(f"/Media/{item['sid']}.json")
    file_path = f"/Messages/{message['sid']}/Media/{item['sid']}"
    with httpx.Client(base_url=str(rest.base_url), trust_env=False) as anonymous:
        assert anonymous.get(file_path).status_code == 401
    redirect = rest.get(file_path)
    assert redirect.status_code == 307
    link = httpx.URL(redirect.headers["location"])
    assert link.host == "mms.twiliocdn.com"
    with httpx.Client(base_url=emulator_server.url, trust_env=False) as cdn:
        served = cdn.get(link.raw_path.decode())
        forged = cdn.get(link.path, params={"Expires": link.params["Expires"], "Signature": "0" * 40})
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content.startswith(b"\x89PNG") and hashlib.sha256(served.content).hexdigest() == item["sha256"]
    assert forged.status_code == 403


def test_media_can_be_deleted_and_is_then_gone(emu: EmulatorClient, rest: httpx.Client) -> None:
    message = send_picture(emu)
    path = f"/Messages/{message['sid']}/Media/{message['media'][0]['sid']}.json"
    assert rest.delete(path).status_code == 204
    gone = rest.get(path)
    assert gone.status_code == 404 and gone.json()["code"] == 20404


def test_without_the_redirect_setting_the_file_is_served_by_the_api(emu: EmulatorClient, rest: httpx.Client) -> None:
    emu.settings(media_redirect=False)
    try:
        message = send_picture(emu, 500)
        served = rest.get(f"/Messages/{message['sid']}/Media/{message['media'][0]['sid']}")
    finally:
        emu.settings(media_redirect=True)
    assert served.status_code == 200 and len(served.content) == 500


@pytest.mark.parametrize(
    ("media", "says"),
    [
        ([{"content_type": "png", "size": 10}], "media[0].content_type"),
        ([{"content_type": "image/png"}], "media[0]: give 'size'"),
        ([{"content_type": "image/png", "size": 10}], "media[0]: a image/png file is at least"),
        ([{"content_type": "image/png", "data": "%%%"}], "media[0]: 'data' must be base64"),
        ([{"content_type": "image/png", "size": 6 * 1024 * 1024}], "size must be between"),
        ("not a list", "inbound.media must be a list"),
    ],
)
def test_bad_handset_files_get_a_clear_400(emu: EmulatorClient, account: Provisioned, media: object, says: str) -> None:
    with pytest.raises(EmulatorError) as caught:
        emu.send_inbound(HANDSET, NUMBER, "x", media)  # type: ignore[arg-type]
    assert caught.value.status == 400 and says in str(caught.value)


def test_the_media_redirect_setting_must_be_a_boolean(emu: EmulatorClient) -> None:
    with pytest.raises(EmulatorError) as caught:
        emu.settings(media_redirect=1)
    assert caught.value.status == 400 and "media_redirect must be true or false" in str(caught.value)


def test_the_twilio_sdk_lists_a_messages_media(twilio: Client, emu: EmulatorClient) -> None:
    message = send_picture(emu)
    (item,) = twilio.messages(message["sid"]).media.list()
    assert (item.sid, item.content_type, item.parent_sid) == (message["media"][0]["sid"], "image/png", message["sid"])


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (Answer(200, "PNGDATA", content_type="image/png"), "delivered", None),
        (Answer(200, "<html></html>", content_type="text/html"), "failed", 12300),
        (Answer(404, "missing", content_type="text/plain"), "failed", 11200),
    ],
)
def test_an_outbound_media_url_is_fetched_before_sending(
    emu: EmulatorClient, rest: httpx.Client, sink: Sink, answer: Answer, status: str, code: int | None
) -> None:
    sink.answers["/files/pic"] = answer
    created = rest.post("/Messages.json", data={"From": NUMBER, "To": HANDSET, "MediaUrl": f"{sink.url}/files/pic"})
    assert created.status_code == 201 and created.json()["sid"].startswith("MM")
    done = emu.wait("messages", match={"sid": created.json()["sid"], "status": status}, timeout=10)
    assert done["error_code"] == code
    fetch = emu.wait("deliveries", match={"kind": "media_fetch", "message_sid": done["sid"]}, timeout=5)
    assert fetch["url"] == f"{sink.url}/files/pic" and fetch["attempts"][0]["status"] == answer.status
    if status == "delivered":
        assert [(m["content_type"], m["size"], m["source"]) for m in done["media"]] == [
            ("image/png", 7, f"{sink.url}/files/pic")
        ]


def test_a_media_url_that_is_not_http_is_refused_with_21620(rest: httpx.Client) -> None:
    refused = rest.post("/Messages.json", data={"From": NUMBER, "To": HANDSET, "MediaUrl": "ftp://files/pic.png"})
    assert refused.status_code == 400 and refused.json()["code"] == 21620
