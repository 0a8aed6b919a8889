"""Telegram handlers, one module per feature. Each turns an update into a domain call and a reply."""
