"""Scrapy settings for the ``crawler`` project (the ``medqa`` spider).

Defaults are polite: robots.txt obeyed (Crawl-delay included), one request at a time per host,
a 2 s base delay that AutoThrottle only raises, retries with exponential backoff, a circuit
breaker on 403s and login/captcha redirects, and an honest user agent with a contact address.
Override any of them with ``-s NAME=value``; ``-s MEDQA_FAST_LOCAL=1`` lifts the delays for a
crawl of the local sample site (refused for any non-loopback host). See crawler/README.md.
"""

import os

BOT_NAME = "medqa-factory"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- identity --------------------------------------------------------------------------------
# Who to contact about this crawl (an e-mail or URL). Required for any host that is not loopback;
# it is put into the User-Agent: "medqa-factory/<version> (+<project URL>; contact: <contact>)".
MEDQA_CONTACT = ""
MEDQA_PROJECT_URL = "https://github.com/medqa-factory/medqa-factory"
# USER_AGENT is built from the two settings above when the spider starts, unless set with -s.
ROBOTSTXT_USER_AGENT = "medqa-factory"

# --- politeness ------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
MEDQA_OBEY_CRAWL_DELAY = True  # robots.txt Crawl-delay as the host's minimum delay
MEDQA_WORKERS = 1  # distributed workers sharing a host: Crawl-delay is multiplied by this
CONCURRENT_REQUESTS = 16  # in total, across sites
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0  # seconds between requests to one host (AutoThrottle's minimum)
DOWNLOAD_DELAY_JITTER = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False  # nothing here needs a session; never log in
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote-control extension runs Python sent over HTTP (token-protected, localhost)
# and writes job files to the home directory: off, like the telnet console.
REMOTE_CONTROL_ENABLED = False
# Politeness off for a loopback host only (the bundled sample site); see MEDQA_FAST_LOCAL_SETTINGS.
MEDQA_FAST_LOCAL = False

# --- retries, backoff, circuit breaker --------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
MEDQA_RETRY_BACKOFF_BASE = 2.0  # first retry waits 2 s, then 4 s, 8 s …
MEDQA_RETRY_BACKOFF_MAX = 120.0  # … never more than this, Retry-After included
MEDQA_BREAKER_THRESHOLD = 5  # 403s / login or captcha redirects in a row that stop a site

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SeenFilterMiddleware": 50,
    "crawler.middlewares.CrawlDelayMiddleware": 120,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # above RedirectMiddleware (600) so it sees 3xx responses before they are followed
    "crawler.middlewares.CircuitBreakerMiddleware": 610,
}

# --- records -----------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "crawler.pipelines.NormalisePipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.DeidentifyPipeline": 300,
    "crawler.pipelines.DeduplicatePipeline": 700,
    "crawler.pipelines.JsonLinesFeedPipeline": 900,
}
# One new JSON Lines file per run; %(site)s, %(time)s (UTC), %(name)s and %(worker)s are filled
# in. -o/-O PATH on the command line replace it (-O overwrites, -o appends).
MEDQA_FEED = "data/raw/%(site)s-%(time)s.jsonl"
FEED_EXPORT_ENCODING = "utf-8"
MEDQA_STATS_FILE = ""  # default: <feed>.stats.json
MEDQA_KEEP_DOCTOR_NAMES = False  # doctor names are not needed for training (field and text)
# Kinds of identifier replaced in every text field before the feed writes it (medqa.deid.KINDS);
# empty: all of them. An unknown name stops the crawl at start-up.
MEDQA_DEID_KINDS: list[str] = []
# Questions exported by any earlier run are neither fetched nor written again. A SQLite path,
# "redis" (distributed mode's default), or "" to remember nothing between runs.
MEDQA_SEEN_STORE = "data/raw/.medqa-seen.sqlite"

# --- extensions ----------------------------------------------------------------------------------
EXTENSIONS = {
    # Our pipeline writes the feed line by line so a killed crawl leaves only whole lines.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.JobDirGuard": 0,
    "crawler.extensions.ProgressLog": 500,
    "crawler.extensions.RunSummary": 510,
}
MEDQA_PROGRESS_INTERVAL = 60.0  # seconds between progress lines in the log

# --- distributed mode (scrapy-redis) ------------------------------------------------------------
# -s MEDQA_DISTRIBUTED=1: shared request queue and duplicate filter in Redis, start URLs read from
# the Redis list REDIS_START_URLS_KEY (push them with `medqa crawl seed`), each worker its own feed.
MEDQA_DISTRIBUTED = False
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_START_URLS_KEY = "medqa:start_urls"
MEDQA_REDIS_PREFIX = "medqa"
MAX_IDLE_TIME_BEFORE_CLOSE = 60  # a worker exits after this many idle seconds

# --- Scrapy 2.13+ defaults made explicit ----------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.MedqaLogFormatter"  # dropped records: reason only

# --- project commands and profiles ------------------------------------------------------------
# `scrapy crawl` checks arguments up front (one-line errors), merges repeated -a profile=, and exits
# non-zero when the crawl raised an alarm (crawler/alarms.py).
COMMANDS_MODULE = "crawler.commands"
# Folders (os.pathsep separated) searched for <site>.yaml profiles before crawler/sites/; also read
# from the environment variable of the same name.
MEDQA_SITES_DIR = os.environ.get("MEDQA_SITES_DIR", "")
