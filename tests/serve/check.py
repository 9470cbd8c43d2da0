#!/usr/bin/python3
"""The Python side of the `wgd serve` acceptance suite (tests/serve/*.sh): concurrent create
bursts, store-versus-interface comparison, the Prometheus exposition and the OpenAPI document
against the running server. Standard library only, plus PyYAML (python3-yaml) for the OpenAPI
file and prometheus_client (python3-prometheus-client) for the metrics when installed.

Each subcommand prints what it checked and exits 0, or prints why it failed and exits 1.
"""

import argparse
import glob
import http.client
import json
import multiprocessing
import os
import re
import sys
import time
import urllib.parse


class Api:
    """One keep-alive HTTP connection to the API."""

    def __init__(self, url, token, timeout=30):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, token=None):
        headers = {}
        tok = self.token if token is None else token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                return r.status, dict(r.getheaders()), payload
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed while idle: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, expect=200):
        status, _, payload = self.request(method, path, body)
        if status != expect:
            raise SystemExit(f"FAIL: {method} {path} answered {status}, expected {expect}: {payload[:500]!r}")
        return json.loads(payload) if payload else None

    def all_peers(self):
        peers, offset = [], 0
        while True:
            page = self.json("GET", f"/api/v1/peers?limit=1000&offset={offset}")
            peers += page["peers"]
            offset += len(page["peers"])
            if not page["peers"] or offset >= page["total"]:
                return peers


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


# --- burst: concurrent creates ---------------------------------------------------------------

def _burst_worker(args):
    url, token, prefix, client, count, out_dir, tolerate = args
    api = Api(url, token, timeout=60)
    acked = errors = 0
    # One file per client, flushed after every acknowledged create: after a kill -9 of the
    # server, the file lists exactly the creates that got a 2xx.
    with open(os.path.join(out_dir, f"acks-{client}.jsonl"), "a", buffering=1) as out:
        for i in range(count):
            name = f"{prefix}-{client}-{i}"
            try:
                status, _, payload = api.request("POST", "/api/v1/peers", {"name": name})
            except (OSError, http.client.HTTPException) as e:
                if not tolerate:
                    return (client, acked, errors + 1, f"{name}: {e!r}")
                errors += 1
                api.conn = None
                time.sleep(0.05)
                continue
            if status == 201:
                p = json.loads(payload)
                out.write(json.dumps({"name": p["name"], "id": p["id"], "ipv4": p["ipv4"], "ipv6": p["ipv6"],
                                      "public_key": p["public_key"]}) + "\n")
                acked += 1
            elif tolerate and status >= 500:
                errors += 1
            else:
                return (client, acked, errors + 1, f"{name}: {status} {payload[:300]!r}")
    return (client, acked, errors, None)


def cmd_burst(a):
    os.makedirs(a.out, exist_ok=True)
    jobs = [(a.api, a.token, a.prefix, c, a.per, a.out, a.tolerate_errors) for c in range(a.clients)]
    t0 = time.monotonic()
    with multiprocessing.Pool(a.clients) as pool:
        results = pool.map(_burst_worker, jobs)
    elapsed = time.monotonic() - t0
    acked = sum(r[1] for r in results)
    problems = [r[3] for r in results if r[3]]
    print(f"burst: {a.clients} clients x {a.per} creates: {acked} acknowledged in {elapsed:.2f} s "
          f"({acked / elapsed:.0f}/s)")
    if problems and not a.tolerate_errors:
        fail("; ".join(problems))


def read_acks(out_dir):
    acks = []
    for f in sorted(glob.glob(os.path.join(out_dir, "acks-*.jsonl"))):
        with open(f) as fh:
            for line in fh:
                if line.strip():
                    acks.append(json.loads(line))
    return acks


def cmd_verify_burst(a):
    api = Api(a.api, a.token)
    acks = read_acks(a.acks)
    peers = api.all_peers()
    by_name = {p["name"]: p for p in peers}
    missing = [x["name"] for x in acks if x["name"] not in by_name]
    if missing:
        fail(f"{len(missing)} acknowledged creates are not in the store: {missing[:10]}")
    changed = [x["name"] for x in acks
               if (by_name[x["name"]]["ipv4"], by_name[x["name"]]["ipv6"], by_name[x["name"]]["public_key"])
               != (x["ipv4"], x["ipv6"], x["public_key"])]
    if changed:
        fail(f"peers whose address or key changed after the 201: {changed[:10]}")
    for fam in ("ipv4", "ipv6"):
        addrs = [p[fam] for p in peers if p[fam]]
        if len(addrs) != len(set(addrs)):
            dup = sorted({x for x in addrs if addrs.count(x) > 1})
            fail(f"{fam} addresses handed out twice: {dup[:10]}")
    for fam, server in (("ipv4", "10.77.0.1"), ("ipv6", "fd77::1")):
        if any(p[fam] == server for p in peers):
            fail(f"a peer got the server's own address {server}")
    if a.expect is not None and len(acks) != a.expect:
        fail(f"{len(acks)} creates acknowledged, expected {a.expect}")
    if a.expect_total is not None and len(peers) != a.expect_total:
        fail(f"the store has {len(peers)} peers, expected {a.expect_total}")
    print(f"verify-burst: {len(acks)} acknowledged creates all present with their addresses; "
          f"{len(peers)} peers, no address twice")


# --- the interface against the store ---------------------------------------------------------

def read_dump(path):
    """`wg show IF dump` peer lines -> {public_key: set(allowed_ips)}."""
    peers = {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    for line in lines[1:]:
        f = line.split("\t")
        allowed = set() if f[3] == "(none)" else set(f[3].split(","))
        peers[f[0]] = {"allowed": allowed, "psk": f[1], "keepalive": f[7]}
    return peers


def cmd_compare_interface(a):
    api = Api(a.api, a.token)
    peers = api.all_peers()
    dump = read_dump(a.dump)
    active = {p["public_key"]: p for p in peers if p["enabled"] and not p["expired"]}
    problems = []
    for key, p in active.items():
        if key not in dump:
            problems.append(f"{p['name']} is active in the store but not on the interface")
            continue
        if set(p["allowed_ips"]) != dump[key]["allowed"]:
            problems.append(f"{p['name']}: allowed ips {sorted(dump[key]['allowed'])} on the interface, "
                            f"{sorted(p['allowed_ips'])} in the store")
        if p["has_preshared_key"] != (dump[key]["psk"] != "(none)"):
            problems.append(f"{p['name']}: preshared key presence differs")
        ka = str(p["persistent_keepalive"]) if p["persistent_keepalive"] else "off"
        if dump[key]["keepalive"] != ka:
            problems.append(f"{p['name']}: keepalive {dump[key]['keepalive']} on the interface, {ka} in the store")
    for key in dump:
        if key not in active:
            problems.append(f"{key} is on the interface but not an active peer of the store")
    if problems:
        fail(f"interface and store differ ({len(problems)}): " + "; ".join(problems[:10]))
    print(f"compare-interface: the interface carries exactly the {len(active)} active peers of the store")


# --- /metrics --------------------------------------------------------------------------------

def cmd_metrics(a):
    text = open(a.file).read()
    families = {}
    try:
        from prometheus_client.parser import text_string_to_metric_families
        for fam in text_string_to_metric_families(text):
            families[fam.name] = fam
        parser = "prometheus_client"
    except ImportError:
        parser = None
    # The format's own rules, whether or not the library is there.
    seen_type, seen_help, seen_samples, current = set(), set(), set(), None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# TYPE "):
            name = line.split()[2]
            if name in seen_type or name in seen_samples:
                fail(f"metrics line {n}: TYPE twice or after samples for {name}")
            seen_type.add(name)
        elif line.startswith("# HELP "):
            seen_help.add(line.split()[2])
        elif line and not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            if name != current and name in seen_samples:
                fail(f"metrics line {n}: samples of {name} are not together")
            current = name
            seen_samples.add(name)
            if name not in seen_type or name not in seen_help:
                fail(f"metrics line {n}: {name} has no TYPE or HELP before it")
    if not text.endswith("\n"):
        fail("metrics: the last line has no line feed")
    for want in a.expect:
        m = re.fullmatch(r"(\w+)(\{.*\})?=(\S+)", want)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        pattern = re.escape(name + labels) + r" (\S+)\n"
        found = re.search(r"(?m)^" + pattern, text)
        if not found:
            fail(f"metrics: no sample {name}{labels}")
        if value != "*" and float(found.group(1)) != float(value):
            fail(f"metrics: {name}{labels} is {found.group(1)}, expected {value}")
    print(f"metrics: {len(seen_samples)} families valid (parser: {parser or 'own rules only'}); "
          f"{len(a.expect)} expected samples found")


# --- OpenAPI ---------------------------------------------------------------------------------

ROUTE_RE = re.compile(r'\.(Get|Post|Put|Patch|Delete|Options)\(\s*(?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")', re.S)


def source_routes(src_dirs):
    routes = []
    files = sorted(f for d in src_dirs for f in glob.glob(os.path.join(d, "*.cc")))
    for f in files:
        if f.endswith("_test.cc"):
            continue
        for m in ROUTE_RE.finditer(open(f).read()):
            pattern = m.group(2) if m.group(2) is not None else m.group(3).encode().decode("unicode_escape")
            routes.append((m.group(1).upper(), pattern, os.path.basename(f)))
    return routes


def example_path(path, ref="alice"):
    return re.sub(r"\{[^}]+\}", ref, path)


def check_document(doc):
    problems = []
    if doc.get("openapi") != "3.0.3":
        problems.append("openapi is not 3.0.3")
    if "bearerAuth" not in doc.get("components", {}).get("securitySchemes", {}):
        problems.append("no bearerAuth security scheme")

    def resolve(ref):
        node = doc
        for part in ref.lstrip("#/").split("/"):
            if part not in node:
                return None
            node = node[part]
        return node

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node and resolve(node["$ref"]) is None:
                problems.append(f"{where}: unresolved $ref {node['$ref']}")
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(doc, "#")
    op_ids = set()
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if "name" in p}
        declared |= {resolve(p["$ref"])["name"] for p in item.get("parameters", []) if "$ref" in p}
        for method, op in item.items():
            if method == "parameters":
                continue
            if not op.get("responses"):
                problems.append(f"{method} {path}: no responses")
            if op.get("operationId") in op_ids:
                problems.append(f"{method} {path}: operationId {op.get('operationId')} twice")
            op_ids.add(op.get("operationId"))
            names = declared | {p.get("name") for p in op.get("parameters", [])}
            for param in re.findall(r"\{([^}]+)\}", path):
                if param not in names:
                    problems.append(f"{method} {path}: path parameter {param} not declared")
    return problems


def cmd_openapi(a):
    import yaml
    with open(a.yaml) as fh:
        doc = yaml.safe_load(fh)
    problems = check_document(doc)
    documented = [(m.upper(), p) for p, item in doc["paths"].items() for m in item if m != "parameters"]
    routes = source_routes(a.sources)
    if not routes:
        fail(f"no route registrations found in {a.sources}")
    # Every registered route is documented, and every documented operation is registered.
    for method, pattern, src in routes:
        if not any(m == method and re.fullmatch(pattern, example_path(p)) for m, p in documented):
            problems.append(f"{method} {pattern} ({src}) is served but not in the document")
    for method, path in documented:
        if not any(m == method and re.fullmatch(pat, example_path(path)) for m, pat, _ in routes):
            problems.append(f"{method} {path} is documented but no route serves it")

    # The running server: every documented operation is routed (a path without a route answers
    # 404 "no such path"). {ref} is a real peer so routed paths answer 2xx/4xx of their own.
    if a.api:
        api = Api(a.api, a.token)
        served = api.request("GET", "/openapi.yaml", token="")
        if served[0] != 200 or served[2].decode() != open(a.yaml).read():
            problems.append("GET /openapi.yaml (no token) does not serve docs/openapi.yaml byte for byte")
        probe = f"openapi-probe-{os.getpid()}"
        api.json("POST", "/api/v1/peers", {"name": probe}, expect=201)
        last = []
        for method, path in documented:
            if any(path.startswith(prefix) for prefix in a.live_skip):
                continue  # routes of a part this server runs without (netns.serve_fleet calls them)
            if path.endswith("/token/rotate") or (method == "DELETE" and "{ref}" in path):
                last.append((method, path))  # would end the session or the peer
                continue
            body = {} if method in ("POST", "PUT", "PATCH", "DELETE") else None
            status, _, payload = api.request(method, example_path(path, probe), body)
            if status == 404 and b"no such path" in payload or status == 405:
                problems.append(f"{method} {path}: the server has no route ({status})")
        for method, path in last:
            status, _, payload = api.request(method, example_path(path, probe), {} if method != "DELETE" else None)
            if status in (404, 405) and b"no such path" in payload:
                problems.append(f"{method} {path}: the server has no route ({status})")
    if problems:
        fail(f"OpenAPI ({len(problems)}): " + "; ".join(problems))
    print(f"openapi: {len(documented)} documented operations, {len(routes)} registered routes, "
          f"all matched{' and answered by the server' if a.api else ''}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def with_api(p, required=True):
        p.add_argument("--api", required=required)
        p.add_argument("--token", default="")

    p = sub.add_parser("burst")
    with_api(p)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--per", type=int, default=50)
    p.add_argument("--prefix", default="burst")
    p.add_argument("--out", required=True)
    p.add_argument("--tolerate-errors", action="store_true")
    p.set_defaults(fn=cmd_burst)

    p = sub.add_parser("verify-burst")
    with_api(p)
    p.add_argument("--acks", required=True)
    p.add_argument("--expect", type=int)
    p.add_argument("--expect-total", type=int)
    p.set_defaults(fn=cmd_verify_burst)

    p = sub.add_parser("compare-interface")
    with_api(p)
    p.add_argument("--dump", required=True)
    p.set_defaults(fn=cmd_compare_interface)

    p = sub.add_parser("metrics")
    p.add_argument("--file", required=True)
    p.add_argument("--expect", nargs="*", default=[], help='NAME{labels}=VALUE ("*" for any)')
    p.set_defaults(fn=cmd_metrics)

    p = sub.add_parser("openapi")
    with_api(p, required=False)
    p.add_argument("--yaml", required=True)
    p.add_argument("--sources", required=True, nargs="+", help="directories whose *.cc register routes")
    p.add_argument("--live-skip", action="append", default=[],
                   help="path prefix not to call on the running server (a part it runs without)")
    p.set_defaults(fn=cmd_openapi)

    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
