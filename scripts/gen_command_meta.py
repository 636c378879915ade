#!/usr/bin/env python3
"""Generates src/server/command_meta_data.inc from a running Redis 7.0 server.

What is extracted, per command and subcommand, from the server's COMMAND and COMMAND DOCS replies:
  - COMMAND INFO: the command tips and the key specs (flags, begin_search, find_keys);
  - COMMAND DOCS: since, group, doc_flags, deprecated_since, replaced_by (reduced to the names of
    the replacing commands), and the argument tree (name, type, key_spec_index, token, since,
    deprecated_since, flags, nested arguments).
This is interface data only: the facts clients and tools rely on to parse and route commands. No
documentation text is extracted: summaries, complexity notes, history entries, key-spec notes and
argument descriptions are dropped. Ember's COMMAND DOCS takes each command's summary from its own
CommandSpec::summary instead.

Usage: redis-server --port 45123 --save '' --daemonize yes
       python3 scripts/gen_command_meta.py 45123 > src/server/command_meta_data.inc
       redis-cli -p 45123 shutdown nosave
"""

import socket
import sys


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def read(self):
        while True:
            try:
                value, end = parse(self.buf, 0)
                self.buf = self.buf[end:]
                return value
            except IndexError:
                pass
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("closed")
            self.buf += chunk

    def call(self, *args):
        self.send(*args)
        return self.read()


def line(buf, pos):
    end = buf.index(b"\r\n", pos)
    return buf[pos:end], end + 2


def parse(buf, pos):
    """Returns ((kind, value), end). kind: map set array bulk simple int null error."""
    if pos >= len(buf):
        raise IndexError
    t = buf[pos:pos + 1]
    try:
        head, p = line(buf, pos + 1)
    except ValueError:
        raise IndexError
    if t in (b"*", b"~", b"%", b">"):
        n = int(head)
        items = []
        for _ in range(n * (2 if t == b"%" else 1)):
            v, p = parse(buf, p)
            items.append(v)
        if t == b"%":
            return ("map", list(zip(items[0::2], items[1::2]))), p
        return ({b"*": "array", b"~": "set", b">": "array"}[t], items), p
    if t == b"$":
        n = int(head)
        if n < 0:
            return ("null", None), p
        if p + n + 2 > len(buf):
            raise IndexError
        return ("bulk", buf[p:p + n].decode()), p + n + 2
    if t == b"+":
        return ("simple", head.decode()), p
    if t == b"-":
        return ("error", head.decode()), p
    if t == b":":
        return ("int", int(head)), p
    if t == b"_":
        return ("null", None), p
    raise ValueError(t)


def ser(v):
    """Serializes to RESP3 with '\\n' line ends (kept inside a C++ raw string)."""
    kind, val = v
    if kind == "map":
        return "%%%d\n" % len(val) + "".join(ser(k) + ser(x) for k, x in val)
    if kind in ("set", "array"):
        return ("~" if kind == "set" else "*") + "%d\n" % len(val) + "".join(ser(x) for x in val)
    if kind == "bulk":
        return "$%d\n%s\n" % (len(val.encode()), val)
    if kind == "simple":
        return "+%s\n" % val
    if kind == "int":
        return ":%d\n" % val
    raise ValueError(kind)


def as_dict(pairs):
    return {k[1]: v for k, v in pairs}


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# COMMAND DOCS fields kept (in the order the server sends them); everything else is dropped.
COMMAND_FIELDS = ("since", "group", "doc_flags", "deprecated_since", "replaced_by", "arguments")
ARG_FIELDS = ("name", "type", "display_text", "key_spec_index", "token", "since",
              "deprecated_since", "flags", "value", "arguments")


def strip_args(arglist):
    """Keeps the structural fields of each argument (recursively); drops descriptions."""
    kind, items = arglist
    out = []
    for item in items:
        d = as_dict(item[1])
        pairs = []
        for k, v in item[1]:
            if k[1] not in ARG_FIELDS:
                continue
            if k[1] == "display_text" and v[1] != d["name"][1]:
                continue  # only kept where it is just the argument's name
            if k[1] == "arguments":
                v = strip_args(v)
            pairs.append((k, v))
        out.append((item[0], pairs))
    return (kind, out)


def replacing_commands(text, command_names):
    """The command names a replaced_by note points at ("`SET` with the `EX` argument" -> "`SET`")."""
    names = []
    for tok in text.split("`")[1::2]:
        if tok.lower().replace(" ", "|") in command_names and tok not in names:
            names.append(tok)
    return ", ".join("`%s`" % n for n in names)


def strip_docs(docs, command_names):
    """The interface fields of one command's COMMAND DOCS entry, as (key, value) pairs."""
    pairs = []
    for k, v in docs[1]:
        if k[1] not in COMMAND_FIELDS:
            continue
        if k[1] == "arguments":
            v = strip_args(v)
        elif k[1] == "replaced_by":
            names = replacing_commands(v[1], command_names)
            if not names:
                continue
            v = ("bulk", names)
        pairs.append((k, v))
    return pairs


def main():
    c = Conn(int(sys.argv[1]))
    c.call("HELLO", "3")
    kind, infos = c.call("COMMAND")
    entries = []  # (name, tips, key specs, docs pairs)
    command_names = set()

    def names(info):
        command_names.add(info[1][0][1])
        for sub in info[1][9][1]:
            names(sub)

    for info in infos:
        names(info)

    def collect(info):
        _, f = info
        name = f[0][1]
        tips = [t[1] for t in f[7][1]]
        specs = []
        for ks in f[8][1]:
            d = as_dict(ks[1])
            flags = [x[1] for x in d["flags"][1]]
            bs = as_dict(d["begin_search"][1])
            bs_type = bs["type"][1]
            bs_spec = as_dict(bs["spec"][1])
            fk = as_dict(d["find_keys"][1])
            fk_type = fk["type"][1]
            fk_spec = as_dict(fk["spec"][1])
            if bs_type == "index":
                b = ("kIndex", bs_spec["index"][1], None, 0)
            elif bs_type == "keyword":
                b = ("kKeyword", 0, bs_spec["keyword"][1], bs_spec["startfrom"][1])
            else:
                b = ("kUnknownBegin", 0, None, 0)
            if fk_type == "range":
                k = ("kRange", fk_spec["lastkey"][1], fk_spec["keystep"][1], fk_spec["limit"][1])
            elif fk_type == "keynum":
                k = ("kKeynum", fk_spec["keynumidx"][1], fk_spec["firstkey"][1],
                     fk_spec["keystep"][1])
            else:
                k = ("kUnknownFind", 0, 0, 0)
            specs.append((" ".join(flags), b, k))  # key-spec "notes" are dropped
        docs_reply = c.call("COMMAND", "DOCS", name)
        docs = as_dict(docs_reply[1]).get(name)
        pairs = strip_docs(docs, command_names) if docs else []
        entries.append((name, tips, specs, pairs))
        for sub in f[9][1]:
            collect(sub)

    for info in infos:
        collect(info)
    entries.sort(key=lambda e: e[0])

    out = []
    out.append("// Generated by scripts/gen_command_meta.py from a Redis 7.0 server's COMMAND and")
    out.append("// COMMAND DOCS replies. Do not edit. Interface data only: command tips, key specs")
    out.append("// (flags, begin_search, find_keys) and, for COMMAND DOCS, since / group / doc_flags /")
    out.append("// deprecated_since / replaced_by (command names only) and the argument structure (name,")
    out.append("// type, key_spec_index, token, since, deprecated_since, flags). No documentation text:")
    out.append("// summaries, complexity, history, key-spec notes and argument descriptions are not")
    out.append("// extracted; COMMAND DOCS takes each summary from Ember's own CommandSpec::summary.")
    out.append("// clang-format off")
    out.append("static constexpr KeySpecMeta kKeySpecs[] = {")
    index = []
    n = 0
    for name, tips, specs, pairs in entries:
        index.append(n)
        for flags, b, k in specs:
            out.append("  {%s, KeySpecMeta::%s, %d, %s, %d, KeySpecMeta::%s, %d, %d, %d}," % (
                cstr(flags), b[0], b[1],
                cstr(b[2]) if b[2] else "nullptr", b[3], k[0], k[1], k[2], k[3]))
            n += 1
    out.append("  {\"\", KeySpecMeta::kUnknownBegin, 0, nullptr, 0, KeySpecMeta::kUnknownFind, 0, 0, 0},")
    out.append("};")
    out.append("")
    out.append("static constexpr CommandMeta kCommandMetaTable[] = {")
    for (name, tips, specs, pairs), first in zip(entries, index):
        docs = "".join(ser(k) + ser(v) for k, v in pairs)
        delim = "RDOC"
        assert (")" + delim + '"') not in docs
        out.append("  {%s, %s, %d, %d, %d, R\"%s(%s)%s\"}," % (
            cstr(name), cstr(" ".join(tips)), first, len(specs), len(pairs), delim, docs, delim))
    out.append("};")
    out.append("// clang-format on")
    print("\n".join(out))


if __name__ == "__main__":
    main()
