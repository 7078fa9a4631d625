#!/usr/bin/env python3
"""Writes a compose project whose nginx names hosts that are all typos of
service names: SERVICES services `s00000`… and UPSTREAMS `proxy_pass` to
`t00000`…, each one letter off one service and two off many.

    python3 bench/typos.py SERVICES UPSTREAMS DIR
    cd DIR && /usr/bin/time -f '%e s %M KB' upcheck validate

Near-name suggestions and hints are the cost this shape exposes (README,
Budgets). Nothing is asserted; tests/scale.rs holds the behaviour.
"""
import os
import sys

services, upstreams, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "docker-compose.yml"), "w") as f:
    f.write("services:\n  nginx:\n    image: nginx:1.27\n")
    f.write("    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro']\n")
    for i in range(services):
        f.write(f"  s{i:05d}:\n    image: redis:7\n")
with open(os.path.join(out, "nginx.conf"), "w") as f:
    f.write("events {}\nhttp {\n  server {\n    listen 80;\n")
    for i in range(upstreams):
        f.write(f"    location /l{i}/ {{ proxy_pass http://t{i:05d}:6379; }}\n")
    f.write("  }\n}\n")
