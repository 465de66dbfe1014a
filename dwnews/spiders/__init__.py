"""The dwnews spiders: ``politics`` (the main job) and ``article`` (one-off URLs)."""
