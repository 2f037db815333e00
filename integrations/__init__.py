"""Programs that other systems run against PlazaDesk's events (they only read)."""
