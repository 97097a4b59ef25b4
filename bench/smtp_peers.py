"""bench/smtp.sh's Python parts: the local SMTP sink (aiosmtpd, counting and dropping what it
receives) and the reference client (Python's smtplib, the same message N times over the same
number of connections, each kept open for its share).

    smtp_peers.py sink PORT            serve until killed; prints "ready" once listening
    smtp_peers.py client PORT N CONNS  send N e-mails; prints "RESULT sent=N seconds=S rate=R"
"""
import asyncio
import sys
import threading
import time
from email.message import EmailMessage


def sink(port):
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return "250 OK"

    c = Controller(Count(), hostname="127.0.0.1", port=port)
    c.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


def message(i):
    m = EmailMessage()
    m["From"] = "Магазин <shop@example.ru>"
    m["To"] = "Покупатель <customer@example.org>"
    m["Subject"] = "Ваши баллы сгорают через три дня"
    m["Message-ID"] = f"<ref-{i}@example.ru>"
    m.set_content("Здравствуйте! У вас 1 234 балла. " * 10)
    m.add_alternative("<p>Здравствуйте! У вас <b>1 234</b> балла.</p>" * 10, subtype="html")
    return m


def client(port, n, conns):
    import smtplib
    msgs = [message(i) for i in range(n)]  # built before the clock starts, as the C side's are
    sent = [0] * conns

    def run(k):
        with smtplib.SMTP("127.0.0.1", port) as s:
            for i in range(k, n, conns):
                s.send_message(msgs[i])
                sent[k] += 1

    t0 = time.monotonic()
    ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    print(f"RESULT sent={sum(sent)} seconds={secs:.3f} rate={sum(sent) / secs:.1f}")


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        sink(int(sys.argv[2]))
    else:
        client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
