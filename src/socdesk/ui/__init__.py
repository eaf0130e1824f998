"""The Textual console. Screens render from the store and re-render on change-feed messages; no SQL here."""
