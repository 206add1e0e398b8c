"""Requests forged straight to the gateway's webhook: what Twilio would send, or a proxy or an
attacker could. `Forged` is a part of `World` (`world.forged`, the `forged` fixture): it uses the
world's accounts, phones and action bookkeeping, and keeps what came back (`last_http`, `answers`)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from emulator import forms, media, segments, signing
from harness import seen

if TYPE_CHECKING:
    from harness.world import World

PUBLIC_BASE = "https://gateway.example.test"  # the public URL's origin: what Twilio signs, routed to the gateway
HOSTED_TOKEN = "__openclaw_mms_token_"  # the query key of a hosted file's URL: this prefix, then the file's id


class Forged:
    """One scenario's signed (or unsigned, or mis-signed) inbound forms and status callbacks, posted to
    the gateway, and the hosted file asked for."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.last_http: httpx.Response | None = None  # the last forged request's answer
        self.sent_forms: list[dict[str, str]] = []  # the last load's forms (post_many)
        self.answers: list[tuple[int, str]] = []  # every answer to the last load
        self.hosted_id = ""  # the id in the URL the gateway hosts the operator's file at, once a step has read it

    def request_hosted_file(self, how: str) -> httpx.Response:
        """The operator's last file at the URL the gateway gave Twilio for it, asked for `how`: `with GET`
        (HEAD, POST, any method), `with a wrong token`, `for another file's id` or `with two tokens`."""
        sent = [m for m in seen.outbound(self.world) if m.get("media_urls")]
        if not sent:
            raise AssertionError("no message with a file was sent in this scenario: there is no hosted URL to request")
        url = urlsplit(sent[-1]["media_urls"][0])
        pairs = parse_qsl(url.query, keep_blank_values=True)
        key, token = next((k, v) for k, v in pairs if k.startswith(HOSTED_TOKEN))
        self.hosted_id = key.removeprefix(HOSTED_TOKEN)
        other = HOSTED_TOKEN + _changed(self.hosted_id)
        variants = {
            "with a wrong token": [(k, _changed(v) if k == key else v) for k, v in pairs],
            "for another file's id": [(other if k == key else k, v) for k, v in pairs],
            "with two tokens": [*pairs, (other, token)],
        }
        method = how.removeprefix("with ") if how.removeprefix("with ").isupper() else "GET"
        if how not in variants and how != f"with {method}":
            raise ValueError(
                f"a hosted file is asked for with a method, a wrong token, another id or two tokens: {how!r}"
            )
        asked = variants.get(how, pairs)
        self.world.act()
        with httpx.Client(trust_env=False, timeout=15) as client:
            self.last_http = client.request(method, f"{self.world.driver.local_url}{url.path}?{urlencode(asked)}")
        return self.last_http

    def post_inbound_with(self, phone: str, body: str = "hi", **fields: str | None) -> httpx.Response:
        """A signed inbound form from the phone with these fields set (or removed, for None)."""
        form = self.inbound_form(phone, body)
        for name, value in fields.items():
            if value is None:
                form.pop(name, None)
            else:
                form[name] = self.world.expand(value)
        return self.post_webhook(form)

    def post_webhook(
        self,
        form: dict[str, str],
        *,
        account: str = "main",
        method: str = "POST",
        signed: bool = True,
        query: str = "",
        extra_bytes: int = 0,
        signer: str | None = None,
        path: str | None = None,
        http: httpx.Client | None = None,
        repeat: tuple[str, str] | None = None,
        empty_pair_before: str | None = None,
    ) -> httpx.Response:
        """Send a form straight to the gateway, signed over the public URL as Twilio would sign it.

        `http`: a client to reuse (a load of requests); without one, this request is a new action.
        """
        acct = self.world.account(account)
        pairs = list(form.items()) + ([repeat] if repeat else [])  # a key sent twice, as a form may
        if extra_bytes:
            pairs.append(("Padding", "x" * extra_bytes))
        route = path or acct.path
        url = PUBLIC_BASE + route + (f"?{query}" if query else "")
        token = self.world.account(signer).token if signer else acct.token
        headers = {"X-Twilio-Signature": signing.sign(token, url, pairs if method == "POST" else [])} if signed else {}
        body = urlencode(pairs)
        if empty_pair_before:  # an empty `&&` piece, which form parsers skip (and Twilio never signs)
            piece = f"&{empty_pair_before}="
            if piece not in body:  # else the form would go whole and the scenario test nothing
                raise ValueError(f"no {empty_pair_before} after the form's first pair to put an empty pair before")
            body = body.replace(piece, "&" + piece, 1)
        local = self.world.driver.local_url + route + (f"?{query}" if query else "")
        request = {
            "content": body if method != "GET" else None,
            "headers": {**headers, "Content-Type": "application/x-www-form-urlencoded"},
        }
        if http is None:
            self.world.act()
        self.world.before_inbound()
        with contextlib.nullcontext(http) if http else httpx.Client(trust_env=False, timeout=15) as client:
            self.last_http = client.request(method, local, **request)
        sid = form.get("MessageSid") or form.get("SmsSid") or form.get("SmsMessageSid")
        self.world.admit(sid if "MessageStatus" not in form else None, self.last_http.status_code)
        return self.last_http

    def status_form(
        self, status: str, account_sid: str | None = None, sid: str | None = None, error_code: int | None = None
    ) -> dict[str, str]:
        acct = self.world.account()
        sid = sid or "SM" + self.world.fake.hexify("^" * 32)
        return dict(
            forms.status(
                sid=sid,
                account_sid=account_sid or acct.sid,
                from_=acct.number or "",
                to=self.world.phone("A"),
                status=status,
                error_code=error_code,
            )
        )

    def post_many(self, forms: list[dict[str, str]], *, signed: bool = True, account: str = "main") -> None:
        """Post forms one after another over one connection (to the account's webhook); `answers` holds
        every answer's status and body, `last_http` the last answer."""
        self.world.act()
        self.answers = []
        with httpx.Client(trust_env=False, timeout=15) as http:
            for form in forms:
                response = self.post_webhook(form, signed=signed, http=http, account=account)
                self.answers.append((response.status_code, response.text.strip()))
        self.sent_forms = forms

    def inbound_form(self, phone: str, body: str = "hi", account: str = "main", **extra: str) -> dict[str, str]:
        acct = self.world.account(account)
        handset = self.world.phone(phone)
        form = dict(
            forms.inbound(
                sid="SM" + self.world.fake.hexify("^" * 32),
                account_sid=acct.sid,
                from_=handset,
                to=acct.number or "",
                body=body,
                num_segments=segments.count(body),
                there=forms.handset_locality(0, handset),
            )
        )
        form.update(extra)
        return form

    def post_rcs_with_media(self, phone: str, body: str) -> httpx.Response:
        """A signed RCS form (From and To `rcs:` addresses) carrying one picture: the plugin drops RCS media."""
        account = self.world.account()
        return self.post_with_media(phone, body, From=f"rcs:{self.world.phone(phone)}", To=f"rcs:{account.number}")

    def post_with_media(self, phone: str, body: str, host: str = media.API_HOST, **extra: str) -> httpx.Response:
        """A signed form carrying one picture whose Media URL (this message's own path) is on `host`."""
        form = self.inbound_form(phone, body)
        account = self.world.account()
        form.update(
            NumMedia="1",
            MediaContentType0="image/png",
            MediaUrl0=f"{host}/2010-04-01/Accounts/{account.sid}/Messages/{form['MessageSid']}/Media/"
            f"ME{self.world.fake.hexify('^' * 32)}",
            **extra,
        )
        return self.post_webhook(form)


def _changed(text: str) -> str:
    """The same text with its last character changed: a token or id of the same shape that is not this one."""
    return text[:-1] + ("0" if text[-1:] != "0" else "1")
