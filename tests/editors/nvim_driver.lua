-- Run by test_real_editors.py in `nvim --headless --clean`: load a shipped Lantern config, open
-- each sample file, wait (polling, bounded) for Lantern's diagnostic on the expected line,
-- ask for code actions there as the editor would, then run the config's commands as a user
-- would (:LanternFixAll, :LanternExplain, :LanternFix, :LanternGenerate) against the real
-- server and its loopback model, and write what the editor showed and held as JSON.
local files = vim.fn.json_decode(os.getenv('LANTERN_TEST_FILES'))
local out = os.getenv('LANTERN_TEST_OUT')
local timeout = tonumber(os.getenv('LANTERN_TEST_WAIT_MS'))
local result = { files = {}, messages = {}, notifications = {}, errors = {} }

-- Every window/showMessage the server sends: a warning means the config was not accepted.
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
  table.insert(result.messages, { type = params.type, message = params.message })
  return show_message(err, params, ctx, config)
end

-- Everything the config tells the user.
vim.notify = function(message, level)
  table.insert(result.notifications, { message = message, level = level or vim.log.levels.INFO })
end

local function lantern_diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'lantern' or d.source == 'lantern-ai' then
      table.insert(found, { line = d.lnum, code = d.code or vim.NIL, message = d.message, source = d.source })
    end
  end
  return found
end

local function on_line(diagnostics, line, source)
  for _, d in ipairs(diagnostics) do
    if d.line == line and d.source == source then
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

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
end

-- The text of the floating window the config opened, or nil.
local function floating_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      return buffer_text(vim.api.nvim_win_get_buf(win))
    end
  end
end

local function close_floats()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      vim.api.nvim_win_close(win, true)
    end
  end
end

local function notified_since(count, pattern)
  for index = count + 1, #result.notifications do
    if result.notifications[index].message:find(pattern, 1, true) then
      return result.notifications[index]
    end
  end
end

-- Record each workspace/executeCommand the config sends, and let it through.
local function record_requests(sent)
  for _, client in pairs(vim.lsp.get_active_clients()) do
    local send = client.request
    client.request = function(method, params, ...)
      if method == 'workspace/executeCommand' then
        table.insert(sent, { method = method, params = params })
      end
      return send(method, params, ...)
    end
  end
end

local function focus(path, row, col)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  vim.api.nvim_win_set_cursor(0, { row, col })
  return vim.api.nvim_get_current_buf()
end

-- The user's session: each step waits (bounded) for what the user would see.
local function exercise(by_role)
  local session = { sent = {} }
  record_requests(session.sent)

  -- Fix all: the server applies the safe fixes through workspace/applyEdit.
  local bufnr = focus(by_role.fix_all.path, 1, 0)
  local before = #result.notifications
  vim.cmd('LanternFixAll')
  vim.wait(timeout, function() return buffer_text(bufnr):find('is None', 1, true) ~= nil end, 20)
  vim.wait(timeout, function() return notified_since(before, 'Lantern: ') ~= nil end, 20)
  session.fix_all = { text = buffer_text(bufnr), notification = notified_since(before, 'Lantern: ') or vim.NIL }

  -- Explain lines 1-3: the markdown appears in a floating window.
  bufnr = focus(by_role.ai.path, 1, 0)
  vim.cmd('1,3LanternExplain')
  vim.wait(timeout, function() return floating_text() ~= nil end, 20)
  session.explain = floating_text() or vim.NIL
  close_floats()

  -- Fix the AI finding on line 2: the buffer holds the model's rewrite.
  vim.api.nvim_win_set_cursor(0, { 2, 4 })
  before = #result.notifications
  vim.cmd('LanternFix')
  vim.wait(timeout, function() return buffer_text(bufnr):find('checked(', 1, true) ~= nil end, 20)
  vim.wait(timeout, function() return notified_since(before, 'Lantern: ') ~= nil end, 20)
  session.fix = { text = buffer_text(bufnr), notification = notified_since(before, 'Lantern: ') or vim.NIL }

  -- Fix again: nothing left to change, so the server answers {"error": ...}.
  before = #result.notifications
  vim.cmd('LanternFix')
  vim.wait(timeout, function() return notified_since(before, 'Lantern') ~= nil end, 20)
  session.fix_again = { text = buffer_text(bufnr), notification = notified_since(before, 'Lantern') or vim.NIL }

  -- Generate a function on the blank line 4, then tests (new files), choosing the kind as the
  -- user would.
  local select_ui, wanted = vim.ui.select, 'function'
  vim.ui.select = function(items, opts, on_choice)
    session.kinds = vim.tbl_map(function(item) return item.kind end, items)
    session.kind_labels = vim.tbl_map(opts.format_item, items)
    for _, item in ipairs(items) do
      if item.kind == wanted then
        on_choice(item)
      end
    end
  end
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  vim.cmd('LanternGenerate totals per month')
  vim.wait(timeout, function() return buffer_text(bufnr):find('return 42', 1, true) ~= nil end, 20)
  session.generate = { text = buffer_text(bufnr) }
  wanted = 'tests'
  vim.cmd('LanternGenerate cover load')
  local function test_buffers()
    local found = {}
    for _, other in ipairs(vim.api.nvim_list_bufs()) do
      local name = vim.api.nvim_buf_get_name(other)
      if vim.fn.fnamemodify(name, ':t'):find('^test_') and buffer_text(other):find('def test_', 1, true) then
        table.insert(found, { path = name, text = buffer_text(other) })
      end
    end
    return found
  end
  vim.wait(timeout, function() return #test_buffers() > 0 end, 20)
  vim.ui.select = select_ui
  session.generate_tests = test_buffers()
  return session
end

local function run()
  vim.opt.runtimepath:prepend(os.getenv('LANTERN_NVIM_RTP'))
  -- Record each lantern/status the module's handler receives, and the statusline it gives.
  local commands = require('lantern_commands')
  local on_status = vim.lsp.handlers['lantern/status']
  result.statuses = {}
  vim.lsp.handlers['lantern/status'] = function(err, params, ...)
    on_status(err, params, ...)
    table.insert(result.statuses, { state = params.state, statusline = commands.statusline() })
  end
  dofile(os.getenv('LANTERN_NVIM_CONFIG'))
  local by_role = {}
  for _, file in ipairs(files) do
    vim.cmd('edit ' .. vim.fn.fnameescape(file.path))
    local bufnr = vim.api.nvim_get_current_buf()
    local attached = vim.wait(timeout, function()
      return next(vim.lsp.buf_get_clients(bufnr)) ~= nil
    end, 20)
    vim.wait(timeout, function()
      return on_line(lantern_diagnostics(bufnr), file.line, file.source)
    end, 20)
    local entry = {
      attached = attached,
      code_action_provider = offers_code_actions(bufnr),
      diagnostics = lantern_diagnostics(bufnr),
      commands = {},
      actions = {},
    }
    if on_line(entry.diagnostics, file.line, file.source) then
      entry.actions = code_action_titles(bufnr, file.line)
    end
    for _, name in ipairs({ 'LanternGenerate', 'LanternExplain', 'LanternFix', 'LanternFixAll', 'LanternStatus' }) do
      if vim.fn.exists(':' .. name) == 2 then
        table.insert(entry.commands, name)
      end
    end
    result.files[file.path] = entry
    if file.role ~= vim.NIL then
      by_role[file.role] = file
    end
  end
  result.session = exercise(by_role)
  vim.wait(timeout, function() return commands.status.state == 'idle' end, 20)
  result.final_statusline = commands.statusline()
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  table.insert(result.errors, tostring(err))
end
vim.fn.writefile({ vim.fn.json_encode(result) }, out)
vim.lsp.stop_client(vim.lsp.get_active_clients(), true)
vim.cmd('qall!')
