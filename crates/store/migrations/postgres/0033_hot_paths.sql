-- Rate-limit counters are bumped on every API request. Unlogged, their writes skip the
-- write-ahead log, so a request does not wait for a WAL flush to count itself. A crash
-- empties the table, which only restarts the current minute's counts.
ALTER TABLE api_rate_limits SET UNLOGGED;
