-- Lantern's commands for Neovim 0.8+ (0.7 works too). Copy to ~/.config/nvim/lua/lantern_commands.lua; the
-- Lantern configs call attach() for each buffer the server attaches to, which defines:
--   :LanternGenerate [description]   generate at the cursor (asks for the description and kind)
--   :[range]LanternExplain           explain the lines in a floating window
--   :[range]LanternFix               fix the finding on the cursor's line (or the lines) with AI
--   :LanternFixAll                   apply every safe static fix in the file
--   :LanternAnalyzeFile  :LanternAnalyzeWorkspace  :LanternStatus  :LanternClearCache  :LanternHistory
-- and require('lantern_commands').statusline() for your statusline (the server's AI status).
-- Each command checks that the running server offers it (executeCommandProvider), shows the
-- server's error message when it answers {"error": ...}, and its summary after an edit.
local M = {}

-- What lantern.generate can write; `files`, `api`, `ui` and `cli` create new files.
M.GENERATE_KINDS = {
  { kind = 'code', label = 'Code at the cursor' },
  { kind = 'function', label = 'Function' },
  { kind = 'class', label = 'Class' },
  { kind = 'docs', label = 'Docstring / doc comment' },
  { kind = 'tests', label = 'Tests (a new test file)' },
  { kind = 'files', label = 'New files' },
  { kind = 'api', label = 'HTTP API handler' },
  { kind = 'ui', label = 'UI component' },
  { kind = 'cli', label = 'Command-line tool' },
}

local function notify(message, level)
  -- The server's own messages already start with "Lantern".
  if message:sub(1, 7) ~= 'Lantern' then
    message = 'Lantern: ' .. message
  end
  vim.notify(message, level or vim.log.levels.INFO)
end

local function present(value)
  return value ~= nil and value ~= vim.NIL
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
    or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(clients) do
    if client.name == 'lantern' then
      return client
    end
  end
end

-- Lantern's client for `bufnr`, or nil after saying it is not attached.
local function attached(bufnr)
  local client = lantern_client(bufnr)
  if not client then
    notify('the server is not attached to this buffer', vim.log.levels.WARN)
  end
  return client
end

-- The commands this server advertises; a missing one gets a message, not an error.
function M.offers(client, command)
  local provider = (client.server_capabilities or {}).executeCommandProvider or {}
  return vim.tbl_contains(provider.commands or {}, command)
end

-- Run `command`; `on_result(result, client)` gets the answer unless it is {"error": ...},
-- which is shown instead.
function M.execute(bufnr, command, arguments, on_result)
  local client = attached(bufnr)
  if not client then
    return
  end
  if not M.offers(client, command) then
    notify(command .. ' needs a newer Lantern server: pipx install --force /path/to/lantern', vim.log.levels.WARN)
    return
  end
  request(client, 'workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(command .. ' failed: ' .. tostring(err.message or err), vim.log.levels.ERROR)
    elseif type(result) == 'table' and present(result.error) then
      notify(tostring(result.error), vim.log.levels.WARN)
    elseif on_result then
      on_result(result, client)
    end
  end, bufnr)
end

local function show_markdown(result)
  local text = type(result) == 'table' and result.markdown or result
  if not present(text) then
    return
  end
  vim.lsp.util.open_floating_preview(vim.split(tostring(text), '\n'), 'markdown', { border = 'rounded' })
end

local function show_summary(result, level)
  if type(result) == 'table' and present(result.summary) and result.summary ~= '' then
    notify(result.summary, level)
  elseif type(result) == 'string' then
    notify(result, level)
  end
end

-- As an on_result callback (which also gets the client).
local function summarize(result)
  show_summary(result)
end

-- Files the server could not create itself (the client lacks resource operations): write
-- each, never over an existing file, and open the first.
local function write_files(files)
  local opened = false
  for _, file in ipairs(files) do
    local path = vim.uri_to_fname(file.uri)
    if vim.loop.fs_stat(path) then
      notify(path .. ' exists; not overwritten', vim.log.levels.WARN)
    else
      vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
      vim.fn.writefile(vim.split(file.text, '\n', true), path)
      if not opened then
        vim.cmd('edit ' .. vim.fn.fnameescape(path))
        opened = true
      end
    end
  end
end

-- The files an edit creates, with their folders made first (Neovim before 0.10 does not).
local function prepare_created_files(edit)
  local paths = {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.kind == 'create' then
      local path = vim.uri_to_fname(change.uri)
      vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
      table.insert(paths, path)
    end
  end
  return paths
end

-- generate and fix answer {"edit", "summary"} (or {"files", "summary"}): apply, then say what
-- changed.
local function apply_result(result, client)
  if type(result) ~= 'table' then
    return
  end
  if type(result.edit) == 'table' then
    local created = prepare_created_files(result.edit)
    vim.lsp.util.apply_workspace_edit(result.edit, client.offset_encoding)
    if created[1] then
      vim.cmd('edit ' .. vim.fn.fnameescape(created[1]))
    end
  elseif type(result.files) == 'table' then
    write_files(result.files)
  end
  -- The summary names any new problems the AI's fix introduces: worth a warning.
  local risky = present(result.newProblems) and result.newProblems > 0
  show_summary(result, risky and vim.log.levels.WARN or nil)
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
  local client = attached(bufnr)
  if not client then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local position = lsp_position(bufnr, client, cursor[1] - 1, cursor[2])
  local function with_prompt(prompt)
    if not prompt or prompt == '' then
      return
    end
    local select_options = {
      prompt = 'Generate what?',
      format_item = function(item)
        return item.label
      end,
    }
    vim.ui.select(M.GENERATE_KINDS, select_options, function(choice)
      if choice then
        local arguments = { vim.uri_from_bufnr(bufnr), position, prompt, choice.kind }
        M.execute(bufnr, 'lantern.generate', arguments, apply_result)
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
  local client = attached(bufnr)
  if client then
    M.execute(bufnr, 'lantern.explain', { vim.uri_from_bufnr(bufnr), line_range(bufnr, client, first, last) }, show_markdown)
  end
end

-- The Lantern diagnostic (static or AI) on `row` (0-based) as an LSP diagnostic, or nil.
local function diagnostic_on(bufnr, client, row)
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = row })) do
    if d.source == 'lantern' or d.source == 'lantern-ai' then
      -- Before 0.10, user_data.lsp lacks the range and message: rebuild them.
      return vim.tbl_extend('keep', (d.user_data or {}).lsp or {}, {
        range = { start = lsp_position(bufnr, client, d.lnum, d.col), ['end'] = lsp_position(bufnr, client, d.end_lnum, d.end_col) },
        message = d.message,
        source = d.source,
        code = d.code,
        severity = d.severity, -- vim.diagnostic.severity uses LSP's numbers
      })
    end
  end
end

-- With a range (:'<,'>LanternFix) the lines are rewritten; else the finding on the cursor's line.
local function fix(bufnr, opts)
  local client = attached(bufnr)
  if not client then
    return
  end
  local target
  if opts.range > 0 then
    target = line_range(bufnr, client, opts.line1, opts.line2)
  else
    local row = vim.api.nvim_win_get_cursor(0)[1] - 1
    target = diagnostic_on(bufnr, client, row) or line_range(bufnr, client, row + 1, row + 1)
  end
  M.execute(bufnr, 'lantern.fix', { vim.uri_from_bufnr(bufnr), target }, apply_result)
end

-- The server applies the edit itself (workspace/applyEdit) and answers {"applied", "summary"}.
local function fix_all(bufnr)
  M.execute(bufnr, 'lantern.fixAll', { vim.uri_from_bufnr(bufnr) }, summarize)
end

-- The server's last `lantern/status` notification: state idle | analysing | error | unreachable.
M.status = { state = 'idle', message = '', count = 0 }

vim.lsp.handlers['lantern/status'] = function(_, params)
  if type(params) == 'table' and type(params.state) == 'string' then
    M.status = params
    vim.schedule(function()
      vim.cmd('redrawstatus')
    end)
  end
end

-- For a statusline: '' when idle, else what the AI is doing or why it is not.
--   vim.o.statusline = "%f %m%=%{v:lua.require'lantern_commands'.statusline()} %l:%c"
function M.statusline()
  local status = M.status
  if status.state == 'analysing' then
    local what = present(status.message) and status.message ~= '' and status.message or 'working'
    return ('Lantern: %s (%d)'):format(what, tonumber(status.count) or 1)
  elseif status.state == 'unreachable' then
    return 'Lantern: model unreachable'
  elseif status.state == 'error' then
    return 'Lantern: AI error (:LanternStatus)'
  end
  return ''
end

function M.attach(_, bufnr)
  local function define(name, fn, opts)
    vim.api.nvim_buf_create_user_command(bufnr, name, fn, opts or {})
  end
  local uri = function()
    return { vim.uri_from_bufnr(bufnr) }
  end
  define('LanternGenerate', function(opts) generate(bufnr, opts.args) end, { nargs = '*' })
  define('LanternExplain', function(opts) explain(bufnr, opts.line1, opts.line2) end, { range = true })
  define('LanternFix', function(opts) fix(bufnr, opts) end, { range = true })
  define('LanternFixAll', function() fix_all(bufnr) end)
  define('LanternAnalyzeFile', function() M.execute(bufnr, 'lantern.analyzeFile', uri(), summarize) end)
  define('LanternAnalyzeWorkspace', function() M.execute(bufnr, 'lantern.analyzeWorkspace', {}, summarize) end)
  define('LanternStatus', function() M.execute(bufnr, 'lantern.status', {}, show_markdown) end)
  define('LanternClearCache', function() M.execute(bufnr, 'lantern.clearCache', {}, summarize) end)
  define('LanternHistory', function() M.execute(bufnr, 'lantern.history', {}, show_markdown) end)
end

return M
