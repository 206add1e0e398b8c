"""Tool-generated mutants of the published `@openclaw/sms`: StrykerJS's mutators over the plugin's own `dist/`.

The hand-written defects (mutants.py) find the holes their author thought of; these are whatever
Stryker's mutators (conditions, operators, literals, blocks, optional chains, regexes…) make of
the plugin's channel code. `stryker.mjs` asks the pinned `@stryker-mutator/instrumenter` (a cache
entry, like Node and OpenClaw) for its list of mutants and for where each file's functions and
calls are; this module keeps those in the channel's code paths (not log lines, not labels shown in
a UI), names each by the function it is in, picks the features that reach that function
(FEATURES), draws a seeded sample, and writes one mutant at a time into a private install.
"""

from __future__ import annotations

import difflib
import json
import random
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.cache import Entry, ProvisionError, cache_home, provide
from harness.openclaw.install import installation, npm_build

STRYKER_VERSION = "10.1.1"
INSTRUMENTER = "@stryker-mutator/instrumenter"
SCRIPT = Path(__file__).with_name("stryker.mjs")
GENERATE_TIMEOUT = 300.0
# The channel's own modules in dist/ (named without their build hash); the others are glue: the
# entry point, the runtime store, the secret contract, re-exports.
MODULES = ("twilio", "channel-plugin-api", "media")


def reaching(table: dict[tuple[str, ...], str]) -> dict[str, tuple[str, ...]]:
    """{features: "name name …"} turned round, each name to its features; "" alone stands for the whole module."""
    return {name: features for features, names in table.items() for name in names.split() or [""]}


# Which features reach each function (a dotted path of named ranges: a function, a variable, object
# keys; the longest prefix wins). A mutant in a path not listed is outside the channel's mapped paths.
FEATURES: dict[str, dict[str, tuple[str, ...]]] = {
    "twilio": reaching(
        {
            ("allowlist", "outbound"): "normalizeSmsPhoneNumber looksLikeSmsPhoneNumber normalizeSmsAllowFrom",
            ("replies",): (
                "SMS_STATUS_CALLBACK_MAX_LENGTH ABSOLUTE_HTTP_URL_PATTERN RAW_AUTHORITY_PATTERN "
                "RAW_PATH_QUERY_FRAGMENT_PATTERN INVALID_PERCENT_ESCAPE_PATTERN hasForbiddenRawUrlCharacter "
                "hasSafeRawUrlCharacters hasValidHostname parseSmsPublicWebhookUrl parseTwilioRetryPolicies "
                "resolveTwilioStatusCallbackUrl DEFAULT_TEXT_CHUNK_LIMIT"
            ),
            ("allowlist", "env_config", "setup", "multi_account"): "parseList",  # allowFrom's list, in config and env
            ("env_config", "setup", "multi_account"): (
                "getChannelConfig parseTextChunkLimit firstNonBlankEnv hasBaseAccount "
                "resolveSmsAccount readSmsAccount inspectSmsAccount isSmsAccountConfigured "
                "assertSmsCredentialOwnerAvailable"
            ),
            ("webhook",): "CHANNEL_ID DEFAULT_WEBHOOK_PATH WEBHOOK_BODY_LIMIT_BYTES TWIML_CONTENT_TYPE respondTwiml",
            ("outbound",): (
                "TWILIO_ACCOUNTS_URL TWILIO_MESSAGING_URL TWILIO_API_HOSTNAME TWILIO_MESSAGING_HOSTNAME "
                "TWILIO_API_SUCCESS_BODY_LIMIT_BYTES TWILIO_API_ERROR_BODY_LIMIT_BYTES "
                "TRUNCATED_RESPONSE_SUFFIX firstString firstTrimmedString firstStringish "
                "parseTwilioApiError parseTwilioSuccessPayload twilioApiUrl twilioMessagingUrl "
                "basicAuthHeader appendTruncatedResponseSuffix readTwilioApiResponseText "
                "normalizeRequestHeaders assertTwilioRequestCredentialsAvailable requestTwilioApi "
                "TWILIO_MESSAGE_BODY_MAX_LENGTH TwilioSmsApiError"
            ),
            ("mms",): "TWILIO_MMS_MAX_OUTBOUND_MEDIA_COUNT TWILIO_MMS_MAX_BYTES SMS_MAX_INBOUND_MEDIA_DOWNLOADS",
            ("inbound_forms", "webhook"): (
                "TWILIO_CHANNEL_ADDRESS_RE parseTwilioInboundFrom resolveTwilioInboundSender "
                "buildTwilioInboundMessage resolveTwilioMessageSid readTwilioWebhookForm"
            ),
            ("signatures",): (
                "requestSearch stripUrlFragment resolveTwilioWebhookSignatureUrl parseTwilioFormBody "
                "computeTwilioSignature verifyTwilioSignature"
            ),
            ("probe",): (
                "parseTwilioIncomingPhoneNumber parseTwilioMessageLogEntry parseTwilioMessagingService "
                "parseTwilioListPayload listTwilioIncomingPhoneNumbers retrieveTwilioMessagingService "
                "listTwilioMessages"
            ),
            ("outbound", "messaging_service"): "sendSmsViaTwilio",
            ("env_config", "setup"): "fallbackAccountIdWhenEmpty hasImplicitDefaultAccount",
        }
    ),
    "channel-plugin-api": reaching(
        {
            ("delivery", "probe"): (
                "DELIVERY_NAMESPACE DELIVERY_STATUS_RANK TERMINAL_DELIVERY_STATUSES "
                "INBOUND_MESSAGE_STATUSES firstTrimmed resolveMessageSid normalizeDeliveryStatus "
                "resolveDeliveryStatus hashAccountSid fingerprintObservation deliveryRecordKey "
                "openDeliveryStore isTwilioDeliveryStatusForm parseSmsDeliveryObservation "
                "reduceDeliveryStatus mergeSmsDeliveryObservation recordSmsDeliveryObservation "
                "createSmsDeliveryRecorder recordInitialSmsDeliveryResult listRecentSmsDeliveryRecords"
            ),
            ("webhook",): "SMS_WEBHOOK_ACCEPTED_HEADER SMS_WEBHOOK_ACCEPTED_VALUE",
            ("replies",): "SMS_ASSISTANT_TRANSCRIPT_ROLE_PREFIX",
            ("setup",): (
                "SmsAccountConfigSchema SmsConfigSchema SmsChannelConfigSchema smsSetupPatch "
                "applySmsAccountConfig smsSetupContract smsPlugin.base.reload"
            ),
            ("plain_text", "replies"): "toSmsPlainText chunkSmsPlainText prepareSmsTextChunks",
            ("replies", "outbound"): (
                "createSmsMessageReceipt createSmsDeliveryProgressResult throwSmsPartialDeliveryError "
                "sendSmsProviderMessage recordInitialDeliveryBestEffort sendSmsTextChunks createSmsReceipt "
                "resolveSmsTextChunkLimit sendSmsText smsMessageAdapter"
            ),
            ("mms",): (
                "prepareSmsMediaAttempt sendPreparedSmsMediaAttempt preparedSmsAttachmentAttempts "
                "resolveSmsAttachmentAttemptToken prepareSmsAttachmentAttempt "
                "getOrPrepareSmsAttachmentAttempt sendPreparedSmsAttachment"
            ),
            ("allowlist", "pairing"): "authorizeSmsSender resolveSmsDmPolicy",
            ("pairing",): "issueSmsPairingChallenge smsPlugin.pairing",
            ("inbound_forms", "pairing", "mms"): "dispatchSmsInboundEvent",
            ("inbound_forms", "webhook"): "SMS_INGRESS_PAYLOAD_VERSION parseSmsIngressForm createSmsIngressSpool",
            ("delivery",): (
                "INVALID_REQUEST_MAX_REQUESTS INBOUND_DISPATCH_MAX_REQUESTS DELIVERY_CALLBACK_MAX_REQUESTS "
                "DELIVERY_CALLBACK_WINDOW_MS invalidRequestRateLimiter inboundDispatchRateLimiter "
                "validatedInboundAggregateRateLimiter headerValue resolvedClientAddress rateLimitKey "
                "accountRouteRateLimitKey rejectInvalidRequestRateLimit"
            ),
            ("webhook", "signatures", "delivery"): "createSmsWebhookHandler",
            ("webhook", "multi_account"): (
                "activeRoutePaths pendingRouteStops normalizeWebhookPath stopSmsWebhookRoute registerSmsWebhookRoute"
            ),
            ("allowlist", "setup"): "collectSmsStartupWarnings",
            ("setup", "env_config"): "startSmsGatewayAccount smsPlugin.base.gateway",
            ("probe",): (
                "TWILIO_ERROR_WEBHOOK_REACHABILITY resolveRemoteProbeTimeoutMs runRemoteProbe "
                "addTailscaleHint compareTwilioWebhook compareTwilioMessagingService recentInboundSummary "
                "recentOutboundSummary webhookError probeSmsAccount formatSmsProbeLines "
                "smsPlugin.base.capabilities"
            ),
            ("setup", "multi_account"): "CHANNEL_ID smsConfigAdapter smsPlugin.base.config",
            ("signatures",): "collectSmsSecurityWarnings",
            ("allowlist",): "collectSmsOpenDmFindings",
            ("outbound",): "resolveSmsOutboundSessionRoute smsPlugin.base.messaging",
            ("probe", "setup"): "smsPlugin.base.status",
            ("allowlist", "signatures"): "smsPlugin.security",
            ("outbound", "replies"): "smsPlugin.outbound",
        }
    ),
    "media": reaching(
        {
            ("mms",): "",
        }
    ),
}
# Text only a person reads in a UI or a log: a mutant there changes no behaviour the channel has.
LOGGING_CALL = re.compile(r"(?:^|\.)(?:log|logger|console)\b|Logger$|^log[A-Z]")
UI_TEXT = ("SmsChannelConfigSchema.uiHints", "smsPlugin.base.meta", "smsPlugin.agentPrompt")


class GenerationError(Exception):
    """Stryker could not list the mutants; one line for the user."""


@dataclass(frozen=True)
class JsMutant:
    """One of Stryker's mutants: `original` at [start, end) of dist/FILE becomes `replacement`."""

    module: str  # the dist file's name without its build hash
    id: str  # mutator#occurrence within the module: stable for one plugin and Stryker version
    file: str  # the dist file's name
    start: int  # offsets in the file's text (code points)
    end: int
    line: int
    scope: str  # the named ranges around it, outermost first: "createSmsWebhookHandler.handler"
    original: str
    replacement: str
    features: tuple[str, ...]
    left_out: str = ""  # why it is not in the channel's paths (logging, ui text, not mapped), or ""

    def mutated(self, text: str) -> str:
        """The file's text with this mutant, checked to change exactly its own place."""
        if text[self.start : self.end] != self.original:
            raise GenerationError(f"{self.module} {self.id}: {self.file} no longer reads {self.original!r} there")
        return text[: self.start] + self.replacement + text[self.end :]

    def apply(self, package: Path) -> None:
        """Write this mutant into the package's dist/."""
        path = package / "dist" / self.file
        path.write_text(self.mutated(path.read_text(encoding="utf-8")), encoding="utf-8")

    def diff(self, package: Path) -> str:
        text = (package / "dist" / self.file).read_text(encoding="utf-8")
        lines = difflib.unified_diff(
            text.splitlines(keepends=True),
            self.mutated(text).splitlines(keepends=True),
            f"a/dist/{self.file}",
            f"b/dist/{self.file}",
            n=2,
        )
        return "".join(lines)


def module_of(file: str) -> str:
    """`twilio-J4cwlx0M.js` -> `twilio`: build hashes change between versions, module names do not."""
    return re.sub(r"-[A-Za-z0-9_]{8}$", "", file.removesuffix(".js"))


def stryker_entry(version: str = STRYKER_VERSION) -> Entry:
    """The pinned instrumenter in the cache (`stryker/<version>`), installed by npm with the cached Node."""
    build = npm_build(INSTRUMENTER, version, installation().path_env(), "stryker")

    def check(folder: Path) -> str | None:
        manifest = folder / "node_modules" / INSTRUMENTER / "package.json"
        try:
            found = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError):
            return f"no readable {manifest}"
        return None if found == version else f"{INSTRUMENTER} is {found}, expected {version}"

    return Entry(cache_home() / "stryker" / version, f"{INSTRUMENTER}@{version}", build, check)


def code_points(text: str) -> list[int] | None:
    """Where each UTF-16 offset (JavaScript's, Babel's) falls in the Python string, or None when they agree."""
    if text.isascii():
        return None
    index = []
    for position, char in enumerate(text):
        index += [position] * (2 if ord(char) > 0xFFFF else 1)
    return [*index, len(text)]


def generate(package: Path, node: Path, tool: Path) -> list[JsMutant]:
    """Every mutant Stryker makes of the channel's modules in the package's dist/, in file order."""
    files = sorted(p for p in (package / "dist").glob("*.js") if module_of(p.name) in MODULES)
    if {module_of(p.name) for p in files} != set(MODULES):
        raise GenerationError(f"{package}/dist lacks the modules {', '.join(MODULES)} (another plugin layout?)")
    try:
        done = subprocess.run(
            [str(node / "node"), str(SCRIPT), str(tool), *map(str, files)],
            capture_output=True,
            text=True,
            timeout=GENERATE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GenerationError(f"Stryker could not list the mutants: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GenerationError(f"Stryker could not list the mutants (exit {done.returncode}): {last}")
    data = json.loads(done.stdout)
    mutants: list[JsMutant] = []
    seen: dict[tuple[str, str], int] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        index = code_points(text)
        at = (lambda offset: offset) if index is None else index.__getitem__
        shape = data["files"][str(path)]
        named = [(name, at(start), at(end)) for name, start, end in shape["named"]]
        calls = [(callee, at(start), at(end)) for callee, start, end in shape["calls"]]
        module = module_of(path.name)
        found = sorted((m for m in data["mutants"] if m["file"] == str(path)), key=lambda m: (m["start"], m["end"]))
        for raw in found:
            start, end = at(raw["start"]), at(raw["end"])
            occurrence = seen.get((module, raw["mutator"]), 0)
            seen[module, raw["mutator"]] = occurrence + 1
            scope = ".".join(name for name, a, b in named if a <= start and end <= b and (a, b) != (start, end))
            features, why = placed(module, scope, [c for c, a, b in calls if a <= start and end <= b])
            mutants.append(
                JsMutant(
                    module,
                    f"{raw['mutator']}#{occurrence}",
                    path.name,
                    start,
                    end,
                    text.count("\n", 0, start) + 1,
                    scope,
                    text[start:end],
                    raw["replacement"],
                    features,
                    why,
                )
            )
    return mutants


def placed(module: str, scope: str, callees: list[str]) -> tuple[tuple[str, ...], str]:
    """The features that reach a mutant at `scope` inside calls of `callees`, or why it is left out."""
    if any(LOGGING_CALL.search(callee) for callee in callees) or re.match(r"log[A-Z]", scope):
        return (), "logging"
    if any(scope == prefix or scope.startswith(prefix + ".") for prefix in UI_TEXT):
        return (), "ui text"
    table = FEATURES[module]
    best = max((p for p in table if p == "" or scope == p or scope.startswith(p + ".")), key=len, default=None)
    return (table[best], "") if best is not None else ((), "not mapped")


def sample(mutants: list[JsMutant], count: int | None, seed: int) -> list[JsMutant]:
    """A seeded sample of those in the channel's paths, in file order: the same seed, the same mutants."""
    kept = [m for m in mutants if not m.left_out]
    if count is None or count >= len(kept):
        return kept
    chosen = set(random.Random(seed).sample(range(len(kept)), count))
    return [m for i, m in enumerate(kept) if i in chosen]


def tool() -> Path:
    """The pinned Stryker instrumenter, provisioned once into the cache."""
    try:
        return provide(stryker_entry())
    except ProvisionError as exc:
        raise GenerationError(str(exc)) from None
