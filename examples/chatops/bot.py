#!/usr/bin/env python3
"""Checks a project with upcheck and posts the answer to a chat channel.

A slash command carries text only, so a bot does the posting: it packs
the project directory, sends it to upcheck's `POST /validate/slack` (or
`/validate/mattermost`), and posts the message upcheck answers to an
incoming webhook, as it is: Slack takes Block Kit, Mattermost its
attachments. Standard library only.

    bot.py --upcheck http://upcheck:8080 --webhook https://hooks.slack.com/services/T/B/X DIR
    bot.py --chat mattermost --webhook https://mm.example.com/hooks/abc DIR

Exit status: 0 pass or warn, 1 fail, 2 when upcheck could not read the
project (the channel gets that message too) or could not be reached.
Options can come from the environment: UPCHECK_URL, UPCHECK_TOKEN (a
bearer token, when the service asks for one), CHAT_WEBHOOK.
"""

import argparse
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request
import uuid


def pack(directory):
    """The project as a tar.gz, paths below the directory's own name."""
    buf = io.BytesIO()
    root = os.path.abspath(directory)
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root, arcname=os.path.basename(root) or "project",
                filter=lambda t: None if t.name.split("/")[-1] in (".git", "node_modules") else t)
    return buf.getvalue()


def validate(upcheck, chat, token, archive):
    """upcheck's chat message for the archive, and the verdict."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="project"; filename="project.tar.gz"\r\n'
        "Content-Type: application/gzip\r\n\r\n"
    ).encode() + archive + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(
        f"{upcheck.rstrip('/')}/validate/{chat}", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.load(res), res.headers.get("x-upcheck-verdict", "error")
    except urllib.error.HTTPError as e:
        problem = json.loads(e.read() or b"{}")
        why = problem.get("detail") or f"HTTP {e.code}"
        text = f"🛑 upcheck could not check the project: {why}"
        if chat == "slack":
            return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}, "error"
        return {"text": text}, "error"


def post(webhook, message):
    req = urllib.request.Request(webhook, data=json.dumps(message).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        res.read()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("directory")
    p.add_argument("--upcheck", default=os.environ.get("UPCHECK_URL", "http://localhost:8080"))
    p.add_argument("--chat", choices=["slack", "mattermost"], default="slack")
    p.add_argument("--webhook", default=os.environ.get("CHAT_WEBHOOK"))
    p.add_argument("--token", default=os.environ.get("UPCHECK_TOKEN"))
    a = p.parse_args()
    if not a.webhook:
        p.error("--webhook (or CHAT_WEBHOOK) is required")
    try:
        message, verdict = validate(a.upcheck, a.chat, a.token, pack(a.directory))
    except (urllib.error.URLError, OSError) as e:
        print(f"bot: cannot reach upcheck at {a.upcheck}: {e}", file=sys.stderr)
        return 2
    post(a.webhook, message)
    print(f"bot: {verdict}, posted to the {a.chat} webhook")
    return {"pass": 0, "warn": 0, "fail": 1}.get(verdict, 2)


if __name__ == "__main__":
    sys.exit(main())
