-- Neovim 0.7 (Debian 12) lacks vim.lsp.start, which the shipped 0.8-0.10 config calls.
-- This is the same behaviour built from 0.7's start_client + buf_attach_client: reuse a
-- client with the same name and root, else start one, and attach the current buffer.
vim.lsp.start = function(config)
  local bufnr = vim.api.nvim_get_current_buf()
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
