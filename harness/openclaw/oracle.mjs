// The published plugin's own functions, called on inputs from stdin (one JSON case a line).
// Usage: node oracle.mjs <unpacked @openclaw/sms package dir>  (its node_modules/openclaw
// points at an installed openclaw). Prints one JSON result a line, in order.
// We call the plugin's code; we copy none of it. Its exports have minified names, so
// functions are found by their own `.name`.
import { createInterface } from "node:readline";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const pkg = process.argv[2];
const dist = join(pkg, "dist");
const byName = {};
for (const file of readdirSync(dist).filter((f) => f.startsWith("twilio-") && f.endsWith(".js"))) {
  const mod = await import(pathToFileURL(join(dist, file)).href);
  for (const value of Object.values(mod)) if (typeof value === "function") byName[value.name] = value;
}
// Destructured helpers carry their factory's name.
byName.listSmsAccountIds ??= byName.listAccountIds;
byName.resolveDefaultSmsAccountId ??= byName.resolveDefaultAccountId;
const { smsPlugin } = await import(pathToFileURL(join(dist, "channel-plugin-api.js")).href);
const sdk = await import(pathToFileURL(join(pkg, "node_modules", "openclaw", "dist", "plugin-sdk", "text-chunking.js")).href);
const need = (name) => {
  if (!byName[name]) throw new Error(`the plugin has no function ${name}`);
  return byName[name];
};
const ROLE_PREFIX = "[assistant-authored transcript] ";

// The SMS chunker: the plugin's parameters for openclaw's render-aware chunker on plain text.
function chunks(text, limit) {
  return sdk.renderMarkdownIRChunksWithinLimit({
    ir: { text, styles: [], links: [] },
    limit,
    assistantTranscriptRoleMessageBoundaries: true,
    renderChunk: (c) => (c.annotations?.some((a) => a.type === "assistant_transcript_role") ? ROLE_PREFIX + c.text : c.text),
    measureRendered: (r) => r.length,
  }).map(({ rendered }) => rendered).filter(Boolean);
}

function withEnv(env, fn) {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (/^(TWILIO_|SMS_)/.test(key)) delete process.env[key];
  Object.assign(process.env, env ?? {});
  try {
    return fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const ops = {
  plain: (c) => smsPlugin.outbound.sanitizeText({ text: c.text }),
  chunks: (c) => chunks(c.text, c.limit),
  replyChunks: (c) => {
    const plain = smsPlugin.outbound.sanitizeText({ text: c.text });
    return plain ? chunks(plain, Math.min(c.limit, 1600)) : [];
  },
  // OpenClaw's outbound delivery cuts a text-only send first; the channel chunks each piece as a reply
  sendChunks: (c) => sdk.chunkTextForOutbound(c.text, c.limit).flatMap((piece) => ops.replyChunks({ text: piece, limit: c.limit })),
  number: (c) => need("normalizeSmsPhoneNumber")(c.value),
  looksLikeNumber: (c) => need("looksLikeSmsPhoneNumber")(c.value),
  allowEntry: (c) => need("normalizeSmsAllowFrom")(c.value),
  signatureUrl: (c) => need("resolveTwilioWebhookSignatureUrl")({ req: { url: c.requestPath }, publicWebhookUrl: c.publicWebhookUrl }),
  statusCallback: (c) => need("resolveTwilioStatusCallbackUrl")(c.value),
  inbound: (c) => need("buildTwilioInboundMessage")(c.form),
  signature: (c) => need("verifyTwilioSignature")({ signature: c.signature, url: c.url, authToken: c.authToken, form: c.form }),
  account: (c) => withEnv(c.env, () => {
    const account = need("resolveSmsAccount")({ channels: { sms: c.sms } }, c.accountId);
    return { ...account, authToken: account.authToken ? "<set>" : "" };
  }),
  accountIds: (c) => withEnv(c.env, () => need("listSmsAccountIds")({ channels: { sms: c.sms } })),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const item = JSON.parse(line);
  try {
    process.stdout.write(JSON.stringify({ ok: ops[item.op](item) ?? null }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + "\n");
  }
}
