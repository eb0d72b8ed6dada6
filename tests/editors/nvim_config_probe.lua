-- Run by test_configs.py: load the shipped Neovim 0.11+ config with vim.lsp.config and
-- vim.lsp.enable recorded instead of run (this machine's Neovim predates them), and write
-- the recorded call as JSON, so its structure can be checked against the server.
local recorded = { enabled = {} }
vim.lsp.config = function(name, config)
  recorded.name = name
  recorded.config = config
end
vim.lsp.enable = function(name)
  table.insert(recorded.enabled, name)
end
local ok, err = pcall(dofile, os.getenv('LANTERN_NVIM_CONFIG'))
local config = recorded.config or {}
local result = {
  error = ok and vim.NIL or tostring(err),
  name = recorded.name or vim.NIL,
  enabled = recorded.enabled,
  cmd = config.cmd or vim.NIL,
  filetypes = config.filetypes or vim.NIL,
  root_markers = config.root_markers or vim.NIL,
  settings = config.settings or vim.NIL,
  on_attach = type(config.on_attach),
}
vim.fn.writefile({ vim.fn.json_encode(result) }, os.getenv('LANTERN_TEST_OUT'))
vim.cmd('qall!')
