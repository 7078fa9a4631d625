#!/usr/bin/env python3
"""Writes a compose project of REPLICAS replicas of an nginx with UPSTREAMS
`location`s proxying to a flask service on a port it does not listen on
(the shape of tests/bad_inputs/cases.rs `replicated_nginx`).

    python3 bench/replicas.py UPSTREAMS REPLICAS DIR
    cd DIR && /usr/bin/time -f '%e s %M KB' upcheck validate

Every upstream is resolved from every nginx container, so the work is
their product; `max_resolutions` (README, Budgets) caps it. Nothing is
asserted; tests/bad_inputs.rs and src/network/plan.rs hold the behaviour.
"""
import os
import sys

upstreams, replicas, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "docker-compose.yml"), "w") as f:
    f.write("services:\n  m:\n    image: python:3\n")
    f.write("    command: flask run --host=0.0.0.0 --port=6001\n")
    f.write(f"  nginx:\n    image: nginx:1.27\n    deploy: {{replicas: {replicas}}}\n")
    f.write("    volumes: ['./default.conf:/etc/nginx/conf.d/default.conf:ro']\n")
with open(os.path.join(out, "default.conf"), "w") as f:
    f.write("server {\nlisten 80;\n")
    for i in range(upstreams):
        f.write(f"location /{i}{{proxy_pass http://m:1;}}\n")
    f.write("}\n")
