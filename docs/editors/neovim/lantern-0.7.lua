-- Lantern for Neovim 0.7 to 0.10 (Debian 12 ships 0.7.2; it also runs on 0.11): put this in
-- your init.lua (or source it from there).
-- Needs `lantern` on PATH (`pipx install /path/to/lantern` from a checkout; it is not on
-- PyPI), or a venv's bin/ on PATH;
-- otherwise set cmd = { '/path/to/python', '-m', 'lantern', 'serve' }.
local filetypes = {
  'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java',
}
local root_markers = {
  'pyproject.toml', 'lantern.toml', 'package.json', 'go.mod', 'Cargo.toml', 'pom.xml', 'build.gradle', '.git',
}

-- The nearest directory above `path` holding one of the markers; nil when there is none.
local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    for _, marker in ipairs(root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

-- vim.lsp.start arrived in 0.8; on 0.7 do what it does: reuse the client with this name and
-- root, else start one, then attach the buffer.
local function start(config, bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config)
  end
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == config.name and client.config.root_dir == config.root_dir then
      vim.lsp.buf_attach_client(bufnr, client.id)
      return client.id
    end
  end
  local id = vim.lsp.start_client(config)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = filetypes,
  group = vim.api.nvim_create_augroup('lantern', { clear = true }),
  callback = function(args)
    local path = vim.api.nvim_buf_get_name(args.buf)
    if path == '' then
      return
    end
    start({
      name = 'lantern',
      cmd = { 'lantern', 'serve' },
      root_dir = find_root(path) or vim.fn.fnamemodify(path, ':p:h'),
      -- Served to the server as the `lantern` section of workspace/configuration.
      settings = {
        lantern = {
          diagnostics = { runOn = 'type' }, -- or 'save'
          -- rules = { ignore = { 'LP301' }, severity = { LS103 = 'error' } },
          -- ai = { providers = { { name = 'local', baseUrl = 'http://localhost:11434/v1', model = 'qwen2.5-coder:7b' } } },
        },
      },
      on_attach = function(client, bufnr)
        -- :LanternGenerate, :LanternExplain, :LanternFix, :LanternFixAll, ... (lua/lantern_commands.lua, optional)
        local ok, commands = pcall(require, 'lantern_commands')
        if ok then
          commands.attach(client, bufnr)
        end
      end,
    }, args.buf)
  end,
})
