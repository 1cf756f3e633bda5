-- bench-track.lua - wrk script for scripts/bench-track.sh: compact
-- announces to a BitTorrent tracker.
--
--   wrk -t1 -c50 -d10s -s bench-track.lua http://127.0.0.1:PORT -- MODE HASHFILE [close|keep] [COUNT]
--
-- HASHFILE holds url-encoded 20-byte info hashes, one a line.
-- MODE rand: announces over random hashes of HASHFILE with a random peer id
--   and port each, a mix of events (60% none, 20% started, 10% completed,
--   10% stopped) and of left (30% seeds); 50,000 such requests are made
--   up front (wrk is the bottleneck otherwise) and sent round and round.
-- MODE fill: announce i goes to torrent i % #hashes as that torrent's peer
--   number floor(i / #hashes) (port 10000 + that number, event=started,
--   every third one a seed), so COUNT announces make COUNT distinct peers
--   spread evenly; after COUNT announces the sequence starts again (then
--   they are re-announces of known peers).  The caller stops wrk once the
--   tracker holds COUNT peers.
-- close: every request carries "Connection: close" (one request per
--   connection); keep (the default): keep-alive.
-- done() prints one line "RESULT key=value ..." (times in microseconds).

local hashes = {}
local mode, count
local headers = {}
local reqs, nreq, idx = {}, 0, 0
local i = 0

local events = { "", "", "", "", "", "", "&event=started", "&event=started",
	"&event=completed", "&event=stopped" }

local function rand_path()
	local h = hashes[math.random(#hashes)]
	local ev = events[math.random(#events)]
	local left = math.random(1, 1000000000)
	if ev == "&event=completed" or math.random(10) <= 3 then
		left = 0
	end
	return string.format("/announce?info_hash=%s&peer_id=-WK0001-%06d%06d&port=%d" ..
		"&uploaded=0&downloaded=0&left=%d&compact=1&numwant=50%s",
		h, math.random(0, 999999), math.random(0, 999999), math.random(1024, 65535), left, ev)
end

local function fill_path(n)
	local nh = #hashes
	local t = n % nh
	local k = math.floor(n / nh)
	local left = 1000
	if k % 3 == 0 then
		left = 0
	end
	return string.format("/announce?info_hash=%s&peer_id=-WF0001-%012d&port=%d" ..
		"&uploaded=0&downloaded=0&left=%d&compact=1&numwant=5&event=started",
		hashes[t + 1], n, 10000 + k % 50000, left)
end

function init(args)
	mode = args[1]
	for line in io.lines(args[2]) do
		if #line > 0 then
			hashes[#hashes + 1] = line
		end
	end
	if args[3] == "close" then
		headers["Connection"] = "close"
	end
	count = tonumber(args[4] or "0") or 0
	math.randomseed(os.time())
	if mode == "rand" then
		nreq = 50000
		for k = 1, nreq do
			reqs[k] = wrk.format("GET", rand_path(), headers)
		end
	end
end

function request()
	if mode == "rand" then
		idx = idx % nreq + 1
		return reqs[idx]
	end
	local r = wrk.format("GET", fill_path(i % count), headers)
	i = i + 1
	return r
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
		"err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
