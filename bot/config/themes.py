"""frontline.yml's `themes:` section: how recurring flags are grouped and routed."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from bot.config.fields import (
    Duration,
    DurationOrOff,
    PlatformKey,
    RegexPattern,
    RuleName,
    Text,
    rule_name,
)
from bot.config.section import Loc, Section, given


class ThemeThreshold(Section):
    """When a theme is routed: `flags` flags from `distinct` agents or customers within `within`."""

    flags: int = Field(default=3, ge=1, le=1000)
    distinct: int = Field(default=2, ge=1, le=1000, validate_default=True)
    within: Duration = timedelta(days=7)

    @field_validator("distinct")
    @classmethod
    def _reachable(cls, distinct: int, info: ValidationInfo) -> int:
        flags = info.data.get("flags")
        if isinstance(flags, int) and distinct > flags:
            raise ValueError(
                f"{distinct} distinct agents or customers cannot come from "
                f"{flags} flag{'' if flags == 1 else 's'}: each flag has one agent and usually "
                f"one customer, so `flags: {flags}` would never be the threshold; write "
                f"distinct: {flags} or less, or flags: {distinct} or more"
            )
        return distinct


class RoutingRule(Section):
    """Flags matching these keywords or patterns belong to theme `name`, owned by `owner`."""

    name: RuleName
    keywords: tuple[Text, ...] = ()
    patterns: tuple[RegexPattern, ...] = ()
    owner: dict[PlatformKey, Text]
    threshold: ThemeThreshold | None = None

    @field_validator("owner")
    @classmethod
    def _some_owner(cls, owner: dict[str, str]) -> dict[str, str]:
        if not owner:
            raise ValueError("give the owning channel for at least one platform, like slack: C0123")
        return owner

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        if given(data, "keywords") or given(data, "patterns"):
            return []
        try:
            rule = f"rule {rule_name(data.get('name'))!r}"
        except ValueError:
            rule = "this rule"
        return [((), f"{rule} matches nothing; give keywords or patterns (or both)")]

    @cached_property
    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The patterns, compiled as written (use `(?i)` in a pattern to ignore case)."""
        return tuple(re.compile(pattern) for pattern in self.patterns)

    @cached_property
    def keyword_pattern(self) -> re.Pattern[str] | None:
        if not self.keywords:
            return None
        words = "|".join(re.escape(keyword) for keyword in self.keywords)
        return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)

    def matches(self, text: str) -> bool:
        """One of the keywords as a whole word or phrase (any case), or one of the patterns."""
        keywords = self.keyword_pattern
        if keywords is not None and keywords.search(text):
            return True
        return any(pattern.search(text) for pattern in self.compiled_patterns)


class ThemesConfig(Section):
    """How recurring flags are grouped into themes and routed to the teams that own them."""

    threshold: ThemeThreshold = Field(default_factory=ThemeThreshold)
    similarity: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    rules: tuple[RoutingRule, ...] = ()
    # Who may set a routed theme's status: people in its owner channel, or anyone.
    who: Literal["owner-channel", "anyone"] = "owner-channel"
    # A routed theme nobody acknowledged within this (business time) is nudged once in its
    # thread; off: never.
    nudge_after: DurationOrOff = timedelta(days=2)
    # An escalation like an open one raised this recently joins it (one post); off: never.
    coalesce_within: DurationOrOff = timedelta(minutes=30)

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        rules = data.get("rules")
        if not isinstance(rules, list | tuple):
            return []
        first_index: dict[str, int] = {}
        problems: list[tuple[Loc, str]] = []
        for index, rule in enumerate(rules):
            written = rule.get("name") if isinstance(rule, dict) else getattr(rule, "name", None)
            try:
                name = rule_name(written)
            except ValueError:
                continue  # the rule's own validation says what is wrong with it
            if name in first_index:
                problems.append(
                    (
                        ("rules", index, "name"),
                        f"{name!r} is already the name of rules[{first_index[name]}]; "
                        "rule names must be unique",
                    )
                )
            first_index.setdefault(name, index)
        return problems

    def rule_for(self, text: str) -> RoutingRule | None:
        """The first rule, in the order written, that the text matches."""
        return next((rule for rule in self.rules if rule.matches(text)), None)

    def rule_named(self, name: str) -> RoutingRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def threshold_for(self, rule: RoutingRule | None) -> ThemeThreshold:
        """The rule's own threshold, else the general one."""
        if rule is not None and rule.threshold is not None:
            return rule.threshold
        return self.threshold
