"""Scrapy project ``crawler``: the ``medqa`` spider, its site profiles, pipelines and sample site.

Run from the repository root (where ``scrapy.cfg`` lives)::

    scrapy crawl medqa -a site=xywy,120ask

See ``crawler/README.md`` for arguments, settings, distributed mode and the offline sample site.
"""
