"""A small typed client for the control API; the harness's only way into the emulator."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

JSON = dict[str, Any]


class EmulatorError(Exception):
    """The control API refused a request; carries its Twilio-shaped answer."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else str(body)
        super().__init__(f"emulator answered {status}: {message}")


class WaitTimeout(EmulatorError):
    """Nothing matched within the timeout; `seen` holds what did arrive."""

    @property
    def seen(self) -> list[JSON]:
        return list(self.body.get("seen", [])) if isinstance(self.body, dict) else []


@dataclass(frozen=True)
class Provisioned:
    """An account the emulator created, with its token (keep it out of logs)."""

    sid: str
    auth_token: str
    numbers: list[str]
    services: list[str]
    raw: JSON

    def __repr__(self) -> str:  # never print the token
        return f"Provisioned(sid={self.sid!r}, numbers={self.numbers!r}, services={self.services!r})"


class EmulatorClient:
    def __init__(self, base_url: str, timeout: float = 10.0, token: str | None = None) -> None:
        """`token`: the emulator's --control-token, if it was started with one (default: $SMS_EMULATOR_TOKEN)."""
        self.base_url = base_url.rstrip("/")
        token = token if token is not None else os.environ.get("SMS_EMULATOR_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False, headers=headers)

    def close(self) -> None:
        self.http.close()

    def twilio(self, account_sid: str, auth_token: str) -> httpx.Client:
        """A client of the emulator's Twilio REST API, logged in as the account (paths from /2010-04-01)."""
        return httpx.Client(base_url=self.base_url, auth=(account_sid, auth_token), timeout=10, trust_env=False)

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Any = None,
        timeout: float | None = None,
        error: type[EmulatorError] = EmulatorError,
    ) -> Any:
        writes = method in ("POST", "PUT", "PATCH", "DELETE")  # the control API takes JSON writes only
        kwargs: dict[str, Any] = {"json": {} if json is None and writes else json, "params": params}
        if timeout is not None:
            kwargs["timeout"] = timeout
        response = self.http.request(method, f"/_emulator{path}", **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise error(response.status_code, body)
        return body

    # -- state ----------------------------------------------------------------------------

    def health(self) -> JSON:
        return self._call("GET", "/health")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def state(self) -> JSON:
        return self._call("GET", "/state")

    def settings(self, **values: int | bool) -> JSON:
        return self._call("PUT", "/settings", json=values) if values else self._call("GET", "/settings")

    def create_account(
        self, *, numbers: list[JSON] | None = None, services: list[JSON] | None = None, **account: Any
    ) -> Provisioned:
        body = self._call("POST", "/accounts", json=dict(account, numbers=numbers or [], services=services or []))
        return Provisioned(
            body["account"]["sid"],
            body["account"]["auth_token"],
            [n["phone_number"] for n in body["numbers"]],
            [s["sid"] for s in body["services"]],
            body,
        )

    def add_number(self, account_sid: str, **number: Any) -> JSON:
        return self._call("POST", f"/accounts/{account_sid}/numbers", json=number)

    def update_number(self, number_sid: str, **settings: Any) -> JSON:
        """Change a number's webhook settings, or (`webhook_signing=`) how its webhooks are signed."""
        return self._call("POST", f"/numbers/{number_sid}", json=settings)

    def add_service(self, account_sid: str, **service: Any) -> JSON:
        return self._call("POST", f"/accounts/{account_sid}/services", json=service)

    def add_route(self, public: str, local: str) -> list[JSON]:
        return self._call("POST", "/routes", json={"public": public, "local": local})

    # -- the handset ----------------------------------------------------------------------

    def send_inbound(
        self, from_: str, to: str, body: str = "", media: list[JSON] | None = None, timeout: float = 60.0
    ) -> JSON:
        """Text `to` from handset `from_` (with files: [{content_type, size | data}]); returns
        {message, deliveries} once the webhook exchange is over."""
        return self._call(
            "POST",
            "/inbound",
            json={"from": from_, "to": to, "body": body, "media": media or []},
            timeout=timeout,
        )

    # -- records --------------------------------------------------------------------------

    def messages(self, after: int = 0, **match: str) -> list[JSON]:
        return self._call("GET", "/messages", params=dict(match, after=after))

    def calls(self, after: int = 0, **match: str) -> list[JSON]:
        return self._call("GET", "/calls", params=dict(match, after=after))

    def model_requests(self, after: int = 0) -> list[JSON]:
        return self._call("GET", "/model_requests", params={"after": after})

    def deliveries(self, after: int = 0, **match: str) -> list[JSON]:
        return self._call("GET", "/deliveries", params=dict(match, after=after))

    def cursor(self) -> int:
        """The current sequence number: wait for things after it."""
        return int(self.health()["seq"])

    def wait(
        self,
        collection: str = "messages",
        *,
        after: int = 0,
        match: JSON | None = None,
        contains: JSON | None = None,
        timeout: float = 10.0,
    ) -> JSON:
        """The first matching item after `after`; raises WaitTimeout (with what was seen) otherwise."""
        return self._call(
            "POST",
            "/wait",
            json={
                "collection": collection,
                "after": after,
                "match": match or {},
                "contains": contains or {},
                "timeout": timeout,
            },
            timeout=timeout + 10.0,
            error=WaitTimeout,
        )

    # -- faults ---------------------------------------------------------------------------

    def add_fault(
        self,
        kind: str,
        params: JSON | None = None,
        *,
        account_sid: str | None = None,
        phone_number: str | None = None,
        times: int | None = 1,
    ) -> JSON:
        return self._call(
            "POST",
            "/faults",
            json={
                "kind": kind,
                "params": params or {},
                "account_sid": account_sid,
                "phone_number": phone_number,
                "times": times,
            },
        )

    def faults(self) -> list[JSON]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")
