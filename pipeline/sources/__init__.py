"""Everything that reads the outside world: feed fetching and parsing, the XML guard, parse workers,
article pages (robots.txt, politeness), feed health and backoff."""
