"""Time-driven jobs. Each derives what is due from the database and records what it sent."""
