-- wrk script: POST /v1/auth/login with the credential in the EMAIL and PASSWORD variables.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("EMAIL"), os.getenv("PASSWORD"))

-- One JSON line of figures at the end (bench/summary_line.lua); run from the repository root.
dofile("bench/summary_line.lua")
