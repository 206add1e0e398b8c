"""Messaging Services: their webhooks (which override a member number's), the sender pool and how a
service picks a sender from it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from emulator.errors import ControlError
from emulator.models.accounts import Account, owned
from emulator.models.numbering import area, country
from emulator.models.numbers import PhoneNumber, PhoneNumbers, http_method


@dataclass
class MessagingService:
    sid: str
    account_sid: str
    friendly_name: str
    inbound_request_url: str = ""
    inbound_method: str = "POST"
    fallback_url: str = ""
    status_callback: str = ""
    use_inbound_webhook_on_number: bool = False
    sticky_sender: bool = True  # the sender pool's features, Twilio's defaults
    area_code_geomatch: bool = True
    date_created: float = field(default_factory=time.time)
    date_updated: float = field(default_factory=time.time)


class MessagingServices(PhoneNumbers):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.services: dict[str, MessagingService] = {}
        self.sticky: dict[tuple[str, str], str] = {}  # (service, to) -> the number it last got

    def add_service(
        self,
        account_sid: str,
        friendly_name: str | None = None,
        inbound_request_url: str = "",
        inbound_method: str = "POST",
        use_inbound_webhook_on_number: bool = False,
        numbers: Iterable[str] = (),
        sid: str | None = None,
        status_callback: str = "",
        sticky_sender: bool = True,
        area_code_geomatch: bool = True,
    ) -> MessagingService:
        self.account(account_sid)
        inbound_method = http_method(inbound_method, "inbound_method")
        service = MessagingService(
            sid or "MG" + self.hex(),
            account_sid,
            friendly_name or f"{self.fake.word().title()} service",
            inbound_request_url,
            inbound_method,
            status_callback=status_callback,
            use_inbound_webhook_on_number=bool(use_inbound_webhook_on_number),
            sticky_sender=bool(sticky_sender),
            area_code_geomatch=bool(area_code_geomatch),
        )
        self.services[service.sid] = service
        for e164 in numbers:
            number = self.number_by_e164(e164) or self.add_number(account_sid, e164)
            if number.account_sid != account_sid:
                raise ControlError(f"{e164} belongs to another account")
            number.messaging_service_sid = service.sid
        self.changed()
        return service

    def service(self, account: Account, sid: str, path: str) -> MessagingService:
        return owned(self.services.get(sid), account, path)

    def list_services(self, account: Account) -> list[MessagingService]:
        """The account's services, oldest first."""
        return [s for s in self.services.values() if s.account_sid == account.sid]

    def service_numbers(self, service_sid: str) -> list[PhoneNumber]:
        return [n for n in self.numbers.values() if n.messaging_service_sid == service_sid]

    def update_service(
        self,
        service: MessagingService,
        *,
        inbound_request_url: str | None = None,
        inbound_method: str | None = None,
        fallback_url: str | None = None,
        status_callback: str | None = None,
        friendly_name: str | None = None,
        use_inbound_webhook_on_number: bool | None = None,
        sticky_sender: bool | None = None,
        area_code_geomatch: bool | None = None,
    ) -> None:
        """Change what is given (None: unchanged), as the console or a v1 Services update would."""
        self.update(
            service,
            {
                "inbound_request_url": inbound_request_url,
                "inbound_method": None if inbound_method is None else http_method(inbound_method, "inbound_method"),
                "fallback_url": fallback_url,
                "status_callback": status_callback,
                "friendly_name": friendly_name,
                "use_inbound_webhook_on_number": use_inbound_webhook_on_number,
                "sticky_sender": sticky_sender,
                "area_code_geomatch": area_code_geomatch,
            },
        )

    def webhook(self, number: PhoneNumber) -> tuple[MessagingService | None, str, str]:
        """Who answers a text to this number: its Messaging Service (unless the service defers to
        the number's own webhook), and the URL and method Twilio requests."""
        service = self.services.get(number.messaging_service_sid or "")
        if service and not service.use_inbound_webhook_on_number:
            return service, service.inbound_request_url, service.inbound_method
        return service, number.sms_url, number.sms_method

    def fallback(self, number: PhoneNumber) -> tuple[str, str] | None:
        """The URL and method Twilio requests after the inbound webhook failed, if one is set."""
        service = self.services.get(number.messaging_service_sid or "")
        if service and not service.use_inbound_webhook_on_number:
            return (service.fallback_url, "POST") if service.fallback_url else None
        return (number.sms_fallback_url, number.sms_fallback_method) if number.sms_fallback_url else None

    def pick_sender(self, service_sid: str, to: str) -> str | None:
        """The number a service sends from, as its sender pool features say: the number this recipient
        last got (Sticky Sender), else one of the recipient's area code (Area Code Geomatch), else one
        of its country code, else the pool's first."""
        service = self.services[service_sid]
        key = (service.sid, to)
        pool = [n.phone_number for n in self.service_numbers(service.sid)]
        sticky = self.sticky.get(key) if service.sticky_sender else None
        choice = sticky if sticky in pool else None
        if choice is None and service.area_code_geomatch:
            choice = next((n for n in pool if area(n) == area(to) is not None), None)
        if choice is None:
            choice = next((n for n in pool if country(n) == country(to)), pool[0] if pool else None)
        if choice and service.sticky_sender:
            self.sticky[key] = choice
        return choice
