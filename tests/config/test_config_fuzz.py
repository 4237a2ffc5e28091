"""Whatever text is in frontline.yml, loading it gives a config or a ConfigError — nothing else."""

from __future__ import annotations

import unicodedata
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import EXAMPLE_CONFIG, FrontlineConfig, parse_config
from bot.errors import ConfigError

KEYS = [
    *FrontlineConfig.model_fields,
    "slack", "teams", "console", "high", "normal", "low", "escalations", "triage",
    "support_leads", "ack_within", "update_every", "around_the_clock", "max_nudges", "group",
    "on_duty", "days", "start", "end", "words", "reactions", "who", "threshold", "similarity",
    "rules", "name", "keywords", "patterns", "owner", "flags", "distinct", "within",
    "url_template", "prefixes", "product", "flow", "day", "time", "ZD",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["15m", "1h30m", "mon", "funday", "09:00", "25:00", "(", "https://t/{ref}"]),
)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=30,
)


def load_or_config_error(text: str) -> FrontlineConfig | ConfigError:
    try:
        return parse_config(text)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError must say what is wrong"
        assert all(isinstance(problem, str) and problem for problem in exc.problems)
        return exc


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    outcome = load_or_config_error(text)

    assert isinstance(outcome, FrontlineConfig | ConfigError)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), YAML_VALUES, max_size=6))
def test_any_yaml_document_loads_or_raises_config_error(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)

    outcome = load_or_config_error(text)

    assert isinstance(outcome, FrontlineConfig | ConfigError)
    if isinstance(outcome, ConfigError):
        assert not any("Traceback" in problem for problem in outcome.problems)


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30))
def test_any_channel_name_loads_or_is_refused_with_its_path(name: str) -> None:
    text = yaml.safe_dump({"channels": {"slack": {"escalations": name}}}, allow_unicode=True)

    outcome = load_or_config_error(text)

    if isinstance(outcome, ConfigError):
        assert all(p.startswith("channels.slack.escalations: ") for p in outcome.problems)
    else:
        # YAML itself may fold line breaks such as U+0085, so check what the loader promises.
        channel = outcome.channels_for("slack").escalations
        assert channel and channel == channel.strip()
        assert not any(unicodedata.category(char) in ("Cc", "Cf") for char in channel)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(EXAMPLE_CONFIG) - 1),
            st.booleans(),
            st.characters(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_damaged_example_loads_or_raises_config_error(
    edits: list[tuple[int, bool, str]],
) -> None:
    text = EXAMPLE_CONFIG
    for position, delete, char in edits:
        at = min(position, len(text) - 1)
        text = text[:at] + text[at + 1 :] if delete else text[:at] + char + text[at:]

    outcome = load_or_config_error(text)

    assert isinstance(outcome, FrontlineConfig | ConfigError)
