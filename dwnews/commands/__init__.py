"""dwnews' Scrapy commands (COMMANDS_MODULE): ``crawl`` with an exit status schedulers can use."""
