"""Parses a received .eml with Python's email package (an independent MIME reader) and
prints what the AssayCurl tests check as JSON: decoded headers, every part's content type,
file name and decoded payload (base64), and the defects the parser found.
"""

import base64
import email
import json
import sys
from email import policy


def main():
    with open(sys.argv[1], "rb") as file:
        raw = file.read()
    message = email.message_from_bytes(raw, policy=policy.default)
    parts = []
    defects = [str(defect) for defect in message.defects]
    for part in message.walk():
        defects += [str(defect) for defect in part.defects]
        payload = b"" if part.is_multipart() else part.get_payload(decode=True)
        parts.append({
            "contentType": part.get_content_type(),
            "filename": part.get_filename(),
            "payload": base64.b64encode(payload).decode(),
        })
    print(json.dumps({
        "subject": str(message["subject"]),
        "from": str(message["from"]),
        "to": str(message["to"]),
        "date": str(message["date"]),
        "messageID": str(message["message-id"]),
        "parts": parts,
        "defects": defects,
        "rawLines": raw.decode("utf-8", "replace").split("\r\n"),
        "bareLineBreaks": raw.replace(b"\r\n", b"").count(b"\n") + raw.replace(b"\r\n", b"").count(b"\r"),
    }))


if __name__ == "__main__":
    main()
