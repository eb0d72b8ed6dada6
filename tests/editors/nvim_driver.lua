-- Run by test_real_editors.py in `nvim --headless --clean`: load a shipped Lantern config, open
-- each sample file, wait (polling, bounded) for Lantern's diagnostic on the expected line,
-- ask for code actions there as the editor would, and write what was seen as JSON.
local files = vim.fn.json_decode(os.getenv('LANTERN_TEST_FILES'))
local out = os.getenv('LANTERN_TEST_OUT')
local timeout = tonumber(os.getenv('LANTERN_TEST_WAIT_MS'))
local result = { files = {}, messages = {}, errors = {} }

-- Every window/showMessage the server sends: a warning means the config was not accepted.
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
  table.insert(result.messages, { type = params.type, message = params.message })
  return show_message(err, params, ctx, config)
end

local function lantern_diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'lantern' then
      table.insert(found, { line = d.lnum, code = d.code or vim.NIL, message = d.message })
    end
  end
  return found
end

local function on_line(diagnostics, line)
  for _, d in ipairs(diagnostics) do
    if d.line == line then
      return true
    end
  end
  return false
end

local function offers_code_actions(bufnr)
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if (client.server_capabilities or {}).codeActionProvider then
      return true
    end
  end
  return false
end

local function code_action_titles(bufnr, line)
  -- Without a provider 0.7 never answers the request: do not wait for it.
  if not offers_code_actions(bufnr) then
    return {}
  end
  local text = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1] or ''
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = #text } },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, line) },
  }
  local titles = {}
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, timeout) or {}
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do
      table.insert(titles, action.title)
    end
  end
  return titles
end

-- Run :LanternFixAll against the real server (answering 0.7's menu with its first entry)
-- and return the line once the edit has landed.
local function fix_all(bufnr, line)
  local select_ui = vim.ui.select
  vim.ui.select = function(items, _, on_choice)
    on_choice(items[1], 1)
  end
  local before = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
  vim.cmd('LanternFixAll')
  vim.wait(timeout, function()
    return vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1] ~= before
  end, 20)
  vim.ui.select = select_ui
  return vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
end

-- Run the config's :LanternGenerate / :LanternExplain / :LanternFix in `bufnr` with the
-- client pretending to offer every command, and record the requests instead of sending
-- them: the AI commands are not in the server yet, their argument shapes are.
local function exercise_commands(bufnr)
  local client = select(2, next(vim.lsp.buf_get_clients(bufnr)))
  local capabilities, request = client.server_capabilities, client.request
  local sent = {}
  client.server_capabilities = vim.tbl_extend('force', capabilities, {
    executeCommandProvider = { commands = { 'lantern.generate', 'lantern.explain', 'lantern.fix' } },
  })
  client.request = function(method, params)
    table.insert(sent, { method = method, params = params })
    return true, 1
  end
  local select_ui = vim.ui.select
  vim.ui.select = function(_, _, on_choice)
    on_choice('function')
  end
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  local ok, err = pcall(function()
    vim.cmd('LanternGenerate totals per month')
    vim.cmd('1,2LanternExplain')
    vim.cmd('LanternFix')
  end)
  client.server_capabilities, client.request, vim.ui.select = capabilities, request, select_ui
  if not ok then
    table.insert(result.errors, 'running the commands: ' .. tostring(err))
  end
  return sent
end

local function run()
  vim.opt.runtimepath:prepend(os.getenv('LANTERN_NVIM_RTP'))
  dofile(os.getenv('LANTERN_NVIM_CONFIG'))
  for _, file in ipairs(files) do
    vim.cmd('edit ' .. vim.fn.fnameescape(file.path))
    local bufnr = vim.api.nvim_get_current_buf()
    local attached = vim.wait(timeout, function()
      return next(vim.lsp.buf_get_clients(bufnr)) ~= nil
    end, 20)
    vim.wait(timeout, function()
      return on_line(lantern_diagnostics(bufnr), file.line)
    end, 20)
    local entry = {
      attached = attached,
      code_action_provider = offers_code_actions(bufnr),
      diagnostics = lantern_diagnostics(bufnr),
      commands = {},
      actions = {},
    }
    if on_line(entry.diagnostics, file.line) then
      entry.actions = code_action_titles(bufnr, file.line)
    end
    for _, name in ipairs({ 'LanternFixAll', 'LanternGenerate', 'LanternExplain', 'LanternFix', 'LanternStatus' }) do
      if vim.fn.exists(':' .. name) == 2 then
        table.insert(entry.commands, name)
      end
    end
    result.files[file.path] = entry
    if file.exercise and vim.fn.exists(':LanternFixAll') == 2 then
      entry.fixed_all = fix_all(bufnr, file.line)
    end
    if file.exercise then
      result.sent = exercise_commands(bufnr)
    end
  end
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  table.insert(result.errors, tostring(err))
end
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.lsp.stop_client(vim.lsp.get_active_clients(), true)
vim.cmd('qall!')
