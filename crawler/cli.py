"""``medqa crawl …``: serve the offline sample site, seed distributed crawls, list site profiles.

The crawl itself is ``scrapy crawl medqa`` (run from the repository root); these commands are the
pieces around it.
"""

from __future__ import annotations

import click

from crawler.distributed import push_seeds, seed_payloads
from crawler.sites.profile import available_sites, load_profile


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
@click.option("--site", "sites", default=",".join(available_sites()), show_default=True)
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
    redis_url: str, sites: str, base_url, departments, since, key: str, keep_queue: bool
) -> None:
    """Start a distributed crawl: push start URLs (JSON) for scrapy-redis workers.

    Workers run `scrapy crawl medqa -s MEDQA_DISTRIBUTED=1 -s REDIS_URL=…` with the same `-a`
    arguments. A new crawl clears the shared queue and duplicate filter of the last one (questions
    exported before are still skipped through the seen-store); to resume killed workers, just start
    them again without seeding.
    """
    import redis

    from crawler.runconfig import DISTRIBUTED_SETTINGS, CrawlConfigError
    from crawler.sites.profile import ProfileError
    from crawler.spiders.medqa import MedqaSpider, load_sites, parse_departments, parse_since

    try:
        profiles = load_sites(sites, base_url).values()
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
def sites() -> None:
    """List the bundled site profiles."""
    for name in available_sites():
        profile = load_profile(name)
        click.echo(f"{name:8} {profile.root:28} {profile.title}")
