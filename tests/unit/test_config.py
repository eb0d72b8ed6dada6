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


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("lantern.toml", "[diagnostics\n", 1),
        ("lantern.toml", "log_level = 'debug'\nrules = {\n", 2),
        ("pyproject.toml", "[tool.lantern]\nlog_level = 'debug'\nlog_level = 'info'\n", 3),
    ],
)
def test_broken_toml_is_reported_with_file_and_line(
    tmp_path: Path, name: str, text: str, line: int
):
    (tmp_path / name).write_text(text)
    layers = file_layers(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    settings, warnings = settings_from(*layers)
    assert settings.diagnostics.enabled
    (warning,) = warnings
    assert str(tmp_path / name) in warning and f"line {line}," in warning


def test_lantern_config_naming_a_missing_file_is_reported(tmp_path: Path):
    missing = tmp_path / "nowhere" / "config.toml"
    settings, warnings = settings_from(*file_layers(None, {"LANTERN_CONFIG": str(missing)}))
    assert settings.log_level == "info"
    (warning,) = warnings
    assert "LANTERN_CONFIG" in warning and str(missing) in warning


SECTIONS = ["ai", "rules", "diagnostics", "cache", "ai.providers", "rules.severity", "ai.routing"]
ODD_VALUES = [None, False, True, 0, "off", [], [1, "x"], {"x": {"y": None}}]


def nested(dotted: str, value: object) -> dict[str, object]:
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_a_section_of_any_shape_from_the_client_falls_back_to_its_default(section, value):
    from lantern.config import Settings

    everything_but_providers = {"ai": {"providers"}}
    default = Settings().model_dump(exclude=everything_but_providers)
    env = {"LANTERN_AI_BASE_URL": "http://127.0.0.1:1/v1", "LANTERN_AI_MODEL": "m"}
    for layer in (
        lsp_layer("initializationOptions", nested(section, value)),
        lsp_layer("workspace/configuration", {"lantern": nested(section, value)}),
    ):
        settings, warnings = settings_from(layer, env=env)
        assert settings.model_dump(exclude=everything_but_providers) == default
        assert [p.name for p in settings.ai.providers] == ["env"]  # the environment still counts
        assert all(f"`{section}" in w for w in warnings), warnings
        assert len(warnings) <= 2


@pytest.mark.parametrize(
    ("toml", "key", "used"),
    [
        ("ai = false", "ai", "the default"),
        ("ai = 'off'", "ai", "the default"),
        ("ai = []", "ai", "the default"),
        ("rules = 3", "rules", "the default"),
        ("diagnostics = [1]", "diagnostics", "the default"),
        ("[ai]\nproviders = 'x'", "ai.providers", "[]"),
    ],
)
def test_a_section_of_any_shape_in_a_toml_file_is_reported_by_name(
    tmp_path: Path, toml: str, key: str, used: str
):
    (tmp_path / "lantern.toml").write_text(toml + "\n")
    settings, warnings = settings_from(*file_layers(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path)}))
    (warning,) = warnings
    assert warning.startswith(f"Invalid setting `{key}` = ")
    assert warning.endswith(f"; using {used} instead.")
    assert settings.diagnostics.enabled and settings.ai.enabled


def test_configuration_reference_shows_a_default_or_required_for_every_key():
    from lantern.commands.config import reference

    rows = [line for line in reference().splitlines() if line.startswith("| `")]
    assert len(rows) > 30
    assert not [row for row in rows if "Undefined" in row]
    required = [row.split("`")[1] for row in rows if "| required |" in row]
    assert required == ["ai.providers[].name", "ai.providers[].base_url", "ai.providers[].model"]


def test_each_file_takes_the_nearest_project_settings(tmp_path: Path):
    from lantern.config import project_directory, project_layers

    (tmp_path / "lantern.toml").write_text("log_level = 'debug'\n")
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert project_directory(sub) == tmp_path  # a pyproject.toml without [tool.lantern]
    (tmp_path / "pkg" / "pyproject.toml").write_text("[tool.lantern]\nlog_level = 'error'\n")
    assert project_directory(sub) == tmp_path / "pkg"
    settings, _ = settings_from(*project_layers(sub))
    assert settings.log_level == "error"


class _ReadRecorder(dict[str, str]):
    """An environment that remembers which variables were looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def test_loading_reads_only_the_settings_environment_variables():
    from lantern.config_sources import SETTINGS_ENVIRONMENT

    every = {name: "http://127.0.0.1:1/v1" for name in SETTINGS_ENVIRONMENT}
    for values in ({}, every, {**every, "LANTERN_AI_API_KEY": "k"}):
        env = _ReadRecorder(values)
        load_settings([], env=env)
        # LANTERN_AI_API_KEY is read only once LANTERN_AI_BASE_URL and _MODEL are set.
        assert env.read <= {*SETTINGS_ENVIRONMENT, "LANTERN_AI_API_KEY"}


def test_nothing_configured_means_the_model_defaults_without_a_warning(tmp_path: Path):
    """What lets `lantern check` skip the settings model when `configured` is false."""
    from lantern.commands.check import ProjectSettings
    from lantern.config import Settings
    from lantern.config_sources import configured

    layers = file_layers(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert not configured(layers, NO_ENV)
    settings, warnings = settings_from(*layers)
    assert warnings == []
    assert settings.model_dump() == Settings().model_dump()
    assert ProjectSettings.of(settings) == ProjectSettings()


@pytest.mark.parametrize(
    ("toml", "env"),
    [
        ("[diagnostics]\nmax_file_size = 5\n", {}),
        ("exclude = []\n", {}),  # a value equal to the default still counts
        ("[diagnostics\n", {}),  # a broken file: its warning must be shown
        (None, {"LANTERN_AI_MODEL": "m"}),  # a warning: LANTERN_AI_BASE_URL is missing
        (None, {"LANTERN_CACHE_DIR": "/tmp/x"}),
    ],
)
def test_anything_configured_goes_through_the_model(tmp_path: Path, toml, env):
    from lantern.config_sources import configured

    if toml is not None:
        (tmp_path / "lantern.toml").write_text(toml)
    layers = file_layers(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert configured(layers, env)
