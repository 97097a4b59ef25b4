"""The README's tour, run exactly as written (issue 11, item 11).

The shell blocks of the README's "A five-minute tour" section are joined in order and run with
bash (-e, -u, pipefail) against a fresh server started with the ARGS the section tells a newcomer
to give `make run`. The run happens in a scratch directory laid out like the repository's root
(build/release/kartoteka is the binary under test, docs/samples a copy of the samples, data/ the
server's directory), so the commands run verbatim; only URL is set, to the server's free port,
and MAIL, to a free port for the tour's mail sink (the server's --smtp-url is pointed at it).
Any step that fails (curl --fail-with-body, a CLI verb's exit code, jq) fails the test, and so
does a README that drifts from what the server does.
"""
import email
import email.policy
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import time

from conftest import BIN, ROOT, SANITIZER, sqlite_only
from peers import free_port

README = ROOT / "README.md"
HEADING = "## A five-minute tour"


def tour_section(text):
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:end if end >= 0 else len(text)]


def shell_blocks(section):
    return re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)


def server_args(section):
    found = re.findall(r'^    make run ARGS="([^"]*)"$', section, re.M)
    assert len(found) == 1, f"the tour names how to start the server once: {found}"
    return shlex.split(found[0])


def commands(blocks):
    """The code of the blocks without comments: what the lint checks look at."""
    code = []
    for b in blocks:
        for line in b.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line)
            if line.strip():
                code.append(line)
    return code


def test_the_tour_is_runnable_as_written():
    section = tour_section(README.read_text())
    blocks = shell_blocks(section)
    assert len(blocks) >= 5, "the tour lost its shell blocks"
    code = "\n".join(commands(blocks))
    # Nothing a newcomer would have to edit: no placeholder ids or keys in the commands.
    placeholders = re.findall(r"\b[a-z]{1,2}_\.\.\.|\bkt_\.\.\.|(?<!\?)<[a-z _]+>", code)
    # An HTML element of a template (<p>...</p>) is no placeholder.
    placeholders = [p for p in placeholders if f"</{p[1:]}" not in code]
    assert placeholders == [], placeholders
    # Every request stops the tour when it fails: curl --fail-with-body, or a `test` of the
    # status a step expects (a refusal the tour shows on purpose).
    for line in code.splitlines():
        if re.search(r"(^|[$(|;&]\s*)curl\s", line):
            checked = "--fail-with-body" in line or (
                line.startswith('test "$(curl ') and "-w '%{http_code}'" in line)
            assert checked, f"a curl whose failure would go unnoticed: {line}"


def start(work, args):
    out = open(work / "server.out", "w+")
    err = open(work / "server.err", "w+")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    proc = subprocess.Popen([BIN, "serve", *args, "--listen", "127.0.0.1:0"], cwd=work,
                            stdout=out, stderr=err, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, (work / "server.err").read_text()
        m = re.search(r"event=listening port=(\d+)", (work / "server.err").read_text())
        if m:
            return proc, int(m.group(1)), env
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the server did not start listening")


def stop(proc, work):
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    log = (work / "server.err").read_text(errors="replace")
    bad = SANITIZER.search(log)
    assert not bad, f"sanitizer report:\n{log[-5000:]}"
    assert code == 0, f"server exited {code}:\n{log[-3000:]}"
    return log


@sqlite_only("the README's tour runs its server as a newcomer would, on the default SQLite file "
             "data/kartoteka.db; under KT_TEST_DB=postgres it would only repeat the SQLite run")
def test_the_tour_runs_top_to_bottom_on_a_fresh_server(tmp_path):
    section = tour_section(README.read_text())
    work = tmp_path / "repo"
    (work / "build" / "release").mkdir(parents=True)
    (work / "build" / "release" / "kartoteka").symlink_to(BIN)
    shutil.copytree(ROOT / "docs" / "samples", work / "docs" / "samples")
    script = work / "tour.sh"
    script.write_text("\n".join(shell_blocks(section)))
    mail = f"127.0.0.1:{free_port()}"
    args = [a.replace("127.0.0.1:8025", mail) for a in server_args(section)]
    assert args != server_args(section), "the tour's server sends its e-mails to 127.0.0.1:8025"
    proc, port, env = start(work, args)
    tour = None
    try:
        env["URL"] = f"http://127.0.0.1:{port}"
        env["MAIL"] = mail
        # A session of its own: what the tour starts in the background (the mail sink) is
        # stopped with it, even when a step fails before the tour stops it.
        # Files, not pipes: the sink inherits them and would hold a pipe open after bash ends.
        with open(work / "tour.out", "w+") as out, open(work / "tour.err", "w+") as err:
            tour = subprocess.Popen(["bash", "-e", "-u", "-o", "pipefail", "-x", str(script)],
                                    cwd=work, env=env, stdout=out, stderr=err,
                                    start_new_session=True)
            code = tour.wait(timeout=600)
        r = subprocess.CompletedProcess(tour.args, code, (work / "tour.out").read_text(),
                                        (work / "tour.err").read_text())
    finally:
        if tour is not None:
            try:
                os.killpg(tour.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        log = stop(proc, work)
    assert r.returncode == 0, (f"the tour failed (exit {r.returncode}); the last steps:\n"
                               f"{r.stderr[-4000:]}\n--- stdout ---\n{r.stdout[-3000:]}")
    # The tour read the code from the sink; the server's log never carries it.
    sink = (work / "data" / "sms.jsonl").read_text()
    assert "+79161234567" in sink and "подтверждения" in sink
    assert "подтверждения" not in log and "+79161234567" not in log
    # The campaign's e-mail reached the sink once, with its one-click unsubscribe headers, and
    # the abandoned cart's reminder once: nothing after his purchase.
    mails = sorted((work / "data" / "mail" / "new").iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(mails) == 2, mails
    texts = [m.read_text(errors="replace") for m in mails]
    for text in texts:
        assert "petrov@example.ru" in text
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    bodies = ["".join(part.get_content() for part in
                      email.message_from_string(t, policy=email.policy.default).walk()
                      if part.get_content_type() == "text/plain") for t in texts]
    assert "В корзине B-7." in bodies[1] and "B-7" not in bodies[0], bodies
