"""The spider's ``-a`` arguments: parsed and checked before a request goes out.

Every function raises :class:`crawler.runconfig.CrawlConfigError` (or a profile's
:class:`~crawler.sites.reader.ProfileError`) with a message that says what to fix; the project's
``scrapy crawl`` prints it as one line (``crawler/commands/crawl.py``).
"""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

from crawler import runconfig
from crawler.sites.profile import SiteProfile, available_sites, load_profile, load_profile_file
from crawler.sites.reader import did_you_mean


def parse_sites(
    value: str | None, sites_dir: str | None = None, own: dict[str, SiteProfile] | None = None
) -> list[str]:
    """``-a site=`` as profile names: found in ``MEDQA_SITES_DIR``, ``crawler/sites/`` or the
    ``-a profile=`` files (``own``). Without it: the ``profile=`` files, else every profile."""
    own = own or {}
    known = sorted(set(available_sites(sites_dir)) | set(own))
    default = ",".join(own) if own else ",".join(available_sites(sites_dir))
    names = [s.strip() for s in (value or default).split(",") if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        hint = did_you_mean(unknown[0], known) if unknown else ""
        raise runconfig.CrawlConfigError(
            f"unknown site(s) {unknown or value!r}{hint}; bundled profiles: {', '.join(known)}"
        )
    return list(dict.fromkeys(names))


def site_roots(sites: list[str], base_url: str | None) -> dict[str, str]:
    """Per-site roots from ``base_url`` (see the module docstring); {} when not given."""
    if not base_url:
        return {}
    if "=" not in base_url:
        return {site: f"{base_url.rstrip('/')}/{site}" for site in sites}
    roots = {}
    for pair in base_url.split(","):
        site, sep, url = pair.partition("=")
        if not sep or site.strip() not in sites:
            raise runconfig.CrawlConfigError(
                f"base_url: {pair!r} must be site=URL for one of the crawled sites {sites}"
            )
        roots[site.strip()] = url.strip()
    return roots


def parse_departments(value: str | None) -> set[str] | None:
    """``-a departments=`` as a set of names/ids/slugs; None when not given."""
    return {d.strip() for d in (value or "").split(",") if d.strip()} or None


def parse_since(value: str | None) -> str | None:
    """``-a since=`` as ``YYYY-MM-DD``; None when not given."""
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise runconfig.CrawlConfigError(f"since must be YYYY-MM-DD, got {value!r}") from exc


def own_profiles(value: str | None) -> dict[str, SiteProfile]:
    """The ``-a profile=PATH.yaml`` files (comma separated; the option may be repeated)."""
    profiles: dict[str, SiteProfile] = {}
    for path in (p.strip() for p in (value or "").split(",")):
        if path:
            profile = load_profile_file(path)
            if profile.name in profiles:
                raise runconfig.CrawlConfigError(
                    f"profile: two files define the site {profile.name!r} "
                    f"({profiles[profile.name].source_file}, {path})"
                )
            profiles[profile.name] = profile
    return profiles


def load_sites(
    site: str | None,
    base_url: str | None,
    profile: str | None = None,
    sites_dir: str | None = None,
) -> dict[str, SiteProfile]:
    """The profiles named by ``-a site=`` (and given by ``-a profile=``), pointed at
    ``-a base_url=`` where given. ``sites_dir`` is the ``MEDQA_SITES_DIR`` setting."""
    own = own_profiles(profile)
    names = parse_sites(site, sites_dir, own)
    roots = site_roots(names, base_url)
    profiles = {n: own[n] if n in own else load_profile(n, sites_dir) for n in names}
    return {n: p.with_root(roots[n]) if n in roots else p for n, p in profiles.items()}


def count_argument(name: str, value: Any, minimum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = minimum - 1
    if number < minimum:
        hint = " (leave it out for no limit)" if minimum == 1 else ""
        raise runconfig.CrawlConfigError(
            f"{name} must be a whole number >= {minimum}{hint}, got {value!r}"
        )
    return number


def shard_of(qid: str, shards: int) -> int:
    """Stable shard of a question id: the number itself when numeric, else its CRC32."""
    return (int(qid) if qid.isdigit() else zlib.crc32(qid.encode())) % shards


SPIDER_ARGUMENTS = (
    "site", "profile", "base_url", "departments", "max_items", "max_pages", "since",
    "shard", "shards",
)  # fmt: skip
# attributes scrapy-redis lets a spider argument set
REDIS_ARGUMENTS = ("redis_key", "redis_batch_size", "redis_encoding", "max_idle_time")


def check_argument_names(kwargs: dict) -> None:
    """Refuse misspelt ``-a`` arguments (``sitee=xywy`` would otherwise crawl every site)."""
    for key in kwargs:
        if key.startswith("_") or key in REDIS_ARGUMENTS:
            continue  # scrapyd's _job, scrapy-redis settings
        raise runconfig.CrawlConfigError(
            f"unknown spider argument {key!r}{did_you_mean(key, SPIDER_ARGUMENTS)}; "
            f"arguments: {', '.join(SPIDER_ARGUMENTS)}"
        )
