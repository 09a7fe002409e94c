"""A GitHub webhook receiver written the way someone else would write one.

It is not hooklab: only the Python standard library (http.server, hmac,
json), so that `hooklab check` can be tested against a correct receiver it
did not write. The secret is WEBHOOK_SECRET; RECEIVER_MAX_BODY is the body
size limit in bytes (25 MiB, GitHub's cap, when unset). It binds 127.0.0.1 on
a free port and prints the port, alone on a line, once it is listening.

Answers: 405 for anything but POST, 404 off /webhook, 411 without a
Content-Length or with Transfer-Encoding, 413 over the limit (the body is not
read), 400 when the body is shorter than its Content-Length, 401 for a
missing, malformed or mismatched X-Hub-Signature-256, 415 for a content type
that is not JSON or a form, 400 for invalid JSON, a form without payload, or
no X-GitHub-Event, and 200 otherwise.
"""

import hashlib
import hmac
import json
import os
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["WEBHOOK_SECRET"].encode()
MAX_BODY = int(os.environ.get("RECEIVER_MAX_BODY", 25 << 20))
PATH = "/webhook"
SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


class Receiver(BaseHTTPRequestHandler):
    def answer(self, status, reason):
        body = json.dumps({"status": status, "reason": reason}).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 405:
            self.send_header("Allow", "POST")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != PATH:
            return self.answer(404, "not_found")
        if self.headers.get("Transfer-Encoding") is not None:
            return self.answer(411, "chunked_not_accepted")
        length = self.headers.get("Content-Length")
        if length is None:
            return self.answer(411, "length_required")
        try:
            length = int(length)
        except ValueError:
            return self.answer(400, "bad_content_length")
        if length < 0:
            return self.answer(400, "bad_content_length")
        if length > MAX_BODY:
            return self.answer(413, "too_large")

        body = self.rfile.read(length)
        if len(body) < length:
            return self.answer(400, "short_body")

        signature = self.headers.get("X-Hub-Signature-256")
        if not signature:
            return self.answer(401, "no_signature")
        if not SIGNATURE.fullmatch(signature):
            return self.answer(401, "bad_signature_format")
        want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, signature.lower()):
            return self.answer(401, "bad_signature")

        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            payload = body
        elif content_type == "application/x-www-form-urlencoded":
            try:
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                return self.answer(400, "bad_form")
            if len(form.get("payload", [])) != 1:
                return self.answer(400, "no_payload")
            payload = form["payload"][0]
        else:
            return self.answer(415, "unsupported_content_type")
        try:
            json.loads(payload)
        except ValueError:
            return self.answer(400, "bad_json")
        if not self.headers.get("X-GitHub-Event"):
            return self.answer(400, "no_event")
        return self.answer(200, "ok")

    def not_post(self):
        self.answer(405, "method_not_allowed")

    do_GET = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = not_post

    def log_message(self, format, *args):
        pass  # quiet: the test reads only the port from stdout


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
