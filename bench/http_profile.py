"""Where the server's time goes: ``py-spy record`` (raw collapsed stacks) or cProfile, summed by area.

Used by ``bench.http_load --profile``. A sample (one stack of one thread) is
put in one area: the innermost frame that is our code (``src/``) decides
(so SQLAlchemy called by a projector counts as projections, a JWT decode
called by the guard as auth); a stack with none of our frames goes by its
innermost known library (uvicorn's access log is logging, Litestar's
response encoding is the framework, an aiosqlite worker thread is the SQL
driver). py-spy samples the threads that are running (not those idle in a
system call), with the GIL or without; the event-loop thread (``MainThread``)
is the one that runs every request, projection and guard, so it gets its own
table.
"""

from __future__ import annotations

import pstats
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# (area, path prefixes) for our own code (``src/``), tried in this order on the innermost frame of ours.
OURS: list[tuple[str, tuple[str, ...]]] = [
    ("matching + ledger (domain, exchange)", ("domain/orderbook/", "domain/account/", "domain/token/", "application/trading/exchange.py")),
    ("event store: group commit, mapping, append", ("application/trading/group_commit.py", "adapters/eventstore/")),
    ("committed market + live feed (log read back, steps, rendering)", ("application/live/", "entrypoints/live/")),
    ("projections (views)", ("application/projections/", "adapters/views/", "application/queries.py")),
    ("auth: JWT check + revocation lookup", ("adapters/auth/", "application/handlers/auth.py", "entrypoints/http/auth.py", "adapters/keys/")),
    ("our HTTP layer (controllers, DTOs, errors)", ("entrypoints/http/",)),
    ("DI container", ("entrypoints/container.py",)),
    ("other app code", ("domain/", "application/", "adapters/", "entrypoints/")),
]
# (area, path prefixes) for libraries, tried on the innermost library frame.
LIBRARIES: list[tuple[str, tuple[str, ...]]] = [
    ("event store: eventsourcing recorder (SQL + commit)", ("eventsourcing/",)),
    ("JWT library", ("jwt/",)),
    ("logging (uvicorn access log, JSON)", ("logging/", "pythonjsonlogger/")),
    ("prometheus metrics", ("prometheus_client/", "litestar/plugins/prometheus/")),
    ("SQLAlchemy + drivers, caller unknown (greenlet stacks, aiosqlite threads)", ("aiosqlite/", "asyncpg/", "psycopg", "sqlalchemy/", "sqlite3/")),
    ("HTTP protocol (uvicorn + h11)", ("uvicorn/", "h11/", "httptools/")),
    ("Litestar (routing, middleware, DI, (de)serialisation)", ("litestar/", "msgspec/", "dependency_injector/")),
    ("asyncio event loop + streams", ("asyncio/", "selectors.py")),
    ("threads / executors", ("threading.py", "concurrent/", "queue.py")),
]
OTHER = "other"
OUR_PACKAGES = ("domain/", "application/", "adapters/", "entrypoints/")


def normalise(path: str) -> str:
    """A file as py-spy names it (``package/module.py``), from an absolute path too (cProfile)."""
    for marker in ("/site-packages/", "/src/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    found = re.search(r"/lib/python3\.\d+/(.*)$", path)
    return found.group(1) if found else path


OUTER_SHELL = ("entrypoints/cli.py",)  # at the root of every main-thread stack: not where time goes


def is_ours(path: str) -> bool:
    return path.startswith(OUR_PACKAGES) and not path.startswith(OUTER_SHELL)

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def area_of_files(files: list[str]) -> str:
    """``files``: normalised, innermost first."""
    for path in files:
        if is_ours(path):
            for area, prefixes in OURS:
                if path.startswith(prefixes):
                    return area
    for path in files:
        for area, prefixes in LIBRARIES:
            if path.startswith(prefixes):
                return area
    return OTHER


@dataclass
class Summary:
    samples: int = 0
    by_thread: Counter[str] = field(default_factory=Counter)
    by_area: Counter[str] = field(default_factory=Counter)
    by_area_main: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)
    ours_inclusive: Counter[str] = field(default_factory=Counter)
    main_samples: int = 0
    source: str = ""


def short(func: str, path: str) -> str:
    return f"{func} ({path})"


def parse_raw(lines: Iterable[str]) -> Summary:
    """py-spy ``--format raw`` output: ``frame;frame;...;leaf count``, with ``--threads`` a thread frame first."""
    summary = Summary(source="py-spy")
    for text in lines:
        text = text.rstrip("\n")
        if not text:
            continue
        stack_text, _, count_text = text.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack_text.split(";")
        thread = "?"
        parsed: list[tuple[str, str]] = []
        for frame in frames:
            if frame.startswith("thread ") or frame.startswith("process "):
                if frame.startswith("thread "):
                    thread = frame
                continue
            found = FRAME.match(frame)
            if found is None:
                parsed.append((frame, ""))
            else:
                parsed.append((found["func"], normalise(found["file"])))
        if not parsed:
            continue
        is_main = "MainThread" in thread
        thread_name = "MainThread (event loop)" if is_main else _thread_label(thread, parsed)
        innermost = list(reversed(parsed))
        area = area_of_files([f for _, f in innermost])
        summary.samples += count
        summary.by_thread[thread_name] += count
        summary.by_area[area] += count
        if is_main:
            summary.main_samples += count
            summary.by_area_main[area] += count
        func, path = parsed[-1]
        summary.self_time[short(func, path)] += count
        seen: set[str] = set()
        for func, path in parsed:
            if is_ours(path):
                name = short(func, path)
                if name not in seen:
                    seen.add(name)
                    summary.ours_inclusive[name] += count
    return summary


def _thread_label(thread: str, frames: list[tuple[str, str]]) -> str:
    """A readable name for a non-main thread, by its Python name (``thread (tid): Name (target)``)."""
    name = thread.split(":", 1)[1].strip() if ":" in thread else thread
    files = " ".join(path for _, path in frames)
    if "_connection_worker_thread" in name or "aiosqlite/" in files:
        return "aiosqlite connection threads (views DB, auth key lookups)"
    if name.startswith("eventstore-writer"):
        return "event-store writer thread (appends + commit)"
    if name.startswith("asyncio_") or "ThreadPoolExecutor" in name:
        return "default executor threads (event-store reads: log tail, head)"
    if "psycopg" in files:
        return "psycopg pool threads"
    return "other threads"


def parse_cprofile(path: str) -> Summary:
    """cProfile stats of the event-loop thread: self time per function, areas by the function's own file.

    A built-in (``~``: a C method such as ``socket.send``) has no file: its time goes to the areas of
    its callers, in proportion to what each caller spent in it; waiting in ``epoll`` is idle time.
    """
    stats = pstats.Stats(path)
    summary = Summary(source="cProfile (event-loop thread only; self time, µs)")
    for (file, _line, func), (_cc, _nc, tottime, cumtime, callers) in stats.stats.items():  # type: ignore[attr-defined]
        micro = int(tottime * 1e6)
        if not micro:
            continue
        if file == "~":
            name = f"{func} (built-in)"
            if "epoll" in func and "poll" in func:
                shares = {"idle (waiting in epoll)": 1.0}
            else:
                edges = {normalise(caller[0]): edge[2] for caller, edge in callers.items()}
                total = sum(edges.values()) or 1.0
                shares = {}
                for caller_file, spent in edges.items():
                    area = area_of_files([caller_file])
                    shares[area] = shares.get(area, 0.0) + spent / total
                shares = shares or {OTHER: 1.0}
        else:
            file = normalise(file)
            name = short(func, file)
            shares = {area_of_files([file]): 1.0}
            if is_ours(file):
                summary.ours_inclusive[name] += int(cumtime * 1e6)
        for area, share in shares.items():
            summary.by_area[area] += int(micro * share)
            summary.by_area_main[area] += int(micro * share)
        summary.self_time[name] += micro
        summary.samples += micro
        summary.main_samples += micro
    summary.by_thread["MainThread (event loop)"] = summary.samples
    return summary


def report(summary: Summary, top: int = 15) -> str:
    out: list[str] = []
    unit = "samples" if summary.source == "py-spy" else "µs"
    out.append(f"profile source: {summary.source}; {summary.samples} {unit} in all")
    if not summary.samples:
        return "\n".join(out + ["(no samples)"])
    out.append("")
    out.append("by thread (share of all active samples):")
    for name, count in summary.by_thread.most_common():
        out.append(f"  {100 * count / summary.samples:5.1f} %  {name}")
    if summary.main_samples:
        out.append("")
        out.append("event-loop thread, by area (share of its active samples):")
        for name, count in summary.by_area_main.most_common():
            out.append(f"  {100 * count / summary.main_samples:5.1f} %  {name}")
    out.append("")
    out.append("all threads, by area:")
    for name, count in summary.by_area.most_common():
        out.append(f"  {100 * count / summary.samples:5.1f} %  {name}")
    out.append("")
    out.append(f"top {top} functions by self time (all threads):")
    for name, count in summary.self_time.most_common(top):
        out.append(f"  {100 * count / summary.samples:5.1f} %  {name}")
    out.append("")
    out.append(f"top {top} of our functions by inclusive time:")
    for name, count in summary.ours_inclusive.most_common(top):
        out.append(f"  {100 * count / summary.samples:5.1f} %  {name}")
    return "\n".join(out)
