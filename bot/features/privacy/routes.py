"""The privacy buttons: the notice, the export of my data, erasing it."""

from __future__ import annotations

from bot.core.routes import Button


class PrivacyNotice(Button, action="pv"):
    """What is stored about members, why, and for how long."""


class ExportAsked(Button, action="pv:x"):
    """My data: send me everything stored about me."""


class ErasureAsked(Button, action="pv:f"):
    """Erase my data: what erasure does, Erase?"""


class ErasureConfirmed(Button, action="pv:y"):
    """Yes, erase my data."""


class HelperShown(Button, action="pv:h"):
    """Show me as someone who can help on the machines I am trained on."""


class HelperHidden(Button, action="pv:n"):
    """Do not show me as someone who can help any more."""
