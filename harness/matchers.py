"""What a scenario expects, checked against what the emulator and the gateway show: the
`Then` side of the steps. A mixin of `World`; each failure says what was expected and what was
seen, with the emulator's transcript (`World.fail`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from emulator import media, signing
from emulator.client import WaitTimeout
from harness import redaction
from harness.drivers.base import CliResult, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Callable

    from emulator.client import EmulatorClient
    from harness.drivers.base import GatewayDriver

# OpenClaw lists a turn's attachments as "[media attached 1/2: <path> (<type>)]" ("[media attached: …]" for one)
ATTACHMENT = re.compile(r"\[media attached(?: \d+/\d+)?: [^\n]*? \(([^()\n]+)\)\]")


def long_landmarks(markdown: str) -> list[str]:
    """Lines of the long answer that any faithful plain-text rendering keeps, in order."""
    marks = []
    for line in markdown.splitlines():
        heading = re.match(r"#+ (.*)", line)
        if heading:
            marks.append(heading.group(1))
        elif re.match(r"- step \d+\.\d+: [a-z ]+", line):
            marks.append(re.match(r"- (step \d+\.\d+: [a-z ]+)", line).group(1))
    return marks


LONG_LANDMARKS_TAIL = "step 8.3: read the reply"


def unbreakable(length: int) -> str:
    """A text with nowhere to break: digits with no spaces, so order is visible too."""
    return "".join(str(i % 10) for i in range(length))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _joined(messages: list[dict[str, Any]]) -> str:
    return _squash(" ".join(m["body"] for m in sorted(messages, key=lambda m: m["seq"])))


def pairing_code(body: str) -> str | None:
    found = re.search(r"\b([A-Z0-9]{8})\b", body.split("Pairing code:")[-1])
    return found.group(1) if found else None


def _forms(calls: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c.get('status')} Body={dict(c['form']).get('Body', '')[:80]!r}" for c in calls) or "none"


def _short(messages: list[dict[str, Any]]) -> str:
    return "; ".join(f"{m.get('to')}: {str(m.get('body'))[:120]!r}" for m in messages) if messages else ""


@dataclass(frozen=True)
class PairingCodes:
    """The pairing codes phones were sent in a scenario: a value passed between its steps (a
    pytest-bdd target fixture), not state kept on the World."""

    by_phone: dict[str, str] = field(default_factory=dict)
    last: str = ""

    def with_code(self, phone: str, code: str) -> PairingCodes:
        return PairingCodes({**self.by_phone, phone: code}, code)


class Expectations:
    """The matchers scenarios assert with."""

    emu: EmulatorClient
    driver: GatewayDriver
    start_seq: int
    quiet_seconds: float
    reply_timeout: float
    last_cli: CliResult | None
    last_http: httpx.Response | None
    answers: list[tuple[int, str]]
    last_inbound: dict[str, Any] | None
    last_probe: dict[str, Any] | None
    asked: str | None
    chunks: list[dict[str, Any]]
    file_sent: bytes
    file_sent_type: str
    hosted_id: str
    turns_before: int | None

    # -- messages to a phone ------------------------------------------------------------------------

    def counted(self, seen: Callable[[], list[dict[str, Any]]], count: int) -> list[dict[str, Any]]:
        """What `seen` lists once it holds `count` items (within the reply timeout: a slow agent is not a
        missing reply) and nothing more can come of the last action."""
        deadline = time.monotonic() + self.reply_timeout
        while len(seen()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        self.wait_quiet()
        return seen()

    def expect_messages_to(
        self,
        phone: str,
        *,
        bodies: list[str] | None = None,
        count: int | None = None,
        lengths: list[int] | None = None,
        none: bool = False,
        containing: str = "",
        without: list[str] | None = None,
        chunks_of: int | None = None,
        least: int = 1,
        with_file: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """The messages that reach a phone. `bodies`: exactly these (or, for an answer asked of the agent,
        what the gateway's profile renders instead), in order, and no more; `count`:
        exactly this many within the reply timeout (a slow agent is not a missing reply), then none
        in the quiet window; `lengths`: messages of these lengths that join into the requested text;
        `none`: nothing (`containing` the text) within the quiet window; `without`: no message holds
        any of these; `chunks_of`: at least `least` messages of at most that many characters, until
        the long answer's last line is in (kept for expect_joined_chunks); `with_file`: a message with
        this text whose one file is the one the operator attached. One of them per call; each failure
        shows what did arrive."""
        if none:
            self.wait_quiet()
            got = [m for m in self.outbound(phone, after=self.start_seq) if containing in (m.get("body") or "")]
            if got:
                what = f"containing {containing!r} " if containing else ""
                self.fail(f"no message {what}to phone {phone} within {self.quiet_seconds:g}s", _short(got))
        elif count is not None:
            got = self.counted(lambda: self.outbound(phone, after=self.mark), count)
            if len(got) != count:
                self.fail(f"exactly {count} message(s) to phone {phone}", f"{len(got)}: {_short(got)}")
        elif bodies is not None:
            if self.asked is not None:  # the agent's answer as this gateway renders it
                bodies = self.driver.profile.rendering(self.asked, bodies)
            seen = [m["body"] for m in self.wait_replies(phone, len(bodies))]
            if seen != bodies:
                self.fail(
                    f"{len(bodies)} message(s) to phone {phone}, in order: {json.dumps(bodies, ensure_ascii=False)}",
                    f"{len(seen)} message(s): {json.dumps(seen, ensure_ascii=False)}",
                )
        elif lengths is not None:
            got = self.wait_replies(phone, len(lengths))
            seen_lengths = [len(m["body"]) for m in got]
            if seen_lengths != lengths or "".join(m["body"] for m in got) != unbreakable(sum(lengths)):
                self.fail(
                    f"messages of {lengths} characters that join into the requested text",
                    f"{seen_lengths}: {_short(got)}",
                )
        elif without is not None:
            for message in self.outbound(phone, after=self.mark):
                present = [t for t in without if t in message["body"]]
                if present:
                    self.fail(f"no {present} in messages to phone {phone}", message["body"][:600])
        elif chunks_of is not None:
            got = self.wait_replies(phone, least)
            deadline = time.monotonic() + self.reply_timeout
            while LONG_LANDMARKS_TAIL not in _joined(got) and time.monotonic() < deadline:
                time.sleep(0.2)
                got = sorted(self.outbound(phone, after=self.mark), key=lambda m: m["seq"])
            if [len(m["body"]) for m in got if len(m["body"]) > chunks_of] or len(got) < least:
                self.fail(
                    f"at least {least} message(s) of at most {chunks_of} characters",
                    f"{len(got)} message(s) of lengths {[len(m['body']) for m in got]}",
                )
            self.chunks = got
        elif with_file is not None:
            body, spec = with_file
            message = self.wait_reply(phone, exactly=body)
            want = [
                {
                    "content_type": spec["content_type"],
                    "size": spec["size"],
                    "sha256": hashlib.sha256(self.file_sent).hexdigest(),
                }
            ]
            deadline = time.monotonic() + self.reply_timeout
            while True:
                got_files = [{k: m[k] for k in ("content_type", "size", "sha256")} for m in message.get("media") or []]
                if got_files == want:
                    return
                if time.monotonic() >= deadline:
                    self.fail(
                        f"the message {body!r} to phone {phone} with the file {want}", f"files {got_files}: {message}"
                    )
                time.sleep(0.1)
                message = next(m for m in self.emu.messages(after=self.mark) if m["sid"] == message["sid"])
        else:
            raise TypeError(
                "expect_messages_to needs one of bodies, count, lengths, none, without, chunks_of, with_file"
            )

    def expect_deliveries(
        self,
        *,
        each_answered: int | None = None,
        inbound_error: int | None = None,
        status_callback: str | None = None,
        signed_with: str | None = None,
    ) -> None:
        """Twilio's side of the last exchange. `each_answered`: the inbound message was delivered at
        least twice (a duplicate fault) and every copy got this status; `inbound_error`: Twilio logged
        this error code on it; `status_callback`: a callback with this MessageStatus was delivered to
        the gateway (waiting for it within the reply timeout); `signed_with`: the inbound webhook was
        signed with a SharedKey and this algorithm, and said so in its settings header."""
        if each_answered is not None:
            deliveries = (self.last_inbound or {}).get("deliveries", [])
            seen = [d["attempts"][-1].get("status") for d in deliveries]
            if len(seen) < 2 or any(s != each_answered for s in seen):
                self.fail(f"at least 2 deliveries, each answered {each_answered}", str(seen))
        if signed_with is not None:
            deliveries = (self.last_inbound or {}).get("deliveries", [])
            seen_headers = [d["headers"].get(signing.SETTINGS_HEADER) for d in deliveries]
            if not seen_headers or any(h is None or not h.endswith(f",algorithm={signed_with}") for h in seen_headers):
                self.fail(f"{signing.SETTINGS_HEADER}: key=…,algorithm={signed_with} on the webhook", str(seen_headers))
        if inbound_error is not None:
            sid = (self.last_inbound or {}).get("message", {}).get("sid")
            listed = self.emu.messages(sid=sid) if sid else []
            seen_code = listed[0]["error_code"] if listed else None
            if seen_code != inbound_error:
                self.fail(f"Twilio error {inbound_error} logged on inbound message {sid}", f"error_code {seen_code}")
        if status_callback is not None:
            try:
                self.emu.wait(
                    "deliveries",
                    after=self.start_seq,
                    match={"kind": "status_callback", "outcome": "delivered"},
                    contains={"form": f"'MessageStatus', '{status_callback}'"},
                    timeout=self.reply_timeout,
                )
            except WaitTimeout as exc:
                self.fail(f"a status callback {status_callback!r} delivered to the gateway", str(exc.seen)[:1000])

    def expect_agent(self, *, turns: int | None = None, given: tuple[list[str], str] | None = None) -> None:
        """The agent's side. `turns`: exactly this many turns once nothing more can come of the last
        action (a turn can start seconds late); `given`: its newest prompt holds the text and lists
        exactly these attachments (by content type)."""
        if turns is not None:
            self.wait_quiet()
            seen = self.driver.agent_turns()
            if seen != turns:
                self.fail(f"{turns} agent turn(s) within {self.quiet_seconds:g}s", f"{seen}")
        if given is not None:
            files, text = given
            self.wait_turn()
            prompts = [r["user_text"] for r in self.emu.model_requests(after=self.mark)]
            if not prompts:
                self.fail("an agent turn with the message", "no model request since the message went in")
            prompt = prompts[-1]
            attached = ATTACHMENT.findall(prompt)
            if attached != files or text not in prompt:
                self.fail(
                    f"the agent given the files {files} and the text {text!r}", f"files {attached}; prompt:\n{prompt}"
                )

    # -- the answer to a request ----------------------------------------------------------------------

    def expect_answer(
        self,
        status: int | None,
        body: str | None = None,
        *,
        of: str = "request",
        content_type: str | None = None,
        header: tuple[str, str] | None = None,
    ) -> None:
        """The gateway's answer: `of="webhook"` to the emulator's last inbound delivery, else to the
        request the scenario sent itself; its status, body (stripped), Content-Type and a header.
        A body or type the gateway's profile spells its own way is compared as it spells it."""
        profile = self.driver.profile
        body, content_type = profile.answer(body, status), profile.answer(content_type, status)
        if of == "webhook":
            attempt = self.delivery()["attempts"][-1]
            seen = (attempt.get("status"), (attempt.get("body") or "").strip())
            if seen != (status, body):
                self.fail(
                    f"the webhook to answer {status} {body!r}", f"{seen[0]} {seen[1]!r} (error: {attempt.get('error')})"
                )
            got_type = {k.lower(): v for k, v in attempt.get("headers", {}).items()}.get("content-type", "")
            if content_type and content_type not in got_type:
                self.fail(f"Content-Type {content_type}", got_type or "none")
            return
        if self.last_http is None:
            self.fail("a request to the webhook", "none was sent")
        response = self.last_http
        if header is not None:
            name, value = header[0], self.driver.profile.header(*header)
            seen_header = response.headers.get(name)
            if seen_header != value:
                self.fail(
                    f"the answer's header {name}: {value}" if value is not None else f"no header {name}",
                    f"{name}: {seen_header}" if seen_header is not None else "no such header",
                )
        if status is None:
            return
        seen_type = response.headers.get("content-type", "")
        if (
            response.status_code != status
            or (body is not None and response.text.strip() != body)
            or (
                content_type is not None and seen_type.replace(" ", "").lower() != content_type.replace(" ", "").lower()
            )
        ):
            self.fail(
                f"HTTP {status}"
                + (f" with body {body!r}" if body is not None else "")
                + (f" as {content_type}" if content_type else ""),
                f"HTTP {response.status_code} with body {response.text.strip()[:300]!r} as {seen_type or 'no type'}",
            )

    def expect_file_served(self, name: str, *, body: bool = True) -> None:
        """The answer to the hosted file's own URL: 200, the operator's file whole (its type and length; its
        bytes unless `body` is False, as for HEAD), shown inline as `name` (`<id>`: the first ten characters
        of the file's id), never to be cached or sniffed."""
        response = self.last_http
        if response is None:
            self.fail("a request for the hosted file", "none was sent")
        want = {
            "status": 200,
            "content-type": self.file_sent_type,
            "content-length": str(len(self.file_sent)),
            "content-disposition": f'inline; filename="{name.replace("<id>", self.hosted_id[:10])}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            "body": hashlib.sha256(self.file_sent if body else b"").hexdigest(),
        }
        seen = {k: response.headers.get(k) for k in want if k not in ("status", "body")}
        seen |= {"status": response.status_code, "body": hashlib.sha256(response.content).hexdigest()}
        if seen != want:
            self.fail(f"the hosted file: {want}", f"{seen}")

    # -- the gateway's Messages.json requests --------------------------------------------------------

    def expect_send_requests(
        self,
        *,
        none: bool = False,
        params: dict[str, str | None] | None = None,
        to_phone: str | None = None,
        from_account: str = "main",
        count: int | None = None,
    ) -> None:
        """What the gateway asked Twilio to send. `count`: exactly so many requests, once nothing more
        comes; `none`: no request at all; `params`: every request
        has these form values (None: not sent); `to_phone`: every request to that phone was made as
        `from_account` (its SID, credentials and number)."""
        requests = self.sent_requests()
        if count is not None:
            to = self.phone(to_phone) if to_phone else None
            requests = self.counted(
                lambda: [c for c in self.sent_requests() if to is None or dict(c["form"]).get("To") == to], count
            )
            if len(requests) != count:
                where = f" to phone {to_phone}" if to_phone else ""
                self.fail(f"exactly {count} Messages.json request(s){where}", f"{len(requests)}: {_forms(requests)}")
            return
        if none:
            if requests:
                self.fail("no Messages.json request", f"{len(requests)} request(s)")
            return
        if to_phone is not None:
            acct = self.account(from_account)
            requests = [c for c in requests if dict(c["form"]).get("To") == self.phone(to_phone)]
            if not requests:
                self.fail(f"a Messages.json request to phone {to_phone}", "none")
            for call in requests:
                form = dict(call["form"])
                seen = (call["account_sid"], call["auth"], form.get("From"), call["path"])
                wanted = (acct.sid, "ok", acct.number, f"/2010-04-01/Accounts/{acct.sid}/Messages.json")
                if seen != wanted:
                    self.fail(f"sent as account {acct.sid} (auth ok) from {acct.number}", str(seen))
        if not requests:
            self.fail("a Messages.json request", "none")
        for name, value in (params or {}).items():
            for call in requests:
                seen_value = dict(call["form"]).get(name)
                if seen_value != value:
                    self.fail(f"{name}={value!r} on every Messages.json request", f"{name}={seen_value!r}")

    # -- the pairing list ------------------------------------------------------------------------------

    def expect_pairing_list(self, phone: str, *, listed: bool = True, code: str | None = None) -> None:
        """`pairing list sms` shows the phone (with that code, when one is given), or does not."""
        entries = self.pairing_entries()
        shown = [(e.sender, e.code) for e in entries]
        codes = code is not None and "pairing_list" not in self.driver.lacks
        present = any(e.sender == self.phone(phone) and (not listed or not codes or e.code == code) for e in entries)
        if listed and not present:
            self.fail(f"phone {phone} ({self.phone(phone)}) with code {code} in `pairing list sms`", str(shown))
        if not listed and present:
            self.fail(f"phone {phone} absent from `pairing list sms`", str(shown))
        if listed and code is not None:
            self.listed_code()  # the phone is listed; whether with that code, only a gateway that shows codes can say

    def listed_code(self) -> None:
        """A step that reads a code from `pairing list` needs a gateway that shows codes there."""
        if "pairing_list" in self.driver.lacks:
            raise NotApplicable(self.driver.name, "pairing_list", "a pending code read from `pairing list`")

    # -- the rest -------------------------------------------------------------------------------------

    def expect_pairing_reply(self, phone: str, quoting: str | None = None) -> str:
        """A pairing reply with an 8-character code reaches the phone; with `quoting` (a code read
        before), it carries the words of the gateway's profile: OpenClaw's name the phone's number and
        `openclaw pairing approve sms <that code>`."""
        body = self.wait_reply(phone)["body"]
        code = pairing_code(body)
        if code is None:
            self.fail("a pairing reply with an 8-character code of capital letters and digits", body)
        if quoting is not None:
            words = [w.format(phone=self.phone(phone), code=quoting) for w in self.driver.profile.pairing_reply[0]]
            missing = [w for w in words if w not in body]
            if missing:
                self.fail(f"the pairing reply to contain {missing}", body)
        return code

    def expect_no_pairing_code(self, phone: str) -> None:
        """The phone gets no pairing code: exactly what the gateway's profile says a sender gets when the
        pending requests are full (OpenClaw: nothing at all; a gateway with a "busy" reply: that, once)."""
        busy = self.driver.profile.pairing_busy[0]
        wanted = [] if busy is None else [busy]
        got = self.counted(lambda: self.outbound(phone, after=self.mark), len(wanted))
        if [m.get("body") for m in got] != wanted:
            what = f"exactly {busy!r}, once" if busy else "nothing"
            self.fail(f"no pairing code for phone {phone}: {what}", _short(got) or "nothing")

    def expect_joined_chunks(self, *, read_as: str | None = None, contains: str | None = None) -> None:
        """The chunks of the long reply, joined: in order, every landmark of the markdown `read_as`
        (headings, steps); or the text `contains`."""
        joined = _joined(self.chunks)
        if contains is not None and _squash(contains) not in joined:
            self.fail(f"{contains!r} in the reply", joined[:800])
        position = 0
        for landmark in long_landmarks(read_as or ""):
            found = joined.find(_squash(landmark), position)
            if found < 0:
                self.fail(
                    f"the chunks, in order, to contain {landmark!r} after position {position}",
                    joined[max(0, position - 200) : position + 400],
                )
            position = found + len(_squash(landmark))

    def expect_answers(self, expected: list[tuple[int, str]]) -> None:
        """Every answer to the last load of requests, in order: status and body (as the profile spells it)."""
        want = [(status, self.driver.profile.answer(body, status)) for status, body in expected]
        seen = self.answers
        if seen != want:
            wrong = next((i for i, pair in enumerate(zip(seen, want, strict=False)) if pair[0] != pair[1]), None)
            where = f"answer {wrong + 1} was {seen[wrong]}" if wrong is not None else f"{len(seen)} answers"
            self.fail(f"{len(want)} answers: {want[0]} … {want[-1]}", where)

    def expect_media_fetched(self, count: int, from_cdn: bool = False, times: int | None = None) -> None:
        """`count` distinct files of the last accepted inbound message asked for, every time with the
        account's credentials (`times` requests in all, when given); `from_cdn`: `count` files downloaded
        from the CDN after Twilio's redirect."""
        if not from_cdn and not self.admitted:
            self.fail(
                f"{count} files of a message the gateway accepted", "no message was accepted since the last action"
            )
        self.wait_turn()  # the plugin fetches a message's files before the agent turn starts
        files, cdn = self.media_requests()
        if from_cdn:
            if len([c for c in cdn if c["status"] == 200]) != count:
                self.fail(
                    f"{count} file(s) downloaded from {media.CDN_HOST} after Twilio's redirect",
                    json.dumps(
                        [{k: c[k] for k in ("host", "path", "status", "response")} for c in files + cdn], indent=1
                    ),
                )
            return
        sid = self.admitted[-1]
        requests = [c["path"] for c in files if f"/Messages/{sid}/Media/" in c["path"]]
        wrong_times = times is not None and len(requests) != times
        if len(set(requests)) != count or wrong_times or any(c["auth"] != "ok" for c in files):
            self.fail(
                f"{count} of message {sid}'s Media files requested"
                + (f", {times} requests in all" if times is not None else "")
                + ", each with the account's credentials",
                json.dumps([{k: c[k] for k in ("path", "auth", "status")} for c in files], indent=1),
            )

    def expect_probe(
        self,
        path: str | None = None,
        value: Any = None,
        *,
        negated: bool = False,
        mentions: str | None = None,
        unconfigured: str | None = None,
    ) -> None:
        """The status probe's JSON: the value at `path` (dotted), or not it (`negated`); or the part at
        `path` mentioning a text; `unconfigured`: the first account is not configured, for a reason
        naming the text."""
        data = self.last_probe or self.probe()
        if unconfigured is not None:
            account = (data.get("accounts") or [{}])[0]
            if account.get("configured") is not False or unconfigured not in json.dumps(account):
                self.fail(
                    f"an account with configured: false and a reason naming {unconfigured!r}",
                    json.dumps(account, indent=2),
                )
            return
        if mentions is not None:
            if mentions not in json.dumps(data.get(path or "")):
                self.fail(f"probe {path} mentioning {mentions!r}", json.dumps(data, indent=2)[:2000])
            return
        seen: Any = data
        for key in (path or "").split("."):
            seen = seen.get(key) if isinstance(seen, dict) else None
        if (seen == value) == negated:
            self.fail(f"probe {path} {'not ' if negated else ''}{value!r}", json.dumps(data, indent=2)[:2000])

    def expect_cli(self, ok: bool, says: str | None = None, one_line: bool = False) -> None:
        result = self.last_cli
        if result is None:
            self.fail("a CLI call", "none was made")
        output = result.stdout + result.stderr
        says = self.driver.profile.phrase(says) if says is not None else None
        if result.ok != ok or (says is not None and says.lower() not in output.lower()):
            self.fail(
                ("the command to succeed" if ok else "the command to fail")
                + (f", mentioning {says!r}" if says else ""),
                result.describe(),
            )
        if one_line and len(result.stderr.strip().splitlines()) != 1:
            self.fail("exactly one line on stderr", result.describe())

    def expect_log(self, *texts: str) -> None:
        """Within the gateway's quiet window: a channel logs its start-up a moment after a reload."""
        texts = tuple(self.driver.profile.phrase(t) for t in texts)
        deadline = time.monotonic() + self.quiet_seconds
        while True:
            log = self.driver.logs()
            missing = [t for t in texts if t.lower() not in log.lower()]
            if not missing:
                return
            if time.monotonic() >= deadline:
                self.fail(f"the gateway's log to mention {missing}", log[-3000:] or "(empty log)")
            time.sleep(0.2)

    def expect_real_twilio_reply(self, text: str, timeout: float = 120.0) -> None:
        """Only with --sender imsg on a Mac: read real Twilio's message log for the agent's reply."""
        sid, token, number = (os.environ[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"))
        redaction.register(token)
        deadline = time.monotonic() + timeout
        with httpx.Client(auth=(sid, token), timeout=20) as http:
            while time.monotonic() < deadline:
                page = http.get(
                    f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json",
                    params={"From": number, "PageSize": "20"},
                ).json()
                if any(m.get("body") == text for m in page.get("messages", [])):
                    return
                time.sleep(3)
        self.fail(f"a message {text!r} from {number} in Twilio's log within {timeout:g}s", "none")
