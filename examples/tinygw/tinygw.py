"""tinygw: the smallest SMS gateway that passes the guide's signature scenarios. Standard library only.

    tinygw.py gateway --port N           serve the webhook (prints its URL, answers /readyz)
    tinygw.py config patch --file F      merge F's {"channels": {"sms": {...}}} into the config
    tinygw.py pairing list|approve …     it has no pairing: an empty list, and a refusal
    tinygw.py message send --target sms:+1… --message T    send through Twilio's REST API
    tinygw.py status                     a probe that only says whether it is configured

State lives in $TINYGW_STATE; Twilio's REST base comes from $TINYGW_TWILIO_API_BASE and the agent's
model from $TINYGW_MODEL_URL (both the emulator's, in a harness run). See tinygw.toml.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = os.environ.get("TINYGW_STATE", ".tinygw")
CONFIG = os.path.join(STATE, "config.json")


def channel():
    try:
        with open(CONFIG) as f:
            return json.load(f).get("channels", {}).get("sms") or {}
    except FileNotFoundError:
        return {}


def twilio(path, form, sms):
    auth = base64.b64encode(f"{sms['accountSid']}:{sms['authToken']}".encode()).decode()
    url = f"{os.environ['TINYGW_TWILIO_API_BASE']}/2010-04-01/Accounts/{sms['accountSid']}/{path}"
    request = urllib.request.Request(url, urllib.parse.urlencode(form).encode(), {"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def agent(text):
    body = json.dumps({"model": "any", "messages": [{"role": "user", "content": text}]}).encode()
    request = urllib.request.Request(
        f"{os.environ['TINYGW_MODEL_URL']}/chat/completions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["choices"][0]["message"]["content"]


def signed(url, params, token, signature):
    """Twilio's scheme: HMAC-SHA1 over the URL, then each POST parameter's name and value, sorted."""
    data = url + "".join(k + v for k, v in sorted(params.items()))
    expected = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, signature or "")


class Webhook(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(200 if self.path == "/readyz" else 404, "ok", "text/plain")

    def do_POST(self):
        sms = channel()
        if urllib.parse.urlsplit(self.path).path != sms.get("webhookPath", "/webhooks/sms"):
            return self.answer(404, "not found", "text/plain")
        params = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
        url = sms.get("publicWebhookUrl", "").split("#")[0]
        query = urllib.parse.urlsplit(self.path).query
        url += f"?{query}" if query and "?" not in url else ""
        if sms.get("dangerouslyDisableSignatureValidation"):
            print("tinygw: warning: signature validation is disabled", file=sys.stderr, flush=True)
        elif not signed(url, params, sms.get("authToken", ""), self.headers.get("X-Twilio-Signature")):
            return self.answer(403, "Invalid signature", "text/plain")
        self.answer(200, "<Response></Response>", "text/xml")
        if params.get("Body"):  # dmPolicy "open": everyone talks to the agent
            twilio(
                "Messages.json", {"To": params["From"], "From": sms["fromNumber"], "Body": agent(params["Body"])}, sms
            )

    def answer(self, status, text, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(text.encode())))
        self.end_headers()
        self.wfile.write(text.encode())


def main(args):
    os.makedirs(STATE, exist_ok=True)
    if args[0] == "gateway":
        server = ThreadingHTTPServer(("127.0.0.1", int(args[args.index("--port") + 1])), Webhook)
        print(f"http://127.0.0.1:{server.server_port}", flush=True)
        server.serve_forever()
    elif args[:2] == ["config", "patch"]:
        with open(args[args.index("--file") + 1]) as f:
            patch = json.load(f)
        with open(CONFIG, "w") as f:  # the harness sends the whole channels.sms block each time
            json.dump({"channels": {"sms": patch["channels"]["sms"]}}, f)
    elif args[:2] == ["pairing", "list"]:
        print(json.dumps({"requests": []}))
    elif args[:2] == ["pairing", "approve"]:
        sys.exit("tinygw: no pairing here")
    elif args[:2] == ["message", "send"]:
        target = args[args.index("--target") + 1].split(":")[-1]
        sent = twilio(
            "Messages.json",
            {"To": target, "From": channel()["fromNumber"], "Body": args[args.index("--message") + 1]},
            channel(),
        )
        print(json.dumps({"ok": True, "messageId": sent["sid"]}))
    elif args[0] == "status":
        print(json.dumps({"channelAccounts": {"sms": [{"accountId": "default", "probe": {"ok": bool(channel())}}]}}))


if __name__ == "__main__":
    main(sys.argv[1:])
