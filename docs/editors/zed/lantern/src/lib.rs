//! Starts `lantern serve` for Zed and hands it the user's `lsp.lantern` settings.
//!
//! The command is `lsp.lantern.binary.path` / `.arguments` from Zed's settings when set,
//! else `lantern serve` found on the worktree's PATH.
use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

struct Lantern;

impl zed::Extension for Lantern {
    fn new() -> Self {
        Lantern
    }

    fn language_server_command(
        &mut self,
        server: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(server.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let command = binary
            .as_ref()
            .and_then(|binary| binary.path.clone())
            .or_else(|| worktree.which("lantern"))
            .ok_or_else(|| {
                "`lantern` is not on PATH: run `pipx install /path/to/lantern` (a checkout; Lantern is not on PyPI), or set \
                 lsp.lantern.binary.path to a Python and arguments to [\"-m\", \"lantern\", \"serve\"]"
                    .to_string()
            })?;
        let args = binary
            .and_then(|binary| binary.arguments)
            .unwrap_or_else(|| vec!["serve".to_string()]);
        Ok(zed::Command {
            command,
            args,
            env: worktree.shell_env(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        server: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(server.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.initialization_options))
    }

    // Zed answers workspace/configuration by section, so the settings go under `lantern`.
    fn language_server_workspace_configuration(
        &mut self,
        server: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        let settings = LspSettings::for_worktree(server.as_ref(), worktree)
            .ok()
            .and_then(|settings| settings.settings)
            .unwrap_or_default();
        Ok(Some(serde_json::json!({ "lantern": settings })))
    }
}

zed::register_extension!(Lantern);
