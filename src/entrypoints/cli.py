"""``peoplecoin``: serve the API, look after the projections, audit, manage categories."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable

from application.audit import run_audit
from application.commands import AddCategory, RenameCategory
from application.projections.runner import ProjectionsBehind, UnknownProjection
from domain.shared.errors import DomainError
from entrypoints.config import ConfigError, Settings
from entrypoints.container import Container, Role, audit_checks, build, close_stores, open_stores
from entrypoints.demo import run_demo
from entrypoints.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging()
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"peoplecoin: {error}", file=sys.stderr)
        return 2
    if args.command in ROLES:
        if args.command != Role.SERVE and not settings.redis_url:
            print(
                f"peoplecoin: {args.command} runs beside other processes: set PEOPLECOIN_REDIS_URL (their command bus) "
                "and, for more than one machine, PEOPLECOIN_DATABASE_URL (docs/deployment.md)",
                file=sys.stderr,
            )
            return 2
        return _serve(dataclasses.replace(settings, role=args.command))
    return asyncio.run(_with_stores(settings, args))


ROLES = {
    Role.SERVE: "everything in one process, on the embedded default or on PostgreSQL and Redis",
    Role.API: "serve the HTTP and WebSocket API; trading commands go to the engine process (needs Redis)",
    Role.ENGINE: "run the matching engine (one leads, others stand by): commands from the api and settler "
    "processes, group commit, snapshots; serves only /health, /ready and /metrics (needs Redis)",
    Role.PROJECTOR: "keep every view up to date from the log; serves only /health, /ready and /metrics (needs Redis)",
    Role.SETTLER: "settle batches on the chain and credit its deposits, commanding the engine (one leads, others "
    "stand by); serves only /health, /ready and /metrics (needs Redis)",
}


def _serve(settings: Settings) -> int:
    import uvicorn

    from entrypoints.http.app import create_app
    from entrypoints.http.wsprotocol import FramedWebSocketProtocol

    app = create_app(build(settings))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=20,
        # X-Forwarded-For and -Proto count only from these addresses (none by default); uvicorn then gives
        # the app the client's address and scheme, which the rate limits and the access log use.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
        access_log=settings.access_log,
        ws=FramedWebSocketProtocol,  # the live feed writes a connection's waiting updates in one write
        ws_per_message_deflate=False,  # it would compress each update again for every client: the feed frames once
    )
    return 0


async def _with_stores(settings: Settings, args: argparse.Namespace) -> int:
    c = build(settings)
    await open_stores(c, seed=getattr(args, "seed_categories", True))
    try:
        action: Callable[[Container, argparse.Namespace], Awaitable[int]] = args.action
        return await action(c, args)
    except DomainError as error:
        print(f"peoplecoin: {error.message} ({error.code})", file=sys.stderr)
        return 1
    finally:
        await close_stores(c)


async def _status(c: Container, args: argparse.Namespace) -> int:
    rows = await c.projections().status()
    print(f"{'view':<24}{'position':>10}{'head':>10}{'lag':>10}  dead letters")
    for row in rows:
        print(f"{row.name:<24}{row.position:>10}{row.head:>10}{row.lag:>10}  {_dead_letters(row.dead_letters)}")
    return 0


def _dead_letters(positions: tuple[int, ...], shown: int = 10) -> str:
    if not positions:
        return "0"
    listed = ", ".join(str(p) for p in positions[:shown]) + (", …" if len(positions) > shown else "")
    return f"{len(positions)} (at {listed})"


async def _list_dead_letters(c: Container, args: argparse.Namespace) -> int:
    try:
        letters = await c.projections().dead_letters(args.name)
    except UnknownProjection as unknown:
        print(f"peoplecoin: {unknown}", file=sys.stderr)
        return 2
    for d in letters:
        print(
            f"{d.view} at {d.position}: {d.topic} (stream {d.stream_id} version {d.stream_version}), "
            f"{d.attempts} attempts from {d.first_failed_at:%Y-%m-%d %H:%M:%S} to {d.last_failed_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        print(f"    {d.error}")
    if not letters:
        print("no dead letters")
    return 0


async def _rebuild(c: Container, args: argparse.Namespace) -> int:
    runner = c.projections()
    for name in [args.name] if args.name else runner.names:
        try:
            await runner.rebuild(name)
        except UnknownProjection as unknown:
            print(f"peoplecoin: {unknown}", file=sys.stderr)
            return 2
        except ProjectionsBehind as behind:
            print(f"peoplecoin: {name} could not be rebuilt: {behind}", file=sys.stderr)
            return 1
        letters = await runner.dead_letters(name)
        aside = f" ({len(letters)} events set aside: projections dead-letters {name})" if letters else ""
        print(f"rebuilt {name} to position {await runner.projector(name).view.position()}{aside}")
    return 0


async def _audit(c: Container, args: argparse.Namespace) -> int:
    try:
        results = await run_audit(audit_checks(c))
    except Exception as error:  # a database refused: no verdict either way
        print(f"peoplecoin: the audit could not finish: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    failed = False
    for result in results:
        if not result.differences:
            print(f"ok: {result.name}: {result.summary}")
            continue
        failed = True
        first = result.differences[0]
        more = len(result.differences) - 1
        print(f"FAILED: {result.name}: {result.summary}")
        print(f"  first difference: {first.where}" + (f" (and {more} more)" if more else ""))
        print(f"    {result.found_label}: {first.found}")
        print(f"    {result.expected_label}: {first.expected}")
    return 1 if failed else 0


async def _demo(c: Container, args: argparse.Namespace) -> int:
    return await run_demo(c, args.seed)


async def _add_category(c: Container, args: argparse.Namespace) -> int:
    done = await c.add_category()(AddCategory(args.name, args.slug))
    print(f"added {done.value.slug} ({done.value.id}) at position {done.position}")
    return 0


async def _rename_category(c: Container, args: argparse.Namespace) -> int:
    done = await c.rename_category()(RenameCategory(args.ref, args.name))
    print(f"renamed {done.value.slug} to {done.value.name!r} at position {done.position}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peoplecoin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for role, text in ROLES.items():
        commands.add_parser(role.value, help=text)

    projections = commands.add_parser("projections", help="views built from the event log")
    views = projections.add_subparsers(dest="verb", required=True)
    views.add_parser("status", help="each view's position, lag and dead letters").set_defaults(action=_status)
    letters = views.add_parser(
        "dead-letters", help="the events a view (or every view) could not apply and set aside, with the error"
    )
    letters.add_argument("name", nargs="?")
    letters.set_defaults(action=_list_dead_letters)
    rebuild = views.add_parser(
        "rebuild", help="empty a view (or all), forget its dead letters and replay the whole log into it (retrying them)"
    )
    rebuild.add_argument("name", nargs="?")
    rebuild.set_defaults(action=_rebuild)

    commands.add_parser(
        "audit", help="check that what is shown agrees with what is recorded (every view equals a fresh replay)"
    ).set_defaults(action=_audit)

    demo = commands.add_parser(
        "demo",
        help="fill an empty store with a week of a believable market (creators, tokens, traders, trades, follows), "
        "through the real commands; writes the demo users' wallets to demo-wallets.json in the data dir",
    )
    demo.add_argument("--seed", type=int, default=1, help="the same seed makes the same market (default 1)")
    demo.set_defaults(action=_demo, seed_categories=False)  # it seeds them itself, at the start of its week

    categories = commands.add_parser("categories", help="creator categories")
    verbs = categories.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="add a category")
    add.add_argument("name")
    add.add_argument("--slug", help="the URL name; made from the name when left out")
    add.set_defaults(action=_add_category)
    rename = verbs.add_parser("rename", help="rename a category; its slug stays")
    rename.add_argument("ref", help="the category's slug or id")
    rename.add_argument("name")
    rename.set_defaults(action=_rename_category)
    return parser


if __name__ == "__main__":
    sys.exit(main())
