"""``medqa crawl …``: serve the offline sample site, seed distributed crawls, list site profiles.

The crawl itself is ``scrapy crawl medqa`` (run from the repository root); these commands are the
pieces around it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from crawler.distributed import push_seeds, seed_payloads
from crawler.sites.profile import ProfileError, available_sites, load_profile, load_profile_file

SITES_DIR_HELP = "Folders with more <site>.yaml profiles (default: $MEDQA_SITES_DIR)."


@click.group("crawl")
def crawl() -> None:
    """Crawl Q&A sites (`scrapy crawl medqa`); serve the bundled sample site."""


@crawl.command("sample-site")
@click.option(
    "--port", type=int, default=8765, show_default=True, help="TCP port (0: any free one)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--crawl-delay",
    type=float,
    default=1.0,
    show_default=True,
    help="Crawl-delay announced in robots.txt (0: none).",
)
@click.option("--ban-after", type=int, default=None, help="Block each site after N question pages.")
@click.option("--ban-mode", type=click.Choice(["403", "login"]), default="403", show_default=True)
@click.option("--verbose", is_flag=True, help="Log every request.")
def sample_site(
    port: int, host: str, crawl_delay: float, ban_after, ban_mode: str, verbose: bool
) -> None:
    """Serve the offline sample site (xywy, 120ask and 39 structures) until Ctrl-C."""
    from crawler.samplesite import SampleSite

    site = SampleSite(host, port, crawl_delay, ban_after, ban_mode, verbose)
    corpus = site.corpus
    click.echo(
        f"Sample site on {site.url}  ({len(corpus.questions)} questions, {len(site.pages)} pages)"
    )
    for name in ("xywy", "120ask", "39"):
        click.echo(f"  {site.url}/{name}/")
    click.echo("Fast local crawl (politeness delays lifted, loopback only):")
    click.echo(
        f"  scrapy crawl medqa -a site=xywy,120ask,39 -a base_url={site.url} -s MEDQA_FAST_LOCAL=1"
    )
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


@crawl.command("seed")
@click.option("--redis-url", default="redis://127.0.0.1:6379/0", show_default=True)
@click.option("--site", "sites", default=None, help="As `-a site=` (default: every profile).")
@click.option("--profile", default=None, help="As `-a profile=`: profile files, comma separated.")
@click.option("--sites-dir", default=None, help=SITES_DIR_HELP)
@click.option("--base-url", default=None, help="As `-a base_url=` of the spider.")
@click.option("--departments", default=None, help="As `-a departments=` of the spider.")
@click.option("--since", default=None, help="As `-a since=` of the spider (YYYY-MM-DD).")
@click.option("--key", default="medqa:start_urls", show_default=True, help="REDIS_START_URLS_KEY.")
@click.option(
    "--keep-queue",
    is_flag=True,
    help="Keep the previous crawl's request queue and duplicate filter (default: a new crawl).",
)
def seed(
    redis_url: str,
    sites,
    profile,
    sites_dir,
    base_url,
    departments,
    since,
    key: str,
    keep_queue: bool,
) -> None:
    """Start a distributed crawl: push start URLs (JSON) for scrapy-redis workers.

    Workers run `scrapy crawl medqa -s MEDQA_DISTRIBUTED=1 -s REDIS_URL=…` with the same `-a`
    arguments. A new crawl clears the shared queue and duplicate filter of the last one (questions
    exported before are still skipped through the seen-store); to resume killed workers, just start
    them again without seeding.
    """
    import redis

    from crawler.arguments import load_sites, parse_departments, parse_since
    from crawler.runconfig import DISTRIBUTED_SETTINGS, CrawlConfigError
    from crawler.spiders.medqa import MedqaSpider

    try:
        folders = sites_dir or os.environ.get("MEDQA_SITES_DIR")
        profiles = load_sites(sites, base_url, profile, folders).values()
        payloads = list(seed_payloads(profiles, parse_departments(departments), parse_since(since)))
    except (CrawlConfigError, ProfileError) as exc:
        raise click.UsageError(str(exc)) from exc
    server = redis.Redis.from_url(redis_url)
    try:
        if not keep_queue:
            spider = {"spider": MedqaSpider.name}
            server.delete(
                DISTRIBUTED_SETTINGS["SCHEDULER_QUEUE_KEY"] % spider,
                DISTRIBUTED_SETTINGS["SCHEDULER_DUPEFILTER_KEY"] % spider,
            )
        count = push_seeds(server, key, payloads)
    except redis.ConnectionError as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    click.echo(f"Pushed {count} start URL(s) to {key} on {redis_url}")


@crawl.command("sites")
@click.option("--sites-dir", default=None, help=SITES_DIR_HELP)
def sites(sites_dir) -> None:
    """List the site profiles (bundled and in MEDQA_SITES_DIR)."""
    folders = sites_dir or os.environ.get("MEDQA_SITES_DIR")
    for name in available_sites(folders):
        try:
            profile = load_profile(name, folders)
        except ProfileError as exc:
            click.echo(f"{name:8} INVALID: {exc}")
            continue
        click.echo(f"{name:8} {profile.root:28} {profile.title}  ({profile.source_file})")


def _profile(value: str, sites_dir: str | None):
    path = Path(value).expanduser()
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_profile_file(path)
    return load_profile(value, sites_dir or os.environ.get("MEDQA_SITES_DIR"))


def _short(value, width: int = 70) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " / ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_detail(report: dict) -> None:
    for name, value in report["fields"].items():
        how = report["matched"].get(name, {})
        click.echo(f"{name:22} {_short(value)!s:72} [{_how(how)}]")
    click.echo(f"answers: {len(report['answers'])}  [{_how(report['matched'].get('answers', {}))}]")
    for k, answer in enumerate(report["answers"]):
        click.echo(f"  [{k}] {_short({x: answer[x] for x in answer if x != 'text'}, 90)}")
        click.echo(f"      text: {_short(answer['text'], 86)}")
    for name in ("answers.text", "answers.doctor_title", "answers.time", "answers.likes"):
        if name in report["matched"]:
            click.echo(f"  {name:20} [{_how(report['matched'][name])}]")
    if report["turns"]:
        click.echo(f"turns: {len(report['turns'])}")
        for turn in report["turns"]:
            click.echo(f"  {turn['role']:8} {_short(turn['text'], 80)}")
    checks = report["checks"]
    click.echo(
        f"page: {checks['bytes']} bytes, complete={checks['complete']}, "
        f"deleted notice={checks['deleted_notice']}"
    )


def _how(match: dict) -> str:
    if not match or match.get("alternative") is None:
        return "no alternative matched"
    return f"alternative {match['alternative']}: {match['selector']}"


def _print_list(report: dict) -> None:
    for rule in report["follow"]:
        how = _how(rule)
        click.echo(f"{rule['rule']} → {rule['leads_to']}: {len(rule['links'])} link(s) [{how}]")
        for link in rule["links"]:
            click.echo(f"  {link}")
        if rule["not_followed"]:
            click.echo(f"  ({len(rule['not_followed'])} other link(s) not followed)")
    click.echo(f"next page: {report['next'] or '-'}")


@crawl.command("try-profile")
@click.argument("profile")
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    default="detail",
    show_default=True,
    help="Page kind: detail, list, or any page kind of the profile.",
)
@click.option("--url", default=None, help="The page's URL, to resolve relative links.")
@click.option(
    "--encoding", default=None, help="Decode with this (default: <meta>, else the profile's)."
)
@click.option("--sites-dir", default=None, help=SITES_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def try_profile(profile, page: Path, kind, url, encoding, sites_dir, as_json) -> None:
    """Run PROFILE (a YAML file or a profile name) over one saved PAGE, offline.

    Prints every field with the selector alternative that matched (a question page) or the links
    a listing page yields; exits 1 when a required field is empty or a listing yields nothing.
    """
    from crawler.sites.trial import try_page

    try:
        site = _profile(profile, sites_dir)
        report = try_page(site, page, kind, url, encoding)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    except KeyError as exc:
        kinds = ", ".join(["detail", *site.pages])
        raise click.UsageError(
            f"--kind {kind!r}: not a page kind of {site.name} ({kinds})"
        ) from exc
    except LookupError as exc:
        raise click.UsageError(f"--encoding: {exc}") from exc
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        click.echo(f"{report['profile']} over {report['page']} ({report['encoding']}), {kind} page")
        (_print_detail if report["kind"] == "detail" else _print_list)(report)
        for problem in report["problems"]:
            click.echo(f"PROBLEM: {problem}", err=True)
    if report["problems"]:
        raise SystemExit(1)
