-- wrk script: the bare server, for the cost of a lookup over it.
done = dofile((os.getenv("KT_BENCH_DIR") or "bench") .. "/report.lua")
