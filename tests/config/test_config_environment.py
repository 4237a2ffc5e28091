"""Environment variables: read from a given mapping, blanks unset, secrets masked."""

from __future__ import annotations

import pytest

from bot.config import Environment, load_environment
from bot.errors import ConfigError

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-very-secret-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "SLACK_APP_TOKEN": "xapp-secret-app-token",
    "MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555",
    "MICROSOFT_APP_PASSWORD": "teams-client-secret",
    "DATABASE_URL": "postgresql+asyncpg://frontline:db-password@db:5432/frontline",
}


def test_reads_every_variable_from_the_given_mapping() -> None:
    env = Environment.from_environ(
        {
            **SECRETS,
            "SLACK_API_URL": "http://127.0.0.1:8123/api",
            "MICROSOFT_APP_TENANT_ID": "tenant-1",
            "MICROSOFT_APP_TYPE": "singletenant",
            "FRONTLINE_CONFIG": "/etc/frontline.yml",
            "FRONTLINE_HOST": "0.0.0.0",
            "FRONTLINE_PORT": "8080",
            "FRONTLINE_LOG_LEVEL": "debug",
        }
    )

    assert env.slack_bot_token is not None
    assert env.slack_bot_token.get_secret_value() == "xoxb-very-secret-bot-token"
    assert env.slack_app_token is not None
    assert env.socket_mode and env.slack_configured
    assert env.slack_api_url == "http://127.0.0.1:8123/api/"
    assert env.microsoft_app_type == "SingleTenant"
    assert env.microsoft_app_tenant_id == "tenant-1"
    assert env.database_url == SECRETS["DATABASE_URL"]
    assert env.frontline_config == "/etc/frontline.yml"
    assert (env.frontline_host, env.frontline_port) == ("0.0.0.0", 8080)
    assert env.frontline_log_level == "DEBUG"


def test_defaults_when_nothing_is_set() -> None:
    env = Environment.from_environ({})

    assert env.slack_bot_token is None
    assert env.microsoft_app_id is None
    assert env.database_url is None
    assert env.frontline_config == "frontline.yml"
    assert (env.frontline_host, env.frontline_port) == ("127.0.0.1", 3000)
    assert env.frontline_log_level == "INFO"
    assert not env.slack_configured and not env.socket_mode


def test_secrets_are_masked_in_repr_and_str() -> None:
    env = Environment.from_environ(SECRETS)

    for shown in (repr(env), str(env)):
        for secret in (
            "xoxb-very-secret-bot-token",
            "signing-secret-value",
            "xapp-secret-app-token",
            "teams-client-secret",
            "db-password",
        ):
            assert secret not in shown
    assert "postgresql+asyncpg://frontline:***@db:5432/frontline" in repr(env)
    assert "microsoft_app_id='11111111-2222-3333-4444-555555555555'" in repr(env)  # not secret


def test_empty_and_blank_variables_count_as_unset() -> None:
    env = Environment.from_environ(
        {"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "   ", "FRONTLINE_PORT": "", "DATABASE_URL": ""}
    )

    assert env.slack_bot_token is None
    assert env.slack_app_token is None
    assert env.frontline_port == 3000
    assert env.database_url is None


def test_the_given_mapping_replaces_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-real-environment")
    monkeypatch.setenv("FRONTLINE_PORT", "4000")

    assert Environment.from_environ({}).slack_bot_token is None
    assert Environment.from_environ({}).frontline_port == 3000
    assert Environment().frontline_port == 4000
    assert Environment.from_environ(None).frontline_port == 4000


def test_a_dotenv_file_is_not_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(str(tmp_path))
    with open(".env", "w", encoding="utf-8") as stream:
        stream.write("FRONTLINE_PORT=5555\n")

    assert Environment.from_environ({}).frontline_port == 3000


def test_environment_is_frozen() -> None:
    env = Environment.from_environ({})

    with pytest.raises(ValueError, match="frozen"):
        env.frontline_port = 1


def test_invalid_values_name_their_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        load_environment(
            {
                "MICROSOFT_APP_TYPE": "Multi",
                "FRONTLINE_PORT": "eighty",
                "FRONTLINE_LOG_LEVEL": "chatty",
                "SLACK_API_URL": "slack.com/api",
            }
        )

    assert caught.value.source == "environment"
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "SLACK_API_URL",
        "MICROSOFT_APP_TYPE",
        "FRONTLINE_PORT",
        "FRONTLINE_LOG_LEVEL",
    ]
    assert "expected MultiTenant, SingleTenant or UserAssignedMSI" in caught.value.problems[1]


def test_port_out_of_range() -> None:
    with pytest.raises(ConfigError, match="FRONTLINE_PORT: must be at most 65535"):
        load_environment({"FRONTLINE_PORT": "70000"})


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": "a"}, "MICROSOFT_APP_PASSWORD"),
        (
            {
                "MICROSOFT_APP_ID": "a",
                "MICROSOFT_APP_PASSWORD": "p",
                "MICROSOFT_APP_TYPE": "SingleTenant",
            },
            "MICROSOFT_APP_TENANT_ID",
        ),
    ],
)
def test_combinations_that_cannot_work(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_environment(environ)

    assert [problem.split(":")[0] for problem in caught.value.problems] == [missing]


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"},
        {"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_TYPE": "UserAssignedMSI"},
        {"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_PASSWORD": "p"},
    ],
)
def test_workable_combinations(environ: dict[str, str]) -> None:
    assert load_environment(environ).problems() == []
