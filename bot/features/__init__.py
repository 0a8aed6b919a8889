"""One folder per feature: its buttons (routes.py), screens, keyboards. The app factory registers
them in the order of bot/features/registry.py."""
