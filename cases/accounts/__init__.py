"""Staff accounts: password, then a second factor; re-authentication before sensitive acts.

What other code uses:

- `verified_staff_required`: decorator for every staff view (the admin checks by itself).
- `recent_authentication_required(max_age=300)`: decorator for a sensitive view; the user
  proves password and second factor again unless they did so within `max_age` seconds.
- `require_recent_authentication(request, max_age=300)`: the same for code that is not a
  view (admin actions): returns a redirect to the re-authentication page, or None.
- `is_verified(user)`, `safe_next_url(request, url, default=...)`.
"""

from cases.accounts.decorators import (
    recent_authentication_required,
    require_recent_authentication,
    verified_staff_required,
)
from cases.accounts.state import is_verified, recently_authenticated, safe_next_url

__all__ = [
    "is_verified",
    "recent_authentication_required",
    "recently_authenticated",
    "require_recent_authentication",
    "safe_next_url",
    "verified_staff_required",
]
