"""The one error type a verb raises for a mistake the user can fix.

The CLI's entry point turns it into one line on stderr and exit status 2; no verb prints a traceback
for it. Verbs raise it (or a subclass, such as `autopilot.account.credentials.AwsSetupError`) with a message
that names the file and the field, or the setting, and says how to fix it.
"""

from __future__ import annotations


class InvalidInput(Exception):
    """Input the user can fix: an unreadable event file, an unknown handler, an invalid event, a
    missing region or credentials. The message is one line."""
