-- Argo CD health check for lamina.dev OSImage, Layer and ImagePolicy (the same script for all
-- three kinds). Argo CD runs it with the live object in `obj` and reads the table it returns.
-- Healthy when Ready; Degraded when Stalled (kstatus: no retry of the operator's will help),
-- or an OSImage's phase is Failed or Blocked; Progressing otherwise, with Ready's message.
local hs = { status = "Progressing", message = "Waiting for the Lamina operator" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  hs.message = "Waiting for the Lamina operator to observe generation " .. tostring(generation)
  return hs
end
local ready, stalled
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Stalled" then
    stalled = c
  end
end
local function describe(c)
  if c == nil then
    return ""
  end
  if c.reason ~= nil and c.reason ~= "" then
    return c.reason .. ": " .. (c.message or "")
  end
  return c.message or ""
end
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
elseif obj.status.phase == "Failed" or obj.status.phase == "Blocked" then
  hs.status = "Degraded"
  hs.message = describe(ready)
elseif ready ~= nil then
  hs.message = describe(ready)
end
return hs
