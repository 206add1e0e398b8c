"""A handset's text: which number or Messaging Service it reaches, and Twilio's answer to STOP,
START and HELP, which keeps the opt-out list that later sends are checked against."""

from __future__ import annotations

from emulator.errors import ControlError
from emulator.models.messages import MAX_MEDIA, Message, Messages
from emulator.models.numbering import is_e164
from emulator.models.numbers import PhoneNumber
from emulator.models.services import MessagingService

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
AUTO_REPLIES = {
    "stop": "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe.",
    "start": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "help": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}


class Handset(Messages):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.optouts: set[tuple[str, str, str]] = set()  # (account, handset, sender key): who said STOP

    def receive(
        self, handset: str, to: str, body: str, media: list[tuple[str, bytes]]
    ) -> tuple[Message, PhoneNumber, str, str]:
        """A handset texts a number (or a Messaging Service): record it, apply keywords.

        Returns the inbound message, the number it reached, and the webhook URL
        and method Twilio would use for it.
        """
        if not is_e164(handset):
            raise ControlError(f"from {handset!r} is not an E.164 number")
        if len(media) > MAX_MEDIA:
            raise ControlError(f"at most {MAX_MEDIA} media URLs, got {len(media)}")
        if to.startswith("MG"):
            pool = self.service_numbers(to)
            if not pool:
                raise ControlError(f"Messaging Service {to} has no numbers in its sender pool", 404)
            number = pool[0]
        else:
            found = self.number_by_e164(to)
            if found is None:
                raise ControlError(f"{to} is not a provisioned number", 404)
            number = found
        service, url, method = self.webhook(number)
        message = self.new_message(
            number.account_sid,
            handset,
            number.phone_number,
            body,
            "inbound",
            "received",
            service_sid=service.sid if service else None,
            mms=bool(media),
            sent=True,
        )
        for content_type, content in media:
            self.add_media(message, content_type, content)
        self._keywords(message, number, service)
        return message, number, url, method

    def _keywords(self, message: Message, number: PhoneNumber, service: MessagingService | None) -> None:
        """STOP/START/HELP: change the opt-out list and answer as Twilio's defaults do."""
        word = message.body.strip().upper()
        keys = [number.phone_number] + ([service.sid] if service else [])
        if word in OPT_OUT:
            self.optouts.update((message.account_sid, message.from_ or "", k) for k in keys)
            self.changed(unjournaled=True)
            reply = AUTO_REPLIES["stop"]
        elif word in OPT_IN:
            self.optouts.difference_update((message.account_sid, message.from_ or "", k) for k in keys)
            self.changed(unjournaled=True)
            reply = AUTO_REPLIES["start"]
        elif word in HELP:
            reply = AUTO_REPLIES["help"]
        else:
            return
        self.new_message(
            message.account_sid,
            number.phone_number,
            message.from_ or "",
            reply,
            "outbound-reply",
            "delivered",
            service_sid=message.messaging_service_sid,
            sent=True,
        )
