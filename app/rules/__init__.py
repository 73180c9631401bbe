"""An event's moderation rules, checked for every incoming post: pure functions, no storage."""

from app.rules.config import RulesConfig
from app.rules.engine import Reason, RuleInput, Verdict, evaluate, matcher_for
from app.rules.links import link_domains
from app.rules.words import WordMatcher

__all__ = ["Reason", "RuleInput", "RulesConfig", "Verdict", "WordMatcher", "evaluate",
           "link_domains", "matcher_for"]
