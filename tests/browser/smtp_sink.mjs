// smtp_sink.mjs - a real SMTP server for a browser test: smtp_sink.py (tests/e2e/peers.py's
// SmtpSink on Debian's python3-aiosmtpd) as a child process. `url` is what serve's --smtp-url
// takes; `messages` fills as mail arrives ({to: [...], subject}); waitFor(n) waits for n.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.KT_PYTHON || '/usr/bin/python3';

export class SmtpSink {
    static async start() {
        const sink = new SmtpSink();
        sink.messages = [];
        sink.proc = spawn(PYTHON, [join(HERE, 'smtp_sink.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
        sink.stderr = '';
        sink.proc.stderr.setEncoding('utf8').on('data', (s) => (sink.stderr += s));
        sink.exited = new Promise((ok) => sink.proc.on('exit', ok));
        let buf = '';
        sink.url = await new Promise((ok, no) => {
            const timer = setTimeout(() => no(new Error(`smtp_sink.py did not start:\n${sink.stderr}`)),
                                     15000);
            sink.proc.on('exit', (code) => no(new Error(`smtp_sink.py exited ${code}:\n${sink.stderr}`)));
            sink.proc.stdout.setEncoding('utf8').on('data', (s) => {
                buf += s;
                let nl;
                while ((nl = buf.indexOf('\n')) >= 0) {
                    const line = buf.slice(0, nl);
                    buf = buf.slice(nl + 1);
                    if (line.startsWith('url=')) {
                        clearTimeout(timer);
                        ok(line.slice(4));
                    } else if (line) {
                        sink.messages.push(JSON.parse(line));
                    }
                }
            });
        });
        return sink;
    }

    /** The messages once there are `n` of them, or an error after `ms`. */
    async waitFor(n, ms = 30000) {
        const deadline = Date.now() + ms;
        while (this.messages.length < n) {
            if (Date.now() > deadline) {
                throw new Error(`the SMTP sink has ${this.messages.length} of ${n} messages`);
            }
            await new Promise((r) => setTimeout(r, 50));
        }
        return this.messages;
    }

    async stop() {
        this.proc.stdin.end();
        const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
        await this.exited;
        clearTimeout(timer);
    }
}
