"""socdesk: the terminal console a SOC team keeps open all day."""

__version__ = "0.1.0"
