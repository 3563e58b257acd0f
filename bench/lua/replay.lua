-- Replays requests from a file, one per line: METHOD<TAB>PATH<TAB>ACTING_MEMBER<TAB>BODY
-- ("-" for none). Each wrk thread takes every Nth line, so no request is sent twice
-- by two threads; a thread that runs out starts again (those repeats are counted as
-- non-2xx answers where the action was one-shot).
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  key = args[1]
  file = args[2]
  nthreads = tonumber(args[3])
  lines = {}
  for line in io.lines(file) do
    table.insert(lines, line)
  end
  index = id
end

local function split(line)
  local parts = {}
  for part in string.gmatch(line, "([^\t]+)") do
    table.insert(parts, part)
  end
  return parts
end

function request()
  local line = lines[((index - 1) % #lines) + 1]
  index = index + nthreads
  local p = split(line)
  local headers = { ["Authorization"] = "Bearer " .. key }
  if p[3] ~= "-" then headers["Acting-Member"] = p[3] end
  local body = nil
  if p[4] ~= "-" then
    body = p[4]
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(p[1], p[2], headers, body)
end
