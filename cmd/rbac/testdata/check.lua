-- wrk script for the check route of rbac serve: each request checks one
-- of the memberships listed, one id a line, in the file named by
-- RBAC_MEMBERSHIPS, with the key in RBAC_API_KEY. See load.sh.
local key = os.getenv("RBAC_API_KEY")
local ids = {}
for line in io.lines(os.getenv("RBAC_MEMBERSHIPS")) do
  ids[#ids + 1] = line
end
local n = 0
local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
local body = '{"permission_slug":"docs:read"}'

request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("POST", "/authorization/organization_memberships/" .. id .. "/check", headers, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    error("status " .. status .. ": " .. body)
  end
end
