"""`fabdesk run` with other settings for PTB's AIORateLimiter: diagnosis only, not the shipped bot.

    bot_with_limiter.py --overall-max-rate 0          # no overall limit (fabdesk: one message every 1/29 s)
    bot_with_limiter.py --overall-max-rate 30 --overall-time-period 1   # PTB's default: bursts of 30

Nothing in bot/ is changed: the class bot.app uses is swapped before the application is built.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from telegram.ext import AIORateLimiter

import bot.app


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--overall-max-rate", type=float, required=True)
    parser.add_argument("--overall-time-period", type=float, default=1.0)
    args = parser.parse_args()

    class Limiter(AIORateLimiter):
        """AIORateLimiter with the overall limit given on the command line (the rest as fabdesk sets it)."""

        def __init__(self, **kwargs: Any) -> None:
            kwargs["overall_max_rate"] = args.overall_max_rate
            kwargs["overall_time_period"] = args.overall_time_period
            super().__init__(**kwargs)

    bot.app.AIORateLimiter = Limiter  # type: ignore[misc]
    from bot.cli import main as fabdesk

    return fabdesk(["run"])


if __name__ == "__main__":
    sys.exit(main())
