-- Lantern for Neovim 0.11+: put this in your init.lua (or source it from there).
-- Needs `lantern` on PATH (`pipx install /path/to/lantern` from a checkout; it is not on
-- PyPI), or a venv's bin/ on PATH;
-- otherwise set cmd = { '/path/to/python', '-m', 'lantern', 'serve' }.
vim.lsp.config('lantern', {
  cmd = { 'lantern', 'serve' },
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java',
  },
  root_markers = {
    'pyproject.toml', 'lantern.toml', 'package.json', 'go.mod', 'Cargo.toml', 'pom.xml', 'build.gradle', '.git',
  },
  -- Served to the server as the `lantern` section of workspace/configuration. Anything left
  -- out falls back to the project's pyproject.toml [tool.lantern] / lantern.toml, then defaults.
  settings = {
    lantern = {
      diagnostics = { runOn = 'type' }, -- or 'save'
      -- rules = { ignore = { 'LP301' }, severity = { LS103 = 'error' } },
      -- ai = {
      --   providers = {
      --     { name = 'local', baseUrl = 'http://localhost:11434/v1', model = 'qwen2.5-coder:7b' },
      --     { name = 'openai', baseUrl = 'https://api.openai.com/v1', model = 'gpt-4.1', apiKeyEnv = 'OPENAI_API_KEY' },
      --   },
      -- },
    },
  },
  on_attach = function(client, bufnr)
    -- :LanternGenerate, :LanternExplain, :LanternFix, :LanternFixAll, ... (lua/lantern_commands.lua, optional)
    local ok, commands = pcall(require, 'lantern_commands')
    if ok then
      commands.attach(client, bufnr)
    end
  end,
})
vim.lsp.enable('lantern')
