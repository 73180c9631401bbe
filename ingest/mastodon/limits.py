"""The bounds that keep a Mastodon source inside the servers' quotas and its own memory."""

# The other modules read these as `limits.NAME` when they need them, not imported by name, so
# that a test can shrink one for a single run.
PAGE_LIMIT = 40                  # the most a Mastodon timeline page holds
MAX_PAGES = 10                   # per tag and round: a burst of 400 posts is caught up in one round
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_RECHECKS = 40                # status look-ups per re-check round, well inside 300 per 5 min
MAX_KNOWN_IDS = 10_000           # (instance, local id) -> uri, to resolve streamed deletes
MAX_RATE_LIMIT_PAUSE = 600.0     # a reset further away than this is a clock problem, not a quota
STREAM_OPEN_TIMEOUT = 10.0
