-- Failed sign-ins counted for throttling (server/src/access/throttle.rs): per client address, and
-- per login typed when nobody has it (a known person's are found by access_events_by_person).
CREATE INDEX access_events_failures_by_address ON access_events (address, at_ms) WHERE event = 'sign_in_failed';
CREATE INDEX access_events_failures_by_login ON access_events (detail, at_ms)
    WHERE event = 'sign_in_failed' AND person_id IS NULL;
-- Refused pairing codes counted per client address (access::pairing::throttled).
CREATE INDEX access_events_pairing_refused_by_address ON access_events (address, at_ms) WHERE event = 'pairing_refused';
