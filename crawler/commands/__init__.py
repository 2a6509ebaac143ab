"""Scrapy commands of this project (``COMMANDS_MODULE`` in settings.py): ``crawl`` replaced."""
