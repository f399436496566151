-- wrk script of bench/compare.mjs scenario (c): every request is a POST of a 64 KiB body.
wrk.method = "POST"
wrk.body = string.rep("x", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
