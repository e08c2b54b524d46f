"""What the soak prints: the curve as it is read, then the figures per
phase (start, end and peak of each measure, and its growth per 1000
operations), and the PNG plot."""

import sys

MEASURES = [("fds", "descriptors", 1), ("threads", "threads", 1),
            ("rss_kib", "RSS MiB", 1 / 1024)]


class Curve:
    """Prints a row of the curve (time, phase, operations done, fds,
    threads, RSS MiB) every `every` s, and the first and last reading of
    each phase."""

    def __init__(self, every, out=sys.stdout):
        self.every = every
        self.out = out
        self.last_t = None
        self.last_phase = None
        print("%8s  %-8s %7s %6s %7s %8s" % (
            "time s", "phase", "ops", "fds", "threads", "RSS MiB"),
            file=out, flush=True)

    def __call__(self, s):
        if (s.phase != self.last_phase or not s.busy
                or self.last_t is None or s.t - self.last_t >= self.every):
            print("%8.1f  %-8s %7d %6d %7d %8.1f" % (
                s.t, s.phase, s.ops, s.fds, s.threads, s.rss_kib / 1024),
                file=self.out, flush=True)
            self.last_t, self.last_phase = s.t, s.phase


def slope(points):
    """The least-squares slope of y over x of points [(x, y)], or None
    without two distinct x."""
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def phase_figures(samples, result):
    """{measure: (start, end, max, growth per 1000 operations or None)} of
    one phase: start is its first reading, end its last (once the server
    had let go of what the operations held), max the highest; the growth is
    the slope over the readings taken while the second half of its
    operations ran (the first half is its warm-up)."""
    mine = [s for s in samples if s.phase == result.phase.name]
    half = [s for s in mine if s.busy and s.ops >= result.done / 2]
    figures = {}
    for attr, _, scale in MEASURES:
        values = [getattr(s, attr) * scale for s in mine]
        if not values:
            continue
        k = slope([(s.ops, getattr(s, attr) * scale) for s in half])
        figures[attr] = (values[0], values[-1], max(values),
                         None if k is None else k * 1000)
    return figures


def print_figures(samples, results, out=sys.stdout):
    """The table of figures per phase."""
    print("\nper phase: start / end / max, and growth per 1000 operations "
          "(least squares over the second half)", file=out)
    head = "%-7s %6s %5s %6s" % ("phase", "ops", "fail", "s")
    for _, name, _ in MEASURES:
        head += "  %-26s" % (name + " s/e/max, /1000")
    print(head, file=out)
    for r in results:
        f = phase_figures(samples, r)
        row = "%-7s %6d %5d %6.0f" % (r.phase.name, r.done, r.failed,
                                      r.seconds)
        for attr, _, scale in MEASURES:
            if attr not in f:
                row += "  %-26s" % "-"
                continue
            start, end, top, growth = f[attr]
            fmt = "%.1f/%.1f/%.1f" if scale != 1 else "%d/%d/%d"
            cell = fmt % (start, end, top)
            cell += " %s" % ("-" if growth is None else "%+.2f" % growth)
            row += "  %-26s" % cell
        print(row, file=out)
    for r in results:
        for e in r.errors:
            print("  %s: %s" % (r.phase.name, e), file=out)
    out.flush()


def write_csv(samples, path):
    with open(path, "w") as f:
        f.write("time_s,phase,ops,busy,fds,threads,rss_kib\n")
        for s in samples:
            f.write("%.2f,%s,%d,%d,%d,%d,%d\n" % (s.t, s.phase, s.ops,
                                                  s.busy, s.fds, s.threads,
                                                  s.rss_kib))


def plot(samples, path, title):
    """One panel per measure over time, each phase's span shaded and
    named. Needs matplotlib (Debian: python3-matplotlib); returns False
    without it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    spans = []          # (phase, first t, last t)
    for s in samples:
        if spans and spans[-1][0] == s.phase:
            spans[-1][2] = s.t
        else:
            spans.append([s.phase, s.t, s.t])
    fig, axes = plt.subplots(len(MEASURES), 1, sharex=True,
                             figsize=(12, 8))
    t = [s.t for s in samples]
    for ax, (attr, name, scale) in zip(axes, MEASURES):
        ax.plot(t, [getattr(s, attr) * scale for s in samples],
                linewidth=0.9)
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        for k, (phase, a, b) in enumerate(spans):
            if k % 2:
                ax.axvspan(a, b, color="0.9", zorder=0)
    top = axes[0]
    for k, (phase, a, b) in enumerate(spans):
        # Two rows of names, so that short phases side by side stay legible.
        top.annotate(phase, xy=((a + b) / 2, 1.01 + 0.07 * (k % 2)),
                     xycoords=("data", "axes fraction"), ha="center",
                     va="bottom", fontsize=8)
    axes[-1].set_xlabel("seconds")
    fig.suptitle(title, y=0.99)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
