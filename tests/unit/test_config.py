"""Configuration: layered sources, key spellings, and invalid values that never stop the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.config import ConfigLayer, file_layers, load_settings, lsp_layer

NO_ENV: dict[str, str] = {}


def settings_from(*layers: ConfigLayer, env: dict[str, str] | None = None):
    return load_settings(list(layers), env=NO_ENV if env is None else env)


def test_defaults_are_documented_and_valid():
    settings, warnings = settings_from()
    assert warnings == []
    assert settings.diagnostics.debounce_ms == 100
    assert settings.diagnostics.max_file_size == 2_000_000
    assert settings.ai.enabled and settings.ai.providers == []


def test_each_source_overrides_the_one_before(tmp_path: Path):
    home, workspace = tmp_path / "home", tmp_path / "ws"
    (home / "lantern").mkdir(parents=True)
    workspace.mkdir()
    (home / "lantern" / "config.toml").write_text(
        "log_level = 'debug'\n[diagnostics]\ndebounce_ms = 10\nmax_file_size = 5\nrun_on = 'save'\n"
    )
    (workspace / "pyproject.toml").write_text(
        "[tool.lantern.diagnostics]\ndebounce-ms = 20\nmax-file-size = 6\n"
    )
    (workspace / "lantern.toml").write_text("[diagnostics]\nmaxFileSize = 7\n")
    env = {"XDG_CONFIG_HOME": str(home)}
    layers = file_layers(workspace, env)
    settings, warnings = settings_from(
        *layers,
        lsp_layer("initializationOptions", {"diagnostics": {"runOn": "type", "enabled": False}}),
        lsp_layer("workspace/configuration", {"lantern": {"diagnostics": {"enabled": True}}}),
        env=env,
    )
    assert warnings == []
    assert settings.log_level == "debug"  # user file only
    assert settings.diagnostics.debounce_ms == 20  # pyproject over user file
    assert settings.diagnostics.max_file_size == 7  # lantern.toml over pyproject
    assert settings.diagnostics.run_on == "type"  # initializationOptions over files
    assert settings.diagnostics.enabled is True  # workspace/configuration over everything


def test_lantern_config_replaces_the_user_file(tmp_path: Path):
    explicit = tmp_path / "mine.toml"
    explicit.write_text("[diagnostics]\ndebounce_ms = 42\n")
    settings, _ = settings_from(*file_layers(None, {"LANTERN_CONFIG": str(explicit)}))
    assert settings.diagnostics.debounce_ms == 42


def test_invalid_value_is_named_and_the_default_used():
    settings, warnings = settings_from(lsp_layer("init", {"diagnostics": {"debounceMs": -5}}))
    assert settings.diagnostics.debounce_ms == 100
    (warning,) = warnings
    assert "diagnostics.debounce_ms" in warning and "-5" in warning and "using 100" in warning


def test_invalid_value_falls_back_to_the_default_not_to_other_keys():
    settings, warnings = settings_from(
        lsp_layer("init", {"diagnostics": {"runOn": "sometimes", "debounceMs": 250}})
    )
    assert settings.diagnostics.run_on == "type"
    assert settings.diagnostics.debounce_ms == 250
    assert len(warnings) == 1 and "diagnostics.run_on" in warnings[0]


def test_unknown_keys_are_reported_and_ignored():
    settings, warnings = settings_from(
        lsp_layer("init", {"colour": "blue", "diagnostics": {"x": 1}})
    )
    assert sorted(warnings) == [
        "Unknown setting `colour` is ignored.",
        "Unknown setting `diagnostics.x` is ignored.",
    ]
    assert settings.diagnostics.enabled


def test_a_section_of_the_wrong_type_is_replaced_by_its_defaults():
    settings, warnings = settings_from(lsp_layer("init", {"diagnostics": "yes please"}))
    assert settings.diagnostics.debounce_ms == 100
    assert len(warnings) == 1 and "`diagnostics`" in warnings[0]


def test_an_invalid_provider_is_dropped_and_the_valid_one_kept():
    providers = [
        {"name": "bad", "baseUrl": "ftp://example", "model": "m"},
        {"name": "good", "baseUrl": "http://127.0.0.1:8080/v1", "model": "m"},
    ]
    settings, warnings = settings_from(lsp_layer("init", {"ai": {"providers": providers}}))
    assert [p.name for p in settings.ai.providers] == ["good"]
    assert len(warnings) == 1 and "ai.providers.0.base_url" in warnings[0]
    assert "ignored" in warnings[0]


def test_rule_codes_in_maps_keep_their_spelling():
    settings, warnings = settings_from(
        lsp_layer("init", {"rules": {"severity": {"LS101": "error", "lbX": "hint", "lb2": "hint"}}})
    )
    assert len(warnings) == 1 and "`lbX`" in warnings[0]
    assert set(settings.rules.severity) == {"LS101", "lb2"}


@pytest.mark.parametrize(
    "key,entry,closest",
    [
        ("select", "LB99x", "LB209"),
        ("extend_select", "LP3O1", "LP301"),
        ("ignore", "LS1O4", "LS104"),
        ("select", "AL", "ALL"),
    ],
)
def test_unknown_rule_codes_are_reported_by_name_with_the_closest_code(key, entry, closest):
    settings, warnings = settings_from(lsp_layer("init", {"rules": {key: ["LS", entry]}}))
    assert getattr(settings.rules, key) == ["LS"]
    assert len(warnings) == 1
    assert f"`{entry}`" in warnings[0] and f"did you mean `{closest}`?" in warnings[0]


def test_broken_toml_is_reported_not_raised(tmp_path: Path):
    (tmp_path / "lantern.toml").write_text("[diagnostics\n")
    layers = file_layers(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert any("unreadable" in layer.origin for layer in layers)
    settings, _ = settings_from(*layers)
    assert settings.diagnostics.enabled


def test_non_object_client_settings_count_as_empty():
    settings, warnings = settings_from(lsp_layer("workspace/configuration", None))
    assert warnings == [] and settings.diagnostics.enabled
    settings, warnings = settings_from(lsp_layer("workspace/configuration", [1, 2]))
    assert warnings == []


def test_ai_environment_shortcut_defines_the_first_provider():
    env = {
        "LANTERN_AI_BASE_URL": "http://127.0.0.1:11434/v1",
        "LANTERN_AI_MODEL": "qwen2.5-coder",
        "LANTERN_AI_API_KEY": "secret-value",
        "LANTERN_CACHE_DIR": "/tmp/lantern-cache",
    }
    provider = {"name": "other", "baseUrl": "http://127.0.0.1:9/v1", "model": "m"}
    settings, warnings = settings_from(
        lsp_layer("init", {"ai": {"providers": [provider]}}), env=env
    )
    assert warnings == []
    first = settings.ai.providers[0]
    assert (first.name, first.model, first.api_key_env) == (
        "env",
        "qwen2.5-coder",
        "LANTERN_AI_API_KEY",
    )
    assert "secret-value" not in repr(settings)  # the key itself is never stored
    assert settings.cache.dir == "/tmp/lantern-cache"


def test_ai_environment_shortcut_with_a_bad_url_warns_and_is_ignored():
    env = {"LANTERN_AI_BASE_URL": "localhost:11434", "LANTERN_AI_MODEL": "m"}
    settings, warnings = settings_from(env=env)
    assert [p.name for p in settings.ai.providers] == []
    assert len(warnings) == 1 and "LANTERN_AI_BASE_URL" in warnings[0]


def test_ai_environment_shortcut_needs_both_url_and_model():
    settings, warnings = settings_from(env={"LANTERN_AI_BASE_URL": "http://127.0.0.1:1/v1"})
    assert settings.ai.providers == []
    assert len(warnings) == 1 and "LANTERN_AI_MODEL" in warnings[0]


def test_configuration_reference_in_docs_is_current():
    from lantern.commands.config import reference

    documented = Path(__file__).parents[2] / "docs" / "configuration.md"
    assert documented.read_text() == reference(), (
        "docs/configuration.md is stale: run `lantern config reference > docs/configuration.md`"
    )
