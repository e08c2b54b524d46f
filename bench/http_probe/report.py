"""The report: the reference, a table row per attack and phase, then each
attack's notes."""

import statistics


def summary(samples):
    ok = [t for t in samples if t is not None]
    med = statistics.median(ok) * 1000 if ok else None
    top = max(ok) * 1000 if ok else None
    return med, top, len(samples) - len(ok)


def print_report(refs, attacks):
    medians = {}
    for https, ref in refs.items():
        med, top, failed = summary(ref)
        medians[https] = med
        print("reference, no attack: GET /healthz over %s median %.2f ms, "
              "max %.2f ms, %d of %d failed"
              % ("HTTPS" if https else "HTTP", med or 0, top or 0, failed,
                 len(ref)))
    print()
    print("%-14s %-7s %6s %7s %8s %9s %9s %6s %7s"
          % ("attack", "phase", "fds", "threads", "RSS MiB", "median ms",
             "max ms", "failed", "vs ref"))
    for a in attacks:
        ref_med = medians[a.https]
        for phase, reading, smp in a.rows:
            fds, threads, rss = reading or ("gone", "gone", None)
            med, top, failed = summary(smp)
            print("%-14s %-7s %6s %7s %8s %9s %9s %6s %7s" % (
                a.name, phase, fds, threads,
                "%.1f" % (rss / 1024) if rss else "gone",
                "%.2f" % med if med is not None else "-",
                "%.2f" % top if top is not None else "-",
                "%d/%d" % (failed, len(smp)),
                "%.1fx" % (med / ref_med) if med and ref_med else "-"))
    print()
    for a in attacks:
        for text in a.notes:
            print("%s: %s" % (a.name, text))
