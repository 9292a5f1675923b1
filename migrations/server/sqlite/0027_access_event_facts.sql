-- The particulars of an access event as JSON (`access::audit::Facts`, e.g.
-- {"kind":"sites","sites":["S1","S3"]}), which the access log puts in the page's language.
-- `detail` keeps the English text; rows from before have no facts and are shown by it.
ALTER TABLE access_events ADD COLUMN facts TEXT;
