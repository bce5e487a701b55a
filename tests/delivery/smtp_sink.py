#!/usr/bin/python3
"""A real SMTP server for the delivery tests (aiosmtpd, loopback only).

It binds 127.0.0.1 on a port the kernel picks, prints "PORT <n>" on stdout,
and writes every message it accepts to DIR as msg-<n>.eml (the bytes as
received, after un-dot-stuffing) with msg-<n>.env next to it (envelope
sender, recipients and the login, one per line: "from ...", "rcpt ...",
"auth ..."). Files appear atomically (written to a temp name, renamed).

Modes:
  plain        no STARTTLS, no AUTH
  starttls     STARTTLS offered and required before MAIL (needs --cert/--key)
  smtps        TLS from the first byte (needs --cert/--key)
  auth         STARTTLS required, then AUTH required (--user/--password)
  refuse-rcpt  every RCPT TO is answered 550
  close        accept the connection and close it at once
  hang         accept the connection and never say anything
It exits on SIGTERM, or when its parent (the test) is gone.
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if server.sspr_mode == "refuse-rcpt":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.seq)
        base = os.path.join(self.dir, "msg-%d" % n)
        env = ["from <%s>" % envelope.mail_from]
        env += ["rcpt <%s>" % r for r in envelope.rcpt_tos]
        login = getattr(session, "login_data", None)
        if login:
            env.append("auth %s" % login.decode("utf-8", "replace"))
        tls = session.ssl is not None or (
            server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None)
        env.append("tls %s" % ("yes" if tls else "no"))
        for suffix, data in ((".env", ("\n".join(env) + "\n").encode()),
                             (".eml", envelope.original_content)):
            tmp = base + suffix + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, base + suffix)
        return "250 2.0.0 Message accepted"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return authenticator


async def close_at_once(reader, writer):
    writer.close()


async def hang(reader, writer):
    await asyncio.sleep(3600)


async def watch_parent(ppid):
    while True:
        await asyncio.sleep(0.5)
        if os.getppid() != ppid:
            os._exit(0)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--mode", default="plain",
                    choices=["plain", "starttls", "smtps", "auth", "refuse-rcpt", "close",
                             "hang"])
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user", default="sspr")
    ap.add_argument("--password", default="secret")
    a = ap.parse_args()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    loop.create_task(watch_parent(os.getppid()))

    ctx = None
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    sink = Sink(a.dir)

    if a.mode == "close":
        server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    elif a.mode == "hang":
        server = await asyncio.start_server(hang, "127.0.0.1", 0)
    else:
        def factory():
            kw = {"hostname": "sink.test", "timeout": 30}
            if a.mode in ("starttls", "auth"):
                kw.update(tls_context=ctx, require_starttls=True)
            if a.mode == "auth":
                kw.update(auth_required=True,
                          authenticator=make_authenticator(a.user, a.password))
            smtp = SMTP(sink, **kw)
            smtp.sspr_mode = a.mode
            return smtp
        server = await loop.create_server(factory, "127.0.0.1", 0,
                                          ssl=ctx if a.mode == "smtps" else None)

    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    await stop
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
