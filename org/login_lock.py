"""Login lock: failures counted per username and, separately, per client address.

django-axes (8.x) counts each entry of `AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`
on its own and locks when any count reaches the one `AXES_FAILURE_LIMIT`. An address deserves a
higher limit than an account (a center's whole office may share one address behind NAT), so this
handler — configured as `AXES_HANDLER` — scales the address count to the account limit before
axes compares. It also resets only the account's own failures on a successful login: axes would
otherwise clear the address's count too, so anyone with one working login could keep guessing
other accounts' passwords from the same address.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def address_limit() -> int:
    return int(settings.PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT)


class LoginLockHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        # One queryset per entry of AXES_LOCKOUT_PARAMETERS, in that order.
        counts = []
        user_limit = get_failure_limit(request, credentials)
        for param, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            n = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if param == "ip_address":
                # n failures against the address limit, as failures against the account limit
                n = n * user_limit // address_limit()
            counts.append(n)
        return max(counts, default=0)

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
