-- Runs health.lua over objects written as Lua table constructors, one object per file argument,
-- and prints "<file>\t<status>\t<message>" for each, as Argo CD would show them. Argo CD's
-- runtime is gopher-lua (Lua 5.1); health.lua keeps to what 5.1 and 5.4 share.
local dir = (arg[0]:gsub("run%-health%.lua$", ""))
local script = assert(loadfile(dir .. "health.lua"))
for i = 1, #arg do
  _G.obj = assert(loadfile(arg[i]))()
  local hs = script()
  local message = (tostring(hs.message or ""):gsub("[\t\n]", " "))
  io.write(arg[i], "\t", hs.status, "\t", message, "\n")
end
