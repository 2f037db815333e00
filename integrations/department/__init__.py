"""The department integration kit: a department's own system receives exactly its work
orders from PlazaDesk's DISPATCH stream (see README.md)."""
