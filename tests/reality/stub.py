#!/usr/bin/env python3
"""Stub backends and a DNS server for upcheck's reality harness (tests/reality.rs).

One process runs inside one network namespace the harness created, started as
`setpriv --pdeathsig KILL -- ip netns exec NS python3 stub.py CONFIG.json`, so it
dies with the test. CONFIG says what to serve:

  listeners: [{"marker": "unit/container", "proto": "http|uwsgi|fastcgi|grpc|raw|any",
               "bind": "any|v4|v6|ip|unix", "addr": "...", "port": N, "path": "..."}]
  forwards: [{"marker": "...", "bind": "any|v4|v6|ip", "addr": "...", "port": N,
              "to": "ip", "to_port": N}]   (optional: docker-proxy for a published port)
  dns: {"addr": "127.0.0.11", "records": {"name": ["ip", ...]}}   (optional)
  log: file that gets one line per accepted connection
  ready: file written (JSON {"errors": [...]}) once every socket is bound

A listener speaks the protocol its container is modelled with and closes the
connection on anything else, as a real server would; "any" sniffs. Every answer
carries `X-Upcheck-Stub: <marker>` (and the marker in its body), so a response
made by nginx itself is never taken for the backend's.
"""

import json
import os
import socket
import struct
import sys
import threading

LOCK = threading.Lock()
LOG = None


def note(line):
    with LOCK:
        LOG.write(line + "\n")
        LOG.flush()


def bind_listener(l):
    kind = l["bind"]
    if kind == "unix":
        path = l["path"]
        os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o777)
    else:
        if kind == "v4":
            fam, addr = socket.AF_INET, "0.0.0.0"
        elif kind in ("any", "v6"):
            fam, addr = socket.AF_INET6, "::"
        else:
            addr = l["addr"]
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if kind == "v6" else 0)
        s.bind((addr, l["port"]))
    s.listen(64)
    return s


def recv_exact(c, n, buf=b""):
    while len(buf) < n:
        chunk = c.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def http_answer(marker):
    body = ("upcheck-stub %s\n" % marker).encode()
    head = (
        "HTTP/1.1 200 OK\r\nX-Upcheck-Stub: %s\r\nContent-Type: text/plain\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n" % (marker, len(body))
    ).encode()
    return head + body


def sniff(first):
    if first.startswith(b"PRI * HTTP/2.0"):
        return "grpc"
    if len(first) >= 2 and first[0] == 1 and first[1] == 1:
        return "fastcgi"
    if len(first) >= 4 and first[0] == 0 and first[3] == 0:
        return "uwsgi"
    if first[:1].isalpha() and first[:1].isupper():
        return "http"
    return "raw"


def serve_http(c, buf, marker):
    while b"\r\n\r\n" not in buf:
        chunk = c.recv(65536)
        if not chunk:
            return
        buf += chunk
    c.sendall(http_answer(marker))


def serve_uwsgi(c, buf, marker):
    buf = recv_exact(c, 4, buf)
    size = struct.unpack("<H", buf[1:3])[0]
    recv_exact(c, 4 + size, buf)
    c.sendall(http_answer(marker))


def serve_fastcgi(c, buf, marker):
    req_id = 1
    while True:
        buf = recv_exact(c, 8, buf)
        _, rtype, req_id, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        buf = recv_exact(c, 8 + clen + plen, buf)
        buf = buf[8 + clen + plen:]
        if rtype == 5 and clen == 0:  # empty FCGI_STDIN: the request is complete
            break
    out = ("Status: 200 OK\r\nX-Upcheck-Stub: %s\r\nContent-Type: text/plain\r\n\r\n"
           "upcheck-stub %s\n" % (marker, marker)).encode()

    def record(rtype, content):
        return struct.pack(">BBHHBB", 1, rtype, req_id, len(content), 0, 0) + content

    c.sendall(record(6, out) + record(6, b"") + record(3, b"\0" * 8))


def h2_frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def serve_grpc(c, buf, marker):
    buf = recv_exact(c, 24, buf)[24:]
    c.sendall(h2_frame(4, 0, 0, b""))
    while True:
        buf = recv_exact(c, 9, buf)
        length = struct.unpack(">I", b"\0" + buf[:3])[0]
        ftype, flags = buf[3], buf[4]
        stream = struct.unpack(">I", buf[5:9])[0] & 0x7FFFFFFF
        buf = recv_exact(c, 9 + length, buf)[9 + length:]
        if ftype == 4 and not flags & 1:
            c.sendall(h2_frame(4, 1, 0, b""))
        if ftype == 1:
            headers = (b"\x88" + hpack_literal("content-type", "application/grpc")
                       + hpack_literal("x-upcheck-stub", marker))
            msg = ("upcheck-stub %s" % marker).encode()
            data = b"\0" + struct.pack(">I", len(msg)) + msg
            c.sendall(h2_frame(1, 4, stream, headers) + h2_frame(0, 0, stream, data)
                      + h2_frame(1, 5, stream, hpack_literal("grpc-status", "0")))
            break
    try:
        c.settimeout(1)
        while c.recv(65536):
            pass
    except OSError:
        pass


def serve_raw(c, buf, marker):
    c.sendall(("upcheck-stub %s\n" % marker).encode())


SERVERS = {"http": serve_http, "uwsgi": serve_uwsgi, "fastcgi": serve_fastcgi,
           "grpc": serve_grpc, "raw": serve_raw}


def handle(c, l):
    marker, proto = l["marker"], l["proto"]
    try:
        c.settimeout(5)
        try:
            first = c.recv(65536)
        except socket.timeout:
            first = b""
        if not first and proto not in ("raw", "any"):
            note("conn %s %s empty" % (marker, proto))
            return
        spoken = sniff(first) if first else "raw"
        if proto == "any":
            proto = spoken
        if proto != "raw" and spoken != proto:
            # A real server of this protocol cannot parse the request: it drops it.
            note("conn %s %s mismatch %s" % (marker, proto, spoken))
            return
        note("conn %s %s ok" % (marker, proto))
        SERVERS[proto](c, first, marker)
    except (OSError, EOFError, struct.error) as e:
        note("conn %s %s error %s" % (marker, proto, e))
    finally:
        try:
            c.close()
        except OSError:
            pass


def accept_loop(s, l):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, l), daemon=True).start()


def pipe(a, b):
    try:
        while True:
            chunk = a.recv(65536)
            if not chunk:
                break
            b.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def forward(c, f):
    """docker-proxy: accept on the host, connect to the container's address
    and port; when nothing answers there, close the accepted connection."""
    try:
        up = socket.create_connection((f["to"], f["to_port"]), timeout=2)
    except OSError as e:
        note("fwd %s %s:%s failed %s" % (f["marker"], f["to"], f["to_port"], e))
        c.close()
        return
    up.settimeout(None)
    note("fwd %s %s:%s" % (f["marker"], f["to"], f["to_port"]))
    t = threading.Thread(target=pipe, args=(up, c), daemon=True)
    t.start()
    pipe(c, up)
    t.join(10)
    c.close()
    up.close()


def forward_loop(s, f):
    while True:
        c, _ = s.accept()
        threading.Thread(target=forward, args=(c, f), daemon=True).start()


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def dns_answer(q, records):
    if len(q) < 12:
        return None
    qid, flags = struct.unpack(">HH", q[:4])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    i += 1
    if i + 4 > len(q):
        return None
    qtype = struct.unpack(">H", q[i:i + 2])[0]
    question = q[12:i + 4]
    name = ".".join(labels).lower().rstrip(".")
    ips = records.get(name)
    rd = flags & 0x0100
    answers = b""
    count = 0
    if ips is None:
        rcode = 3  # NXDOMAIN
    else:
        rcode = 0
        # An entry `=target` is a CNAME (an ExternalName Service): answer it,
        # then the target's own records, as a recursive resolver does.
        owner = b"\xc0\x0c"
        for _ in range(8):
            cname = next((v[1:] for v in ips if v.startswith("=")), None)
            if cname is None:
                break
            rdata = encode_name(cname)
            answers += owner + struct.pack(">HHIH", 5, 1, 5, len(rdata)) + rdata
            count += 1
            owner = rdata
            ips = records.get(cname.lower().rstrip("."))
            if ips is None:
                break
        if qtype == 1 and ips is not None:
            for ip in ips:
                if ":" in ip or ip.startswith("="):
                    continue
                answers += owner + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton(ip)
                count += 1
    header = struct.pack(">HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, count, 0, 0)
    return header + question + answers


def dns_loop(s, records):
    while True:
        q, peer = s.recvfrom(4096)
        try:
            a = dns_answer(q, records)
        except (ValueError, struct.error):
            a = None
        if a:
            s.sendto(a, peer)


def main():
    global LOG
    cfg = json.load(open(sys.argv[1]))
    LOG = open(cfg["log"], "a")
    errors, loops = [], []
    for l in cfg.get("listeners", []):
        try:
            loops.append((accept_loop, (bind_listener(l), l)))
        except OSError as e:
            errors.append("%s %s: %s" % (l["marker"], l.get("path") or "%s:%s" % (l.get("addr", l["bind"]), l.get("port")), e))
    for f in cfg.get("forwards", []):
        try:
            loops.append((forward_loop, (bind_listener(f), f)))
        except OSError as e:
            errors.append("forward %s %s:%s: %s" % (f["marker"], f.get("addr", f["bind"]), f["port"], e))
    dns = cfg.get("dns")
    if dns:
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((dns["addr"], 53))
            records = {k.lower().rstrip("."): v for k, v in dns["records"].items()}
            loops.append((dns_loop, (s, records)))
        except OSError as e:
            errors.append("dns %s: %s" % (dns["addr"], e))
    for fn, args in loops:
        threading.Thread(target=fn, args=args, daemon=True).start()
    tmp = cfg["ready"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"errors": errors}, f)
    os.rename(tmp, cfg["ready"])
    threading.Event().wait()


if __name__ == "__main__":
    main()
