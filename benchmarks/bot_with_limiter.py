"""`fabdesk run` with another rate limiter: diagnosis only, not the shipped bot.

    bot_with_limiter.py --overall-max-rate 0          # no limit at all (fabdesk: bot/core/lanes.py)
    bot_with_limiter.py --overall-max-rate 30 --overall-time-period 1   # PTB's AIORateLimiter, bursts of 30

Nothing in bot/ is changed: the limiter bot.core.app builds is swapped before the application is built.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from telegram.ext import AIORateLimiter

import bot.core.app
from bot.core.lanes import LanedRateLimiter


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--overall-max-rate", type=float, required=True)
    parser.add_argument("--overall-time-period", type=float, default=1.0)
    args = parser.parse_args()

    def limiter(_per_second: float, max_retries: int) -> Any:
        if not args.overall_max_rate:
            return LanedRateLimiter(None, max_retries=max_retries)
        return AIORateLimiter(
            overall_max_rate=args.overall_max_rate,
            overall_time_period=args.overall_time_period,
            max_retries=max_retries,
        )

    bot.core.app.LanedRateLimiter = limiter  # type: ignore[assignment,misc]
    from bot.core.cli import main as fabdesk

    return fabdesk(["run"])


if __name__ == "__main__":
    sys.exit(main())
