"""dwnews: DW Kiswahili politics news as clean, deduplicated article records."""

__version__ = "0.1.0"
