"""The errors the model raises, Twilio's error codes, and the JSON shapes they are answered in.

Kept apart from the HTTP layers: the model raises a `ModelError` (a `TwilioError` when Twilio has
a code for it, a `ControlError` for the emulator's own rules), and each API renders it once, the
REST layer as Twilio's error body, the control API as its own.
"""

from __future__ import annotations

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# code -> (HTTP status, message template)
CATALOGUE: dict[int, tuple[int, str]] = {
    20001: (400, "Invalid parameter"),
    20003: (401, "Authenticate"),
    20004: (405, "Method not allowed"),
    20009: (409, "Cannot delete message because it is not in a final state"),
    20404: (404, "The requested resource {path} was not found"),
    20413: (413, "Request Entity Too Large"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    21211: (400, "Invalid 'To' Phone Number: {value}"),
    21212: (400, "Invalid From Number (caller ID): {value}"),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {value}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"),
    21604: (400, "A 'To' phone number is required."),
    21606: (
        400,
        "The From phone number {value} is not a valid, SMS-capable inbound phone number or short code for your account.",
    ),
    21608: (
        400,
        "The number {value} is unverified. Trial accounts cannot send messages to unverified numbers; verify {value} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers.",
    ),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21611: (400, "This 'From' number has exceeded the maximum number of queued messages"),
    21612: (400, "The 'To' phone number: {value}, is not currently reachable using the 'From' phone number via SMS."),
    21614: (400, "'To' number {value} is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21620: (400, "Invalid media URL(s)"),
    21623: (400, "Number of media files exceeds allowed limit. Max 10 media files are allowed."),
    21701: (400, "The Messaging Service Sid {value} is invalid."),
    35111: (400, "SendAt timestamp is missing"),
    35115: (400, "SendAt time must be between 300 seconds and 35 days (3024000 seconds) in the future"),
    35118: (400, "MessagingServiceSid is required to schedule a message"),
    35126: (400, "The ScheduleType value provided is not supported for this channel"),
}


class ModelError(Exception):
    """A request the model refuses: the HTTP status it answers with and the words that say why."""

    status: int
    message: str


class TwilioError(ModelError):
    """An error Twilio would answer with: HTTP status plus a numbered code."""

    def __init__(self, code: int, status: int | None = None, message: str | None = None, **values: str) -> None:
        known_status, template = CATALOGUE.get(code, (400, "Error {code}"))
        self.code = code
        self.status = status or known_status
        self.message = message or template.format(code=code, **{k: values.get(k, "") for k in ("path", "value")})
        super().__init__(f"{self.code}: {self.message}")

    def to_json(self) -> dict[str, object]:
        """Twilio's error body: code, message, more_info, status."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }


# Codes logged on a message when a webhook delivery fails.
HTTP_RETRIEVAL_FAILURE = 11200
CONNECTION_FAILURE = 11205
BAD_HOST_NAME = 11210

# Codes logged when a webhook's answer cannot be used, or an outbound MMS's MediaUrl.
TWIML_TOO_LARGE = 11750
INVALID_CONTENT_TYPE = 12300
MEDIA_TOO_LARGE = 30019

WEBHOOK_ERROR_MESSAGES = {
    HTTP_RETRIEVAL_FAILURE: "HTTP retrieval failure",
    CONNECTION_FAILURE: "HTTP connection failure",
    BAD_HOST_NAME: "HTTP bad host name",
    TWIML_TOO_LARGE: "TwiML response body too large",
    INVALID_CONTENT_TYPE: "Invalid Content-Type",
    MEDIA_TOO_LARGE: "Content size exceeds carrier limit",
}


class ControlError(ModelError):
    """A mistake in what the emulator was told (a control-API request, a provisioning spec, its
    options): a rule of the emulator's own, not Twilio's, rendered Twilio-style with code null."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        self.message = message
        super().__init__(message)

    def to_json(self) -> dict[str, object]:
        return {"code": None, "message": self.message, "more_info": "/_emulator/openapi.json", "status": self.status}


# Why a message ended undelivered or failed (a message_outcome fault picks the code).
DELIVERY_ERRORS = {
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30034: "Message from an unregistered number",
}
