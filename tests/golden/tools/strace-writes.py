#!/usr/bin/env python3
"""Reduce an `strace -f -xx -s 4096 -e trace=openat,open,creat,write,close,dup2,mkdir,unlink,rmdir,rename`
log to the sequence of file writes: "<path> [<open flags>] <- <bytes repr>", plus
mkdir/unlink/rmdir lines.  Writes to stdout/stderr and sockets are omitted.
The umockdev testbed prefix (/tmp/umockdev.XXXXXX) is replaced by "" so paths read /sys/..."""
import re
import sys

hexstr = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')


def dec(s):
    return bytes(int(h, 16) for h in re.findall(r'\\x([0-9a-f]{2})', s))


def norm(p):
    p = p.decode(errors="replace")
    return re.sub(r'^/tmp/umockdev\.[A-Za-z0-9]+', '', p)


fds = {}   # (pid, fd) -> (path, flags)
out = []
for line in open(sys.argv[1]):
    m = re.match(r'(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)(.*)$', line.rstrip("\n"))
    if not m:
        continue
    pid, call, args, ret, rest = m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5)
    if call in ("openat", "open", "creat"):
        strs = hexstr.findall(args)
        if not strs or ret < 0:
            if strs and ret < 0 and ("O_WRONLY" in args or "O_RDWR" in args) and \
                    re.match(r'(/tmp/umockdev\.[A-Za-z0-9]+)?/(sys|run|var)/', dec(strs[0]).decode(errors="replace")):
                fl = [x.strip() for x in args.split(",") if "O_" in x]
                out.append("%s [%s] open failed:%s" % (norm(dec(strs[0])),
                           fl[0] if fl else "", rest))
            continue
        path = norm(dec(strs[0]))
        flags = [a.strip() for a in args.split(",") if "O_" in a]
        flags = flags[0] if flags else ""
        if "O_WRONLY" in flags or "O_RDWR" in flags or call == "creat":
            fds[(pid, ret)] = (path, flags)
    elif call == "close":
        fds.pop((pid, int(args.strip())), None)
    elif call == "write":
        fd = int(args.split(",")[0])
        if (pid, fd) in fds:
            path, flags = fds[(pid, fd)]
            data = dec(hexstr.findall(args)[0])
            out.append("%s [%s] <- %r = %d%s" % (path, flags, data, ret, rest))
    elif call in ("mkdir", "unlink", "rmdir", "mkdirat", "unlinkat"):
        strs = hexstr.findall(args)
        if strs and re.match(r'(/tmp/umockdev\.[A-Za-z0-9]+)?/(sys|run|var)/',
                             dec(strs[0]).decode(errors="replace")):
            out.append("%s %s = %d%s" % (call, norm(dec(strs[0])), ret, rest))
for o in out:
    print(o)
