"""Deliberate defects in a private copy of the installed `@openclaw/sms` (`sms-harness selfcheck --gateway openclaw`).

The reference gateway's mutants (refclaw/mutants.py) prove the suite catches defects in our model;
these prove it catches them in the real plugin. Each is one small textual change to the plugin's
published JavaScript, found by its exact text in whichever `dist/` file holds it (the file names
carry build hashes), and must occur there exactly once. OpenClaw trusts a plugin by its install
record (installed from npm, the official way), not by its file contents, so the harness installs
the published package into a private state directory and edits that copy: the user's own
installation is never touched.

Not here, because no scenario can see them through OpenClaw 2026.9.6: the wording of the
approval notice (`pairing approve --notify` never reaches the plugin's notifier: "Channel sms does
not support pairing", a listed divergence), and what lives in OpenClaw itself rather than the
plugin (pairing codes and their expiry, replay dedupe by MessageSid in the ingress queue).
"""

from __future__ import annotations

from pathlib import Path

from harness.defects import MutationError, PluginMutant, write_once

__all__ = ["MUTANTS", "MutationError", "apply"]


MUTANTS: dict[str, PluginMutant] = {
    "signature_never_checked": PluginMutant(
        "every X-Twilio-Signature is accepted",
        "function verifyTwilioSignature(params) {",
        "function verifyTwilioSignature(params) {\n\treturn true;",
        ("signatures",),
    ),
    "signature_query_appended": PluginMutant(
        "the request's query is signed even when publicWebhookUrl has one",
        'if (signatureBaseUrl.includes("?")) return signatureBaseUrl;',
        "",
        ("signatures",),
    ),
    "signature_fragment_signed": PluginMutant(
        'publicWebhookUrl is signed with its "#" fragment',
        "const signatureBaseUrl = stripUrlFragment(params.publicWebhookUrl);",
        "const signatureBaseUrl = params.publicWebhookUrl;",
        ("signatures",),
    ),
    "inbound_account_unchecked": PluginMutant(
        "an inbound form for another AccountSid is dispatched",
        "if (!message.accountSid || message.accountSid !== account.accountSid) throw",
        "if (false) throw",
        ("inbound_forms",),
    ),
    "inbound_recipient_unchecked": PluginMutant(
        "an inbound form To another number is dispatched",
        "if (!looksLikeSmsPhoneNumber(recipient) || recipient !== account.fromNumber) throw",
        "if (!looksLikeSmsPhoneNumber(recipient)) throw",
        ("inbound_forms",),
    ),
    "inbound_empty_body_dispatched": PluginMutant(
        "a form with no body and no media is dispatched",
        "if (!from || !to || !body && mediaCount === 0 || !messageSid) return null;",
        "if (!from || !to || !messageSid) return null;",
        ("inbound_forms",),
    ),
    "rcs_sender_refused": PluginMutant(
        "an rcs:+number sender is not an SMS sender",
        'if (kind && kind !== "rcs") return null;',
        "if (kind) return null;",
        ("inbound_forms", "mms"),
    ),
    "number_punctuation_kept": PluginMutant(
        "numbers keep their dashes, brackets and spaces when normalised",
        '.replace(/[^\\d+]/g, "")',
        "",
        ("allowlist",),
    ),
    "callback_account_unchecked": PluginMutant(
        "a status callback for another AccountSid is recorded",
        "if (!callbackAccountSid || callbackAccountSid !== params.account.accountSid) {\n\t\t\t\tparams.log",
        "if (false) {\n\t\t\t\tparams.log",
        ("delivery",),
    ),
    "sender_limit_31": PluginMutant(
        "31 messages a minute per sender instead of 30",
        "const INBOUND_DISPATCH_MAX_REQUESTS = 30;",
        "const INBOUND_DISPATCH_MAX_REQUESTS = 31;",
        ("delivery",),
    ),
    "invalid_request_limit_301": PluginMutant(
        "301 requests a minute per client before 429 instead of 300",
        "const INVALID_REQUEST_MAX_REQUESTS = 300;",
        "const INVALID_REQUEST_MAX_REQUESTS = 301;",
        ("delivery",),
    ),
    "callback_limit_3001": PluginMutant(
        "3001 delivery callbacks a minute instead of 3000",
        "const DELIVERY_CALLBACK_MAX_REQUESTS = 3e3;",
        "const DELIVERY_CALLBACK_MAX_REQUESTS = 3001;",
        ("delivery",),
    ),
    "body_limit_64k": PluginMutant(
        "webhook bodies up to 64 KiB instead of 32 KiB",
        "const WEBHOOK_BODY_LIMIT_BYTES = 32768;",
        "const WEBHOOK_BODY_LIMIT_BYTES = 65536;",
        ("webhook",),
    ),
    "wrong_method_404": PluginMutant(
        "a GET to the webhook answers 404 instead of 405",
        'respondTwiml(res, 405, "Method not allowed");',
        'respondTwiml(res, 404, "Method not allowed");',
        ("webhook",),
    ),
    "chunk_limit_ignored": PluginMutant(
        "textChunkLimit is ignored (chunks of up to 1600)",
        "chunkSmsPlainText(text, Math.min(params.configuredLimit, TWILIO_MESSAGE_BODY_MAX_LENGTH))",
        "chunkSmsPlainText(text, TWILIO_MESSAGE_BODY_MAX_LENGTH)",
        ("replies",),
    ),
    "chunk_limit_unclamped": PluginMutant(
        "a textChunkLimit over 1600 is used as it is",
        "chunkSmsPlainText(text, Math.min(params.configuredLimit, TWILIO_MESSAGE_BODY_MAX_LENGTH))",
        "chunkSmsPlainText(text, params.configuredLimit)",
        ("replies",),
    ),
    "chunk_default_1600": PluginMutant(
        "the default textChunkLimit is 1600 instead of 1500",
        "const DEFAULT_TEXT_CHUNK_LIMIT = 1500;",
        "const DEFAULT_TEXT_CHUNK_LIMIT = 1600;",
        ("replies",),
    ),
    "status_callback_no_retry_policy": PluginMutant(
        'the StatusCallback fragment lacks its "rp" retry policies',
        'overrides.set("rp", retryPolicies.join(","));',
        "",
        ("replies",),
    ),
    "status_callback_three_retries": PluginMutant(
        "the StatusCallback asks for 3 retries by default instead of 1",
        "configuredRetryCount <= 5 ? configuredRetryCount : 1;",
        "configuredRetryCount <= 5 ? configuredRetryCount : 3;",
        ("replies",),
    ),
    "pairing_silent": PluginMutant(
        "an unknown sender under dmPolicy pairing gets no code",
        'if (auth.senderAccess.decision === "pairing") {',
        'if (auth.senderAccess.decision === "never") {',
        ("pairing",),
    ),
    "pairing_reply_number_unsigned": PluginMutant(
        'the pairing reply names the number without its "+"',
        "senderIdLine: `Your SMS phone number: ${params.from}`,",
        "senderIdLine: `Your SMS phone number: ${params.from.slice(1)}`,",
        ("pairing",),
    ),
    "disabled_treated_as_pairing": PluginMutant(
        'dmPolicy "disabled" hands out pairing codes',
        "dmPolicy: params.account.dmPolicy,",
        'dmPolicy: params.account.dmPolicy === "disabled" ? "pairing" : params.account.dmPolicy,',
        ("allowlist",),
    ),
    "empty_allowlist_unwarned": PluginMutant(
        "no start-up warning for dmPolicy allowlist with an empty allowFrom",
        'if (account.dmPolicy === "allowlist" && account.allowFrom.length === 0) warnings.push(',
        "if (false) warnings.push(",
        ("allowlist",),
    ),
    "probe_url_unchecked": PluginMutant(
        "the probe says the number's webhook matches whatever its URL",
        "if (phoneNumber.smsUrl !== account.publicWebhookUrl) return {",
        "if (false) return {",
        ("probe",),
    ),
    "probe_method_unchecked": PluginMutant(
        "the probe ignores a number's GET webhook method",
        'if (configuredMethod && configuredMethod !== "POST") return {\n\t\tstatus: "method-mismatch",',
        'if (false) return {\n\t\tstatus: "method-mismatch",',
        ("probe",),
    ),
    "mms_rcs_media_kept": PluginMutant(
        "an RCS message's files reach the agent",
        "return {\n\t\t\t...textMessage,\n\t\t\tmedia: []\n\t\t};",
        "return message;",
        ("mms",),
    ),
}


def apply(name: str, package: Path) -> Path:
    """Write mutant `name` into the package's dist/ and return the file it changed."""
    return write_once(name, MUTANTS[name], sorted((package / "dist").rglob("*.js")), package / "dist")
