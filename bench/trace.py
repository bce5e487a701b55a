#!/usr/bin/python3
"""Where the time goes, from bench/tracepre.so's files (docs/benchmarks.md).

    trace.py prompt DIR   "y" -> the code prompt, split at what the driver,
                          the module and the helper did (flows of `sspr-bench
                          prompt` run with the preload and BENCH_TRACE=1)
    trace.py locks DIR    the helpers' record locks: waiting, holding, the
                          fsyncs while holding (16 wrong codes for one user)
    trace.py ldap DIR     "y" -> the code prompt of a directory user's flow,
                          split at what the helper and sspr-ldap did

DIR holds one file per process, named by its pid: lines "T_US EVENT A B"
(bench/tracepre.c says what each event is). Prints medians; exits 1 when
the files hold no complete flow.
"""
import os
import sys

F_PROMPT = (2, 3)  # SSPR_F_PROMPT_ECHO_OFF, _ON (common/wire.h)
F_INFO = 4


def load(d):
    procs = {}
    for name in os.listdir(d):
        if not name.isdigit():
            continue
        evs = []
        with open(os.path.join(d, name)) as f:
            for line in f:
                p = line.split()
                if len(p) == 4:
                    evs.append((float(p[0]), p[1], int(p[2]), int(p[3])))
        evs.sort(key=lambda e: e[0])
        procs[int(name)] = evs
    return procs


def q(v, p):
    if not v:
        return float("nan")
    s = sorted(v)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]


def row(label, v, unit="ms", scale=1000.0):
    print("  %-52s median %8.3f %s  p90 %8.3f  (n=%d)" % (label, q(v, .5) / scale, unit,
                                                          q(v, .9) / scale, len(v)))


def first(evs, pred, after=None, before=None):
    for e in evs:
        if after is not None and e[0] < after:
            continue
        if before is not None and e[0] > before:
            break
        if pred(e):
            return e
    return None


def spans(evs, start, end, lo, hi):
    """Total time between start and end events (nested calls not expected)."""
    total, t0 = 0.0, None
    for t, what, _, _ in evs:
        if t < lo or t > hi:
            continue
        if what == start:
            t0 = t
        elif what == end and t0 is not None:
            total += t - t0
            t0 = None
    return total


def prompt(d):
    procs = load(d)
    driver = [p for p, evs in procs.items() if first(evs, lambda e: e[1] == "mark")]
    if len(driver) != 1:
        sys.exit("trace.py: %d driver files in %s, expected 1" % (len(driver), d))
    dev = procs[driver[0]]
    parts = {k: [] for k in ("total", "pre", "spawn", "ctor", "setup", "wait", "sodium",
                             "first", "nss", "dlopen", "toprompt", "relay", "frames",
                             "hello_sent")}
    yes = [e[0] for e in dev if e[1] == "mark" and e[2] == 2]
    for t_yes in yes:
        code = first(dev, lambda e: e[1] == "mark" and e[2] == 3, after=t_yes)
        fork = first(dev, lambda e: e[1] == "fork", after=t_yes)
        forked = first(dev, lambda e: e[1] == "forked", after=t_yes)
        if code is None or fork is None or forked is None or forked[2] not in procs:
            continue
        hev = procs[forked[2]]
        ctor = first(hev, lambda e: e[1] == "ctor")
        main = first(hev, lambda e: e[1] == "main")
        hello = first(hev, lambda e: e[1] == "recv" and e[2] > 0)
        ready = first(hev, lambda e: e[1] in ("poll+", "recv"), after=main[0] if main else None)
        sent = first(dev, lambda e: e[1] == "send" and e[3] == 1, after=fork[0])
        sends = [e for e in hev if e[1] == "send" and e[2] > 0 and e[0] <= code[0]]
        pframe = [e for e in sends if e[3] in F_PROMPT]
        if None in (ctor, main, hello, ready, sent) or not sends or not pframe:
            continue
        t_code, t_pf = code[0], pframe[0][0]
        parts["total"].append(t_code - t_yes)
        parts["pre"].append(fork[0] - t_yes)
        parts["spawn"].append(ctor[0] - fork[0])
        parts["ctor"].append(main[0] - ctor[0])
        parts["setup"].append(ready[0] - main[0])
        parts["wait"].append(hello[0] - ready[0])
        parts["hello_sent"].append(sent[0] - fork[0])
        parts["sodium"].append(spans(hev, "sodium+", "sodium-", main[0], hello[0]))
        parts["first"].append(sends[0][0] - hello[0])
        parts["nss"].append(spans(hev, "nss+", "nss-", hello[0], t_pf))
        parts["dlopen"].append(spans(hev, "dlopen+", "dlopen-", hello[0], t_pf))
        parts["toprompt"].append(t_pf - sends[0][0])
        parts["relay"].append(t_code - t_pf)
        parts["frames"].append(len(sends))
    n = len(parts["total"])
    if n == 0:
        sys.exit("trace.py: no complete flow in %s" % d)
    print(" \"y\" -> code prompt, traced (%d flows; the preload itself adds a little to each):" % n)
    row("\"y\" handed back -> code prompt (total)", parts["total"])
    row("module: \"y\" -> fork() (checks, socketpair)", parts["pre"])
    row("fork() -> helper loaded (fork, exec, ld.so)", parts["spawn"])
    row("library constructors -> main()", parts["ctor"])
    row("main() -> ready to read HELLO (set-up, config)", parts["setup"])
    row("  of which sodium_init()", parts["sodium"])
    row("ready -> HELLO read (waiting for the module)", parts["wait"])
    row("  (module: fork() -> HELLO sent)", parts["hello_sent"])
    row("HELLO -> first frame sent (account, records, policy)", parts["first"])
    row("  of which NSS (getpwnam, getspnam, groups)", parts["nss"])
    row("  of which dlopen()", parts["dlopen"])
    row("first frame -> prompt frame sent", parts["toprompt"])
    row("prompt frame sent -> the conversation has it", parts["relay"])
    print("  %-52s median %d" % ("frames the helper sent up to the prompt", q(parts["frames"], .5)))


def ldap(d):
    procs = load(d)
    driver = [p for p, evs in procs.items() if first(evs, lambda e: e[1] == "mark")]
    if len(driver) != 1:
        sys.exit("trace.py: %d driver files in %s, expected 1" % (len(driver), d))
    dev = procs[driver[0]]
    keys = ("total", "hello", "tofork", "exec", "req", "init", "ldapinit", "tlsctx", "connect",
            "starttls", "handshake", "bind", "answered", "toprompt", "relay", "searches",
            "dlopens", "dlopen_t")
    parts = {k: [] for k in keys}
    for t_yes in [e[0] for e in dev if e[1] == "mark" and e[2] == 2]:
        code = first(dev, lambda e: e[1] == "mark" and e[2] == 3, after=t_yes)
        forked = first(dev, lambda e: e[1] == "forked", after=t_yes)
        if code is None or forked is None or forked[2] not in procs:
            continue
        hev = procs[forked[2]]
        hello = first(hev, lambda e: e[1] == "recv" and e[2] > 0)
        lfork = first(hev, lambda e: e[1] == "fork")
        lpid = first(hev, lambda e: e[1] == "forked")
        pframe = first(hev, lambda e: e[1] == "send" and e[3] in F_PROMPT)
        if None in (hello, lfork, lpid, pframe) or lpid[2] not in procs:
            continue
        lev = procs[lpid[2]]
        ev = {}
        for name in ("main", "ldapinit+", "tlsctx+", "tlsctx-", "connect+", "connect-",
                     "starttls+", "starttls-", "bind+", "bind-"):
            e = first(lev, lambda x, n=name: x[1] == n)
            ev[name] = e[0] if e else None
        req = first(lev, lambda e: e[1] == "recv" and e[2] > 0)
        ans = first(lev, lambda e: e[1] == "send" and e[2] > 0)
        if None in ev.values() or req is None or ans is None:
            continue
        parts["total"].append(code[0] - t_yes)
        parts["hello"].append(hello[0] - t_yes)
        parts["tofork"].append(lfork[0] - hello[0])
        parts["exec"].append(ev["main"] - lfork[0])
        parts["req"].append(req[0] - ev["main"])
        parts["init"].append(ev["connect+"] - req[0])
        parts["tlsctx"].append(ev["tlsctx-"] - ev["tlsctx+"])
        li = first(lev, lambda x: x[1] == "ldapinit-")
        parts["ldapinit"].append(li[0] - ev["ldapinit+"] if li else 0)
        dl = [e for e in lev if e[1] == "dlopen+" and li and ev["ldapinit+"] <= e[0] <= li[0]]
        parts["dlopens"].append(len(dl))
        parts["dlopen_t"].append(spans(lev, "dlopen+", "dlopen-", ev["ldapinit+"],
                                       li[0] if li else ev["ldapinit+"]))
        parts["connect"].append(ev["connect-"] - ev["connect+"])
        parts["starttls"].append(ev["starttls-"] - ev["starttls+"])
        parts["handshake"].append(spans(lev, "handshake+", "handshake-", ev["starttls+"],
                                        ev["starttls-"]))
        parts["bind"].append(ev["bind-"] - ev["bind+"])
        parts["answered"].append(ans[0] - ev["bind-"])
        parts["toprompt"].append(pframe[0] - ans[0])
        parts["searches"].append(spans(lev, "search+", "search-", ans[0], pframe[0]))
        parts["relay"].append(code[0] - pframe[0])
    n = len(parts["total"])
    if n == 0:
        sys.exit("trace.py: no complete directory flow in %s" % d)
    print(" ldap: \"y\" -> code prompt, traced (%d flows):" % n)
    row("\"y\" handed back -> code prompt (total)", parts["total"])
    row("\"y\" -> the helper has HELLO (as a local flow)", parts["hello"])
    row("HELLO -> the helper forks sspr-ldap", parts["tofork"])
    row("fork -> sspr-ldap's main() (exec, loading)", parts["exec"])
    row("main() -> its hello request read", parts["req"])
    row("hello request -> connect() (init, TLS context)", parts["init"])
    row("  of which ldap_initialize()", parts["ldapinit"])
    row("    of which dlopen() (%d calls: libsasl2's plugins)" % q(parts["dlopens"], .5),
        parts["dlopen_t"])
    row("  of which the TLS context (CA, credentials)", parts["tlsctx"])
    row("connect()", parts["connect"])
    row("StartTLS", parts["starttls"])
    row("  of which the TLS handshake", parts["handshake"])
    row("bind", parts["bind"])
    row("bind -> hello answered", parts["answered"])
    row("hello answered -> prompt frame sent", parts["toprompt"])
    row("  of which sspr-ldap's searches", parts["searches"])
    row("prompt frame sent -> the conversation has it", parts["relay"])


def locks(d):
    procs = load(d)
    waits, holds, fs_in, polls, sleeps, nacq = [], [], [], [], [], []
    kinds = {0: "other", 1: "throttle", 2: "user"}
    per_kind = {}
    for pid, evs in procs.items():
        if first(evs, lambda e: e[1] == "mark") or not first(evs, lambda e: e[1] == "recv"):
            continue  # the driver, or an admin command (no channel)
        start, got, kind, tries, n = None, None, 0, 0, 0
        for i, (t, what, a, b) in enumerate(evs):
            if what != "flock":
                continue
            op, err = b // 1000, b % 1000
            if op & 8:  # LOCK_UN
                if got is not None:
                    holds.append(t - got)
                    fs = spans(evs, "fsync+", "fsync-", got, t)
                    fs_in.append(fs)
                    per_kind.setdefault(kinds.get(kind, "other"), []).append((t - got, fs))
                got = None
                continue
            if start is None:
                start, tries = t, 0
                kind = a % 10
            tries += 1
            if err == 0:
                waits.append(t - start)
                polls.append(tries - 1)
                sleeps.append(spans(evs, "sleep+", "sleep-", start, t))
                got, start, n = t, None, n + 1
        nacq.append(n)
    if not waits:
        sys.exit("trace.py: no lock taken in %s" % d)
    print(" record locks of the helpers, traced (%d helpers, %d locks taken):"
          % (len(nacq), len(waits)))
    row("waiting for a lock (first try -> got it)", waits)
    print("  %-52s p99    %8.3f ms  max %8.3f" % ("", q(waits, .99) / 1000, q(waits, 1) / 1000))
    row("  of which asleep (nanosleep between tries; 0 since the wait blocks in flock)", sleeps)
    row("  tries that found it taken", polls, unit="  ", scale=1.0)
    row("holding it (got it -> released)", holds)
    row("  of which fsync/fdatasync", fs_in)
    for k, v in sorted(per_kind.items()):
        row("  %s record: holding" % k, [h for h, _ in v])
        row("  %s record: fsync while holding" % k, [f for _, f in v])


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("prompt", "locks", "ldap"):
        sys.exit("usage: trace.py prompt|locks|ldap DIR")
    {"prompt": prompt, "locks": locks, "ldap": ldap}[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
