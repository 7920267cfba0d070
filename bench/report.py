#!/usr/bin/env python3
"""Turns bench/results/*.json into BENCHMARKS.md and the PNG plots under bench/plots/.

usage: report.py RESULTS_DIR BENCHMARKS_MD PLOTS_DIR
Standard library only; plots need gnuplot (pngcairo, else png). Run by bench/run.sh.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

TARGETS = ["uws", "node-ws", "brief-csharp", "signalr", "gateway-fanout", "gateway-grains"]
TARGET_TITLES = {
    "uws": "uWebSockets.js pub/sub",
    "node-ws": "Node ws, one string to all",
    "brief-csharp": "brief's design in C# (awaited send per client, serialised per client)",
    "signalr": "SignalR Clients.All.SendAsync",
    "gateway-fanout": "gateway fan-out alone (direct feed)",
    "gateway-grains": "gateway with embedded silo, grains and streams",
}
WORKLOADS = ["1s-1k", "1s-10k", "100ms-1k", "100ms-10k", "idle-10k", "stall-1k"]
WORKLOAD_TITLES = {
    "1s-1k": "50 stocks every 1 s, 1,000 clients",
    "1s-10k": "50 stocks every 1 s, 10,000 clients",
    "100ms-1k": "50 stocks every 100 ms, 1,000 clients",
    "100ms-10k": "50 stocks every 100 ms, 10,000 clients",
    "idle-10k": "10,000 idle clients (no publishing; memory)",
    "stall-1k": "every 100 ms, 1,000 clients, 1 of them never reads",
}


def load(results):
    runs, rest, meta, skipped = {}, [], {}, {}
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                d = json.loads(f.read().strip() or "{}")
        except (OSError, json.JSONDecodeError) as e:
            print(f"report: skipping {name}: {e}", file=sys.stderr)
            continue
        if name == "meta.json":
            meta = d
        elif name.startswith("rest__"):
            rest.append(d)
        elif name.endswith("__skipped.json"):
            skipped[name[:-len("__skipped.json")]] = d.get("skipped", "skipped")
        elif "__" in name:
            target, workload = name[:-5].split("__", 1)
            runs[(target, workload)] = d
    return runs, rest, meta, skipped


def ms(us):
    if us is None:
        return "–"
    v = us / 1000.0
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def num(v, fmt="{:.1f}"):
    return "–" if v is None else fmt.format(v)


def ok(d):
    return d is not None and "error" not in d and "skipped" not in d


def table(runs, targets, workloads):
    head = ("| server | workload | clients | msgs/s | delivered | updates/msg | KB/msg | p50 ms | p90 ms | p99 ms "
            "| 1-s p99 median ms | p99.9 ms | max ms | server CPU µs/msg | server CPU % | RSS KiB/conn | client CPU % "
            "| others on server core % |")
    lines = [head, "|" + "---|" * 18]
    for t in targets:
        for w in workloads:
            d = runs.get((t, w))
            if d is None:
                continue
            if not ok(d):
                why = d.get("skipped") or d.get("error")
                lines.append(f"| {t} | {w} | {'skipped' if 'skipped' in d else 'error'}: {why} |" + " |" * 15)
                continue
            lat = d["lat_us"]
            idle = w.startswith("idle")
            delivered = "–" if idle or "delivery_ratio" not in d else f"{100 * d['delivery_ratio']:.0f} %"
            upm = d["updates"] / d["msgs"] if d.get("msgs") else None
            kbm = d["bytes_per_s"] / d["msgs_per_s"] / 1000 if d.get("msgs") else None
            lines.append(
                f"| {t} | {w} | {d['conns_open']:,} | {num(d['msgs_per_s'], '{:,.0f}')} | {delivered} "
                f"| {num(upm)} | {num(kbm, '{:.2f}')} "
                f"| {ms(lat['p50']) if lat['count'] else '–'} | {ms(lat['p90']) if lat['count'] else '–'} "
                f"| {ms(lat['p99']) if lat['count'] else '–'} "
                f"| {ms(d.get('p99_slice_median_us')) if lat['count'] and 'p99_slice_median_us' in d else '–'} "
                f"| {ms(lat['p999']) if lat['count'] else '–'} "
                f"| {ms(lat['max']) if lat['count'] else '–'} "
                f"| {num(d.get('server_cpu_us_per_msg')) if not idle else '–'} | {num(d.get('server_cpu_pct'))} "
                f"| {num(d.get('rss_per_conn_kib'))} | {num(d.get('client_cpu_pct'))} "
                f"| {num(d.get('server_core_others_pct'), '{:.0f}')} |")
    return "\n".join(lines)


def headline(runs, present):
    """The figures the issue asks for, with ratios to uWS within this run."""
    def get(t, w, key):
        d = runs.get((t, w))
        if not ok(d):
            return None
        if key == "p99":
            return d["lat_us"]["p99"] if d["lat_us"]["count"] else None
        if key == "p99s":
            return d.get("p99_slice_median_us") or None if d["lat_us"]["count"] else None
        return d.get(key)

    cpu_w = "1s-10k" if any(ok(runs.get((t, "1s-10k"))) for t in present) else None
    mem_w = "idle-10k" if any(ok(runs.get((t, "idle-10k"))) for t in present) else "1s-10k"
    ref_cpu = get("uws", cpu_w, "server_cpu_us_per_msg") if cpu_w else None
    ref_p99 = get("uws", "1s-10k", "p99")
    brief_cpu = get("brief-csharp", cpu_w, "server_cpu_us_per_msg") if cpu_w else None
    lines = [
        f"| server | CPU µs/msg ({cpu_w}) | × uWS | msgs per CPU-second | × brief | p99 ms (1s-10k) | × uWS "
        f"| RSS KiB/conn ({mem_w}) | median 1-s p99 ms, 100ms-1k → with 1 stalled | stalled run delivered | client CPU % (1s-10k) |",
        "|" + "---|" * 11,
    ]
    for t in present:
        cpu = get(t, cpu_w, "server_cpu_us_per_msg") if cpu_w else None
        p99 = get(t, "1s-10k", "p99")
        rss = get(t, mem_w, "rss_per_conn_kib")
        base = get(t, "100ms-1k", "p99s")
        stall = get(t, "stall-1k", "p99s")
        stall_d = runs.get((t, "stall-1k"))
        delivered = f"{100 * stall_d['delivery_ratio']:.0f} %" if ok(stall_d) and "delivery_ratio" in stall_d else "–"
        client = get(t, "1s-10k", "client_cpu_pct")
        per_cpu_s = 1e6 / cpu if cpu else None
        lines.append(
            f"| {t} | {num(cpu)} | {num(cpu / ref_cpu, '{:.2f}') if cpu and ref_cpu else '–'} "
            f"| {num(per_cpu_s, '{:,.0f}')} | {num(brief_cpu / cpu, '{:.1f}') if cpu and brief_cpu else '–'} "
            f"| {ms(p99)} | {num(p99 / ref_p99, '{:.2f}') if p99 and ref_p99 else '–'} | {num(rss)} "
            f"| {ms(base)} → {ms(stall)}"
            f"{' (' + format((stall / base - 1) * 100, '+.0f') + ' %)' if base and stall else ''} | {delivered} "
            f"| {num(client)} |")
    return "\n".join(lines)


def tick_table(runs, present, workload="1s-10k"):
    """Per published message: when its first and its last copy arrived (the load client's `ticks`)."""
    lines = ["| server | messages | first copy ms (median) | last copy ms (median) | last copy ms (worst) "
             "| send burst ms (median, last − first) |", "|---|---|---|---|---|---|"]
    for t in present:
        r = runs.get((t, workload))
        if not ok(r) or not r.get("ticks") or not r.get("conns_open"):
            continue
        # Messages cut by the window's edges (or skipped by a saturated server) reached few clients.
        whole = [k for k in r["ticks"] if k["copies"] >= 0.9 * r["conns_open"]]
        if not whole:
            continue
        first = sorted(k["first_us"] for k in whole)
        last = sorted(k["last_us"] for k in whole)
        burst = sorted(k["last_us"] - k["first_us"] for k in whole)
        mid = len(whole) // 2
        lines.append(f"| {t} | {len(whole)} | {ms(first[mid])} | {ms(last[mid])} | {ms(last[-1])} | {ms(burst[mid])} |")
    return "\n".join(lines) if len(lines) > 2 else None


def targets(runs, rest):
    """Issue 3's required targets, checked on the gateway's rows of this run."""
    def d(t, w):
        r = runs.get((t, w))
        return r if ok(r) else None

    def cpu(t):
        r = d(t, "1s-10k")
        return r.get("server_cpu_us_per_msg") if r else None

    def p99(t, w="1s-10k"):
        r = d(t, w)
        return r["lat_us"]["p99"] / 1000.0 if r and r["lat_us"]["count"] else None

    def p99s(t, w):
        r = d(t, w)
        return (r.get("p99_slice_median_us") or r["lat_us"]["p99"]) / 1000.0 if r and r["lat_us"]["count"] else None

    def verdict(value, good):
        if value is None or good is None:
            return "not measured"
        return "**met**" if good else "**not met**"

    rows = []
    f, g, nws, sr, br = "gateway-fanout", "gateway-grains", "node-ws", "signalr", "brief-csharp"
    c_f, c_n, c_s, c_b = cpu(f), cpu(nws), cpu(sr), cpu(br)
    ok_cpu = (c_f < c_n and c_f <= 0.5 * c_s) if None not in (c_f, c_n, c_s) else None
    rows.append(("fan-out CPU/msg below Node ws and ≤ ½ SignalR (1s-10k)",
                 f"{num(c_f)} µs vs ws {num(c_n)}, SignalR {num(c_s)}", verdict(c_f, ok_cpu)))
    p_f, p_n, p_g = p99(f), p99(nws), p99(g)
    rows.append(("p99 at 10k clients, 1 msg/s, below Node ws (fan-out)",
                 f"{num(p_f)} ms vs ws {num(p_n)} ms", verdict(p_f, p_f < p_n if None not in (p_f, p_n) else None)))
    rows.append(("through grains and streams ≤ fan-out + 50 ms (p99, 1s-10k)",
                 f"{num(p_g)} ms vs {num(p_f)} + 50 ms", verdict(p_g, p_g <= p_f + 50 if None not in (p_g, p_f) else None)))
    for t in (g, f):
        r = d(t, "idle-10k")
        v = r.get("rss_per_conn_kib") if r else None
        rows.append((f"RSS per connection ≤ 12 KiB at 10k idle clients ({t})", f"{num(v)} KiB",
                     verdict(v, v <= 12 if v is not None else None)))
    ratio = c_b / c_f if None not in (c_b, c_f) and c_f else None
    rows.append(("≥ 10× the brief's design in messages per CPU second (fan-out, 1s-10k)",
                 f"{num(ratio)}×", verdict(ratio, ratio >= 10 if ratio is not None else None)))
    for t in (f, g):
        base, stall, sd = p99s(t, "100ms-1k"), p99s(t, "stall-1k"), d(t, "stall-1k")
        deliv = sd.get("delivery_ratio") if sd else None
        good = (stall <= base * 1.2 and deliv is not None and deliv >= 0.95) if None not in (base, stall) else None
        rows.append((f"no head-of-line blocking: others' p99 (median of 1-s p99s) +≤ 20 % with 1 stalled of 1,000 ({t})",
                     f"{num(base)} → {num(stall)} ms, {num(100 * deliv if deliv is not None else None, '{:.0f}')} % delivered",
                     verdict(stall, good)))
    # Open loop, 200 connections: every rate and encoding the run measured must hold, not the best
    # of them (one row under 2 ms while the others are at 3-12 ms is not a p99 under 2 ms). A row
    # that failed or lost requests counts against it.
    shapes = []  # (rate, gzip, p99 ms or None when the row failed or lost requests, text)
    for r in rest:
        if r.get("mode") != "open-loop" or "gateway" not in r.get("label", ""):
            continue
        rate, gz = r.get("target_rate") or 0, bool(r.get("gzip"))
        name = f"{rate:,.0f} req/s {'gzip' if gz else 'plain'}"
        if "lat_us" not in r:
            shapes.append((rate, gz, None, f"{name} failed"))
            continue
        p, errors = r["lat_us"]["p99"] / 1000.0, r.get("errors") or 0
        shapes.append((rate, gz, None if errors else p, f"{name} {p:.2f}" + (f" ({errors:,} errors)" if errors else "")))
    shapes.sort(key=lambda x: (x[0], not x[1]))
    values = [x[2] for x in shapes]
    if not shapes:
        shown = rest_verdict = "not measured"
    else:
        shown = "; ".join(x[3] for x in shapes) + " ms"
        rest_verdict = "**not met**" if None in values else verdict(max(values), max(values) < 2)
    rows.append(("REST signal list p99 < 2 ms at 200 connections (5,000 stocks; open loop, every rate and encoding)",
                 shown, rest_verdict))
    out = ["| target | this run | verdict |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def plots(runs, present, plots_dir):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("report: gnuplot missing, no plots", file=sys.stderr)
        return []
    os.makedirs(plots_dir, exist_ok=True)
    terms = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True).stdout + \
        subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True).stderr
    term = "pngcairo size 1000,520 font 'DejaVu Sans,10'" if "pngcairo" in terms else "png size 1000,520"
    workloads = [w for w in WORKLOADS if any(ok(runs.get((t, w))) for t in present)]
    made = []

    def chart(fname, title, ylabel, key, workloads_for, logscale):
        ws = [w for w in workloads if w in workloads_for]
        if not ws:
            return
        dat = os.path.join(plots_dir, fname.replace(".png", ".dat"))
        with open(dat, "w", encoding="utf-8") as f:
            f.write("server " + " ".join(ws) + "\n")
            for t in present:
                vals = []
                for w in ws:
                    d = runs.get((t, w))
                    v = None
                    if ok(d):
                        v = (d["lat_us"]["p99"] / 1000.0 if d["lat_us"]["count"] else None) if key == "p99" else d.get(key)
                    vals.append("?" if v is None else f"{v:.3f}")
                f.write(t + " " + " ".join(vals) + "\n")
        cols = " , ".join(f"'{dat}' using {i + 2}:xtic(1) title columnheader({i + 2})" for i in range(len(ws)))
        script = f"""
set terminal {term}
set output '{os.path.join(plots_dir, fname)}'
set title "{title}"
set ylabel "{ylabel}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set grid ytics
set datafile missing '?'
set xtics noenhanced
set key noenhanced
{'set logscale y' if logscale else 'set yrange [0:*]'}
plot {cols}
"""
        r = subprocess.run([gnuplot], input=script, capture_output=True, text=True)
        os.remove(dat) if r.returncode == 0 else None
        if r.returncode != 0:
            print(f"report: gnuplot failed for {fname}: {r.stderr}", file=sys.stderr)
            return
        made.append(fname)

    chart("p99_latency.png", "Publish-to-receipt p99 latency (lower is better)", "p99 ms (log scale)", "p99",
          [w for w in WORKLOADS if not w.startswith("idle")], True)
    chart("cpu_per_msg.png", "Server CPU per delivered message (lower is better)", "µs of CPU per message",
          "server_cpu_us_per_msg", [w for w in WORKLOADS if not w.startswith("idle")], False)
    chart("rss_per_conn.png", "Server resident memory per connection (lower is better)", "KiB per connection",
          "rss_per_conn_kib", ["idle-10k", "1s-10k", "100ms-10k"], False)
    return made


def rest_mode(d):
    mode = d.get("mode")
    if mode == "wrk":
        return "wrk closed loop (200 connections)"
    if mode == "open-loop":
        return f"open loop, {d.get('connections')} connections, {d.get('target_rate'):,.0f} req/s, {'gzip' if d.get('gzip') else 'plain'}"
    return f"sequential (1 connection{', gzip' if d.get('gzip') else ''})"


def rest_table(rest):
    if not rest:
        return "_No REST run in this result set._"
    lines = ["| target | mode | requests | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | 1-s p99 median ms "
             "| errors | server CPU % | client CPU % |", "|" + "---|" * 13]
    for d in rest:
        if "lat_us" not in d:
            lines.append(f"| {d.get('label', '?')} | error: {d.get('error', '?')} |" + " |" * 11)
            continue
        l = d["lat_us"]
        lines.append(f"| {d.get('label', '?').split('/')[1] if '/' in d.get('label', '') else '?'} "
                     f"| {rest_mode(d)} "
                     f"| {d.get('requests'):,} | {num(d.get('requests_per_s'), '{:,.0f}')} | {ms(l.get('p50'))} "
                     f"| {ms(l.get('p90'))} | {ms(l.get('p99'))} | {ms(l.get('p999'))} | {ms(l.get('max'))} "
                     f"| {ms(d.get('p99_slice_median_us'))} | {d.get('errors')} "
                     f"| {num(d.get('server_cpu_pct'), '{:.0f}')} | {num(d.get('client_cpu_pct'), '{:.1f}')} |")
    return "\n".join(lines)


def main():
    results, out_md, plots_dir = sys.argv[1:4]
    runs, rest, meta, skipped = load(results)
    present = [t for t in TARGETS if any(ok(runs.get((t, w))) for w in WORKLOADS)]
    workloads = [w for w in WORKLOADS if any((t, w) in runs for t in TARGETS)]
    made = plots(runs, present, plots_dir)
    rel_plots = os.path.relpath(plots_dir, os.path.dirname(os.path.abspath(out_md)))
    m = meta
    md = []
    md.append("# Fan-out benchmarks\n")
    md.append("_Generated by `bench/run.sh" + (" --quick" if m.get("mode") == "quick" else "") +
              f"` on {m.get('date', '?')} (commit {m.get('git', '?')}, {m.get('mode', '?')} run, "
              f"{m.get('seconds', '?')} s). Do not edit by hand: rerun the script._\n")
    md.append("Issue 3 asks how cheaply the grid pushes prices, measured side by side with the best WebSocket "
              "servers on the same machine, load and client. Every server below publishes the same "
              "`price_update` of 50 stocks (about 4.7 KB of JSON) to every connected client; the load client "
              "records, for every message, receipt time minus the `ts` the server stamped just before fan-out.\n")
    md.append("## Servers\n")
    for t in TARGETS:
        state = "measured" if t in present else ("skipped: " + skipped[t] if t in skipped else "not run")
        md.append(f"- **{t}** — {TARGET_TITLES[t]} ({state})")
    md.append("\n## Headline figures (ratios within this run)\n")
    md.append(headline(runs, present) + "\n")
    md.append("`× uWS` divides by uWebSockets.js in the same run; `× brief` is how many more messages per CPU "
              "second than the brief's design. The stall columns compare the other clients' p99 without and with "
              "one client that never reads, and the share of the other clients' messages that arrived.\n")
    md.append("## Issue 3's required targets (this run)\n")
    md.append(targets(runs, rest) + "\n")
    md.append("The stall verdict also asks that at least 95 % of the other clients' messages arrive: a server that "
              "stops delivering has no late messages to count.\n")
    if made:
        md.append("## Plots\n")
        for f in made:
            md.append(f"![{f[:-4]}]({rel_plots}/{f})\n")
    md.append("## All runs\n")
    md.append("Workloads: " + "; ".join(f"`{w}` {WORKLOAD_TITLES[w]}" for w in workloads) + ".\n")
    md.append(table(runs, TARGETS, workloads) + "\n")
    small = []
    for t in present:
        r = runs.get((t, "1s-10k")) or next((runs[(t, w)] for w in WORKLOADS if ok(runs.get((t, w))) and runs[(t, w)].get("msgs")), None)
        if ok(r) and r.get("msgs") and r["updates"] / r["msgs"] < 45:
            small.append(f"{t} ({r['updates'] / r['msgs']:.1f} stocks, {r['bytes_per_s'] / r['msgs_per_s'] / 1000:.2f} KB per message)")
    if small:
        md.append("Not like for like: " + ", ".join(small) + " sent fewer than the 50 stocks per message the others "
                  "send, so each message cost it less to encode and send; issue 3 asks for that feed to be shaped "
                  "the same (50 stocks changing per tick).\n")
    ticks = tick_table(runs, present)
    if ticks:
        md.append("## Where a message's latency goes (1s-10k)\n")
        md.append("For every message a server published (one `ts`), the load client keeps when its first and its "
                  "last copy arrived. The first copy is the time from the `ts` stamp to the first send: nearly "
                  "nothing for uWebSockets.js and Node ws, which stamp just before they send; for the gateway the "
                  "coalescing window (`Gateway:CoalesceWindow`, 10 ms, held a half window more after the last change, so a "
                  "tick's deltas leave in one message), and through the grains also the stream hop (`ts` is the "
                  "grain's publish time: queue, pulling agent every 10 ms, delivery). From the first copy to the "
                  "last is the burst of sends to every client, which the p99 mostly measures. Only messages that "
                  "reached at least 90 % of the clients count.\n")
        md.append(ticks + "\n")
    md.append("## REST signal list\n")
    md.append("`GET /api/stocks/signal/buy`, measured with `bench/loadclient/restclient` (C, epoll, keep-alive "
              "connections; answers framed by Content-Length or chunked encoding and never inflated, `--gzip` only "
              "asks for gzip): 1,000 sequential requests (300 in a quick run) on one connection; 200 connections in "
              "open loop at 200 and 1,000 requests/s, gzip and plain, request i due at start + i / rate and sent on "
              "an idle connection (or on the first to free up), its latency counted from the due time, as wrk2 does: "
              "a stalled server is not hidden; and `wrk`'s closed loop with 200 connections "
              "(bench/rest/wrk-report.lua), which measures saturation throughput, its latency being 200 / "
              "throughput. Client on core 1; `client CPU %` shows it was not the limit. The market ticks every 3 s, "
              "the Level-1 snapshot interval. Until the gateway is built the target is `stand-in-node`, a static "
              "JSON body served by the node-ws peer, which only proves the method. The gateway runs with a "
              "5,000-stock universe here and is measured warm: 25 s after its `/healthz` answers 200, once its "
              "grains are active and its paths compiled (3 s in a quick run, which measures the start-up state), "
              "and with the grains' follow leases "
              "at 6 s and the pulling agents' inactivity period at 10 s (`Grid:Stocks:MaxFollowLease`, "
              "`Gateway:Subscriptions:FollowLease`, `Grid:Streams:InactivityPeriod`; 60 s, 30 s and 1 minute by "
              "default), so that the stocks nobody follows have stopped publishing and left the agents' "
              "bookkeeping by then, as they have in a gateway that has run for six minutes; the shorter lease "
              "renews five times as often. Each open-loop run "
              "leaves a `.timeline` beside its JSON (one line per request: due time, latency), to set the slow "
              "ones against the 3-s ticks.\n")
    md.append(rest_table(rest) + "\n")
    md.append("## Method\n")
    md.append(f"- Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('mem', '?')} RAM, "
              f"{m.get('os', '?')}, kernel {m.get('kernel', '?')}. Shared with other work: load average at the end "
              f"of the run {m.get('loadavg_at_end', '?')}.")
    md.append(f"- Pinning: each server runs alone under `taskset -c {m.get('server_cpu', 0)}` (all its threads "
              f"on one core); the load client under `taskset -c {m.get('client_cpu', 1)}`. Servers are restarted "
              "for every workload, on a fresh port.")
    md.append(f"- Versions: .NET runtime {m.get('dotnet_runtime', '?')} (ASP.NET Core {m.get('aspnetcore_runtime', '?')}, "
              f"SDK {m.get('dotnet_sdk', '?')}); Node {m.get('node', '?')}; ws {m.get('ws', '?')}; "
              f"uWebSockets.js {m.get('uws', '?')} (uWS v20.30); gcc {m.get('gcc', '?')}; wrk {m.get('wrk', '?')}; "
              f"{m.get('gnuplot', '?')}. Gateway binary: {m.get('gateway_dll', '?')}.")
    md.append(f"- .NET GC: `DOTNET_gcServer={m.get('DOTNET_gcServer', '?')}` (workstation GC, as the gateway's "
              f"csproj sets; DATAS applies to Server GC only), `DOTNET_GCgen0size={m.get('DOTNET_GCgen0size', '?')}`, "
              f"`DOTNET_GCDynamicAdaptationMode={m.get('DOTNET_GCDynamicAdaptationMode', '?')}`. Release builds. The gateway and "
              "every .NET peer (the fan-out host, the brief's design, SignalR) run without dynamic PGO and without tiered "
              "compilation (`TieredPGO=false`, `TieredCompilation=false` in each csproj): with tiering, a method called "
              "once per broadcast reaches tier 1 only after 30 broadcasts, so at 1 msg/s the rejits fell inside the "
              "measuring window and inflated CPU per message.")
    md.append("- Load client (`bench/loadclient`, C, epoll, non-blocking sockets, its own RFC 6455 client): "
              "opens the connections (200 handshakes in flight, source addresses 127.0.0.1–4 above 5,000 "
              "connections), waits the warm-up, then measures a window. Latency is receipt (CLOCK_REALTIME, read "
              "after each `recv`) minus the message's `ts` (epoch µs, same clock), in a log-linear histogram with "
              "0.1 % resolution. Only `price_update` messages count; a stalled client's messages are not counted.")
    md.append("- Server CPU: `utime + stime` of `/proc/PID/stat` (all threads, 10 ms ticks) over the window, "
              "divided by the messages the clients received in it. RSS per connection: `VmRSS` at the end of the "
              "window minus `VmRSS` before the first connection, divided by the open connections; for .NET it "
              "includes GC heap growth since start. Client CPU: `getrusage` of the load client over the window, "
              "as a share of one core.")
    md.append("- Publishing: every peer takes `ts` just before it serialises and fans out a tick; Node peers read "
              "the wall clock as `performance.timeOrigin + performance.now()`, .NET as `DateTimeOffset.UtcNow`. "
              "SignalR clients speak the JSON hub protocol over a plain WebSocket (no negotiate).")
    md.append("- Stall test: one connection in the middle of the 1,000 sets `SO_RCVBUF` to 4 KiB and never reads "
              "after the upgrade, so the server's send path towards it fills within a few ticks.\n")
    md.append("## How to read the figures\n")
    md.append("- `others on server core %`: how busy core 0 was during the window with work other than the "
              "server (other developers' builds and tests, kernel softirqs): `/proc/stat` busy time of the core minus "
              "the server's own CPU time. A row with a high figure ran on a crowded core: its latency is the first "
              "thing to doubt; CPU per message suffers less (it counts only the server's own time).")
    md.append("- The machine is shared and noisy (other builds run on both cores): absolute numbers move from run "
              "to run by tens of percent. Compare ratios between servers within one run, not across runs.")
    md.append("- At 10,000 clients one tick is a burst of 10,000 sends: p50 is roughly half the time the server "
              "needs to get through the burst, p99 nearly all of it, so p99 ≈ clients × CPU per message when the "
              "server has its core to itself.")
    md.append("- `delivered` below 100 % means the server could not keep up (ticks skipped or queued beyond the "
              "window); its latency then grows with the run, so the percentiles only hold for this window length.")
    md.append("- `1-s p99 median`: the window is cut into 1 s slices, each gets its own p99, and the median of "
              "those is shown. One hiccup of the shared machine (another process taking core 0 for a moment) "
              "moves the window's p99 a lot, but only one slice; the stall comparison uses this figure.")
    md.append("- `client CPU %` well below 100 % shows the load client was not the limit. In the stall test a "
              "server with head-of-line blocking shows up as a jump in p99 or a collapse of `delivered`.")
    md.append("- CPU per message in short windows with few messages (1 s ticks to 1,000 clients) rests on a "
              "handful of 10 ms CPU ticks: read it as a rough figure; the 10k and 100 ms rows are the solid ones.")
    md.append("- Raw results: `bench/results/*.json` (one line per run, not committed), server logs beside them.\n")
    with open(out_md, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    print(f"report: wrote {out_md} ({len(runs)} runs, {len(rest)} REST runs, plots: {', '.join(made) or 'none'})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
