#!/usr/bin/env python3
"""Reads the JSON of one iperf3 client run (made with -J --get-server-output, server also -J)
and checks what the netns tests need. Exit status 0 = check passed, 1 = failed (the reason on
stderr), 2 = unreadable input.

  iperf_check.py error FILE              print iperf3's error message (or the raw output)
  iperf_check.py summary FILE            one line per direction: bytes and Mbit/s received
  iperf_check.py received FILE MIN_BYTES every direction that ran received >= MIN_BYTES
  iperf_check.py stalls FILE MAX_GAP     no receiver saw a run of empty intervals longer than
                                         MAX_GAP seconds (also prints the longest gap)
  iperf_check.py received-after FILE T MIN_BYTES
                                         bytes received after second T of the run >= MIN_BYTES

"Received" is measured where the data arrives: the server's receiving streams for the
forward direction, the client's receiving streams for -R / the reverse half of --bidir.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read iperf3 JSON {path}: {e}", file=sys.stderr)
        sys.exit(2)


def receiver_series(doc):
    """{direction: [(start, end, bytes), ...]} over the receiving streams of both ends."""
    series = {}
    ends = [("client", doc)]
    server = doc.get("server_output_json")
    if isinstance(server, dict):
        ends.append(("server", server))
    for where, d in ends:
        for interval in d.get("intervals", []):
            for s in interval.get("streams", []):
                if s.get("sender"):
                    continue
                key = "received by " + where
                series.setdefault(key, []).append((s["start"], s["end"], s["bytes"]))
    return series


def longest_gap(points):
    """Longest run of consecutive empty intervals, in seconds, and where it started."""
    best, best_at, run, run_at = 0.0, None, 0.0, None
    for start, end, nbytes in sorted(points):
        if nbytes == 0:
            if run == 0.0:
                run_at = start
            run += end - start
            if run > best:
                best, best_at = run, run_at
        else:
            run = 0.0
    return best, best_at


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "error":
        try:
            doc = json.load(open(path))
            print(doc.get("error") or json.dumps(doc)[:1500])
        except (OSError, ValueError):
            print(open(path, errors="replace").read()[:1500])
        return 0
    doc = load(path)
    if doc.get("error"):
        print(f"iperf3 reported: {doc['error']}", file=sys.stderr)
        return 1
    series = receiver_series(doc)
    if not series:
        print("no receiving streams in the iperf3 output", file=sys.stderr)
        return 1
    if cmd == "summary":
        for key, pts in sorted(series.items()):
            total = sum(b for _, _, b in pts)
            dur = max(e for _, e, _ in pts) if pts else 0
            print(f"{key}: {total} bytes, {total * 8 / dur / 1e6 if dur else 0:.0f} Mbit/s")
        return 0
    if cmd == "received":
        minimum = int(argv[3])
        ok = True
        for key, pts in sorted(series.items()):
            total = sum(b for _, _, b in pts)
            if total < minimum:
                print(f"{key}: only {total} bytes (< {minimum})", file=sys.stderr)
                ok = False
        return 0 if ok else 1
    if cmd == "stalls":
        max_gap = float(argv[3])
        ok = True
        for key, pts in sorted(series.items()):
            gap, at = longest_gap(pts)
            where = f" from t={at:.1f}s" if at is not None else ""
            print(f"{key}: {len(pts)} intervals, longest empty stretch {gap:.2f}s{where}")
            if gap > max_gap:
                print(f"{key}: stalled {gap:.2f}s{where} (> {max_gap}s)", file=sys.stderr)
                ok = False
        return 0 if ok else 1
    if cmd == "received-after":
        t, minimum = float(argv[3]), int(argv[4])
        ok = True
        for key, pts in sorted(series.items()):
            after = sum(b for s, _, b in pts if s >= t)
            print(f"{key}: {after} bytes after t={t}s")
            if after < minimum:
                print(f"{key}: only {after} bytes after t={t}s (< {minimum})", file=sys.stderr)
                ok = False
        return 0 if ok else 1
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
