"""``scrapy crawl`` for this project: Scrapy's command plus three things.

* ``-a profile=PATH.yaml`` may be repeated (Scrapy keeps only the last value of an ``-a``
  argument): the paths are joined with commas.
* Spider arguments, profiles and settings are checked before the crawler starts; a mistake is
  one line (``CrawlConfigError: …`` / ``ProfileError: …``) and exit status 2, not a traceback.
* A crawl that raised an alarm (:mod:`crawler.alarms`) exits with status 1.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.runconfig import CrawlConfigError
from crawler.sites.reader import ProfileError

logger = logging.getLogger("crawler")
REPEATABLE = ("profile",)


def merge_repeated(arguments: list[str]) -> list[str]:
    """``["profile=a.yaml", "site=x", "profile=b.yaml"]`` → ``["site=x", "profile=a.yaml,b.yaml"]``."""
    merged: dict[str, list[str]] = {}
    rest = []
    for argument in arguments:
        name, sep, value = argument.partition("=")
        if sep and name.strip() in REPEATABLE:
            merged.setdefault(name.strip(), []).append(value)
        else:
            rest.append(argument)
    return rest + [f"{name}={','.join(values)}" for name, values in merged.items()]


def check(spider_name: str, spider_args: dict[str, Any], settings) -> None:
    """Build the spider's configuration without crawling; raises on a mistake."""
    from crawler import runconfig
    from crawler.spiders.medqa import MedqaSpider

    if spider_name != MedqaSpider.name:
        return
    from crawler.extensions import jobdir_in_use

    spider = MedqaSpider(**spider_args)
    spider.load_profiles(settings)
    runconfig.configure(settings.copy(), list(spider.profiles.values()), spider.max_items)
    if settings.get("JOBDIR") and (why := jobdir_in_use(settings.get("JOBDIR"))):
        raise CrawlConfigError(f"{why}; wait for it to finish or use another JOBDIR")


class Command(ScrapyCrawl):
    def process_options(self, args, opts) -> None:
        opts.spargs = merge_repeated(opts.spargs)
        super().process_options(args, opts)

    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            return super().run(args, opts)
        try:
            check(args[0], opts.spargs, self.settings)
        except (CrawlConfigError, ProfileError) as exc:
            line = f"{type(exc).__name__}: {exc}"
            logger.error(line)
            if self.settings.get("LOG_FILE") or not self.settings.getbool("LOG_ENABLED", True):
                print(line, file=sys.stderr)
            self.exitcode = 2
            return
        except TypeError as exc:  # a spider argument given twice or not accepted
            raise UsageError(str(exc), print_help=False) from exc
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if (
            self.crawler_process.bootstrap_failed
            or crawler.stats is not None
            and (crawler.stats.get_value("medqa/alarms") or 0)
        ):
            self.exitcode = 1
