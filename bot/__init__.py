"""fabdesk's Telegram adapter: app factory, settings, handlers, keyboards, texts and CLI."""
