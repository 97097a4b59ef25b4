"""The browser tests' SMTP server: tests/e2e/peers.py's SmtpSink (Debian's python3-aiosmtpd) run
as a process a Node test starts (smtp_sink.mjs). It prints `url=smtp://127.0.0.1:PORT` once
listening, then one JSON line per message taken: {"to": [...], "subject": "..."}; it stops when
its standard input closes (the test's end, or the test's process dying)."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from peers import SmtpSink  # noqa: E402


def main():
    sink = SmtpSink.start()
    print(f"url={sink.url}", flush=True)
    done = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    told = 0
    while not done.is_set():
        while told < len(sink.messages):
            msg = sink.parsed(told)
            print(json.dumps({"to": list(sink.messages[told].rcpt_tos),
                              "subject": str(msg["subject"] or "")},
                             ensure_ascii=False), flush=True)
            told += 1
        time.sleep(0.05)
    sink.stop()


if __name__ == "__main__":
    main()
