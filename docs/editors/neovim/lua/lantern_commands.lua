-- Lantern's commands for Neovim 0.8+. Copy to ~/.config/nvim/lua/lantern_commands.lua; the
-- Lantern configs call attach() for each buffer the server attaches to, which defines:
--   :LanternGenerate [description]   generate code at the cursor (asks for the kind)
--   :[range]LanternExplain           explain the lines in a floating window
--   :LanternFix                      fix the Lantern finding on the cursor's line with AI
--   :LanternAnalyzeFile  :LanternAnalyzeWorkspace  :LanternStatus  :LanternClearCache  :LanternHistory
-- Each command checks that the running server offers it (executeCommandProvider).
local M = {}

local GENERATE_KINDS = { 'code', 'function', 'class', 'tests', 'files' }

local function notify(message, level)
  vim.notify('Lantern: ' .. message, level or vim.log.levels.INFO)
end

-- client:request() from 0.11 on; client.request() before.
local function request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function lantern_client(bufnr)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr, name = 'lantern' })
    or vim.lsp.get_active_clients({ bufnr = bufnr, name = 'lantern' })
  for _, client in ipairs(clients) do
    if client.name == 'lantern' then
      return client
    end
  end
end

-- The commands this server advertises; a missing one gets a message, not an error.
function M.offers(client, command)
  local provider = (client.server_capabilities or {}).executeCommandProvider or {}
  return vim.tbl_contains(provider.commands or {}, command)
end

function M.execute(bufnr, command, arguments, on_result)
  local client = lantern_client(bufnr)
  if not client then
    notify('the server is not attached to this buffer', vim.log.levels.WARN)
    return
  end
  if not M.offers(client, command) then
    notify(command .. ' needs a newer Lantern server: pipx install --force /path/to/lantern', vim.log.levels.WARN)
    return
  end
  request(client, 'workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(command .. ' failed: ' .. tostring(err.message or err), vim.log.levels.ERROR)
    elseif on_result then
      on_result(result, client)
    end
  end, bufnr)
end

local function show_markdown(result)
  local text = result
  if type(result) == 'table' then
    text = result.markdown or result.value or result.contents or vim.inspect(result)
  end
  if text == nil or text == vim.NIL then
    return
  end
  vim.lsp.util.open_floating_preview(vim.split(tostring(text), '\n'), 'markdown', { border = 'rounded' })
end

-- generate/fix answer with nothing (the server applied a workspace/applyEdit), an edit,
-- text to insert, or files to create.
local function apply_result(result, client, bufnr, row, col)
  if result == nil or result == vim.NIL or result == true then
    return
  end
  if type(result) == 'string' then
    result = { text = result }
  end
  local edit = result.edit or result
  if edit.changes or edit.documentChanges then
    vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
  elseif type(result.text or result.code) == 'string' then
    vim.api.nvim_buf_set_text(bufnr, row, col, row, col, vim.split(result.text or result.code, '\n'))
  elseif type(result.files) == 'table' then
    for _, file in ipairs(result.files) do
      local path = vim.uri_to_fname(file.uri)
      vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
      vim.fn.writefile(vim.split(file.text, '\n'), path)
      vim.cmd('edit ' .. vim.fn.fnameescape(path))
    end
  else
    show_markdown(result)
  end
end

-- An LSP position for (0-based row, byte column) in the client's position encoding.
local function lsp_position(bufnr, client, row, col)
  return { line = row, character = vim.lsp.util.character_offset(bufnr, row, col, client.offset_encoding) }
end

-- Whole lines first..last (1-based, inclusive) as an LSP range.
local function line_range(bufnr, client, first, last)
  local text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1] or ''
  return { start = { line = first - 1, character = 0 }, ['end'] = lsp_position(bufnr, client, last - 1, #text) }
end

local function generate(bufnr, description)
  local client = lantern_client(bufnr)
  if not client then
    return notify('the server is not attached to this buffer', vim.log.levels.WARN)
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local position = lsp_position(bufnr, client, row, col)
  local function with_prompt(prompt)
    if not prompt or prompt == '' then
      return
    end
    vim.ui.select(GENERATE_KINDS, { prompt = 'Generate what?' }, function(kind)
      if kind then
        M.execute(bufnr, 'lantern.generate', { vim.uri_from_bufnr(bufnr), position, prompt, kind }, function(result, c)
          apply_result(result, c, bufnr, row, col)
        end)
      end
    end)
  end
  if description and description ~= '' then
    with_prompt(description)
  else
    vim.ui.input({ prompt = 'Describe the code to generate: ' }, with_prompt)
  end
end

local function explain(bufnr, first, last)
  local client = lantern_client(bufnr)
  if client then
    M.execute(bufnr, 'lantern.explain', { vim.uri_from_bufnr(bufnr), line_range(bufnr, client, first, last) }, show_markdown)
  end
end

local function fix(bufnr)
  local client = lantern_client(bufnr)
  if not client then
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local target = line_range(bufnr, client, row + 1, row + 1)
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = row })) do
    if d.source == 'lantern' then
      -- Before 0.10, user_data.lsp lacks the range and message: rebuild them.
      target = vim.tbl_extend('keep', (d.user_data or {}).lsp or {}, {
        range = { start = lsp_position(bufnr, client, d.lnum, d.col), ['end'] = lsp_position(bufnr, client, d.end_lnum, d.end_col) },
        message = d.message,
        source = d.source,
        code = d.code,
        severity = d.severity, -- vim.diagnostic.severity uses LSP's numbers
      })
      break
    end
  end
  M.execute(bufnr, 'lantern.fix', { vim.uri_from_bufnr(bufnr), target }, function(result, c)
    apply_result(result, c, bufnr, target.range and target.range.start.line or row, 0)
  end)
end

function M.attach(_, bufnr)
  local function define(name, fn, opts)
    vim.api.nvim_buf_create_user_command(bufnr, name, fn, opts or {})
  end
  define('LanternGenerate', function(opts) generate(bufnr, opts.args) end, { nargs = '*' })
  define('LanternExplain', function(opts) explain(bufnr, opts.line1, opts.line2) end, { range = true })
  define('LanternFix', function() fix(bufnr) end)
  define('LanternAnalyzeFile', function() M.execute(bufnr, 'lantern.analyzeFile', { vim.uri_from_bufnr(bufnr) }) end)
  define('LanternAnalyzeWorkspace', function() M.execute(bufnr, 'lantern.analyzeWorkspace', {}) end)
  define('LanternStatus', function() M.execute(bufnr, 'lantern.status', {}, show_markdown) end)
  define('LanternClearCache', function()
    M.execute(bufnr, 'lantern.clearCache', {}, function() notify('cache cleared') end)
  end)
  define('LanternHistory', function() M.execute(bufnr, 'lantern.history', {}, show_markdown) end)
end

return M
